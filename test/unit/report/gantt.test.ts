/** The Mermaid Gantt chart of a hand-made run: golden text. */
import { describe, expect, it } from 'vitest';
import { renderGantt } from '../../../src/report/gantt.js';
import { timelineOf } from '../../../src/report/timeline.js';
import { runEvents, successfulRun } from './sample-run.js';

describe('renderGantt', () => {
  it('draws a bar per job, a section per kind, the critical path as crit', () => {
    expect(renderGantt(timelineOf(successfulRun))).toBe(
      [
        'gantt',
        '  title meshbuild run 7.3s, ok',
        '  dateFormat x',
        '  axisFormat %M:%S',
        '  section Downloads',
        '  envoy linux/amd64 :done, 0, 400',
        '  section Go builds',
        '  go build 2 binaries linux/amd64 :done, 0, 3000',
        '  go build 1 binary linux/arm64 :crit, done, 0, 5200',
        '  section Images',
        '  base linux/amd64,linux/arm64 :done, 400, 1400',
        '  proxyv2 default,debug linux/amd64,linux/arm64 :crit, done, 5200, 7000',
        '  section Publish',
        '  write tags :crit, done, 7000, 7300',
        '',
      ].join('\n'),
    );
  });

  it('labels failures, leaves out jobs that never started, and says how the run ended', () => {
    const events = runEvents(
      [
        ['go:linux_arm64', 0, 5200],
        ['image:base', 0, 1400],
        ['image:proxyv2', 5200, 5900, 'fail'],
      ],
      5950,
    );
    const chart = renderGantt(timelineOf(events));
    expect(chart).toContain('  title meshbuild run 6.0s, failed\n');
    expect(chart).toContain('  proxyv2 default,debug linux/amd64,linux/arm64 (failed) :crit, active, 5200, 5900\n');
    expect(chart).not.toContain('section Downloads');
    expect(chart).not.toContain('write tags');
  });

  it('labels a job cancelled while it ran', () => {
    const events = successfulRun.map((event) =>
      event.type === 'job-succeeded' && event.job.id === 'go:linux_amd64'
        ? { type: 'job-skipped' as const, at: event.at, job: event.job, reason: 'cancelled after a failure' }
        : event,
    );
    expect(renderGantt(timelineOf(events))).toContain('  go build 2 binaries linux/amd64 (cancelled) :active, 0, 3000\n');
  });

  it('keeps characters that end a Mermaid task name out of labels', () => {
    const chart = renderGantt(timelineOf(successfulRun));
    for (const line of chart.split('\n').filter((l) => l.startsWith('  ') && l.includes(' :'))) {
      expect(line.split(':')).toHaveLength(2);
    }
  });
});
