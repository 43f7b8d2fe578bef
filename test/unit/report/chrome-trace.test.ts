/** The Chrome trace of a hand-made run: events, lanes and the critical path's own row. */
import { describe, expect, it } from 'vitest';
import { assignLanes, chromeTrace, CRITICAL_PATH_PID, JOBS_PID } from '../../../src/report/chrome-trace.js';
import { timelineOf, type TimelineJob } from '../../../src/report/timeline.js';
import { runEvents, successfulRun } from './sample-run.js';

describe('chromeTrace', () => {
  it('writes each job as a complete event in microseconds with its platform, target and outcome', () => {
    const trace = chromeTrace(timelineOf(successfulRun));
    const proxy = trace.traceEvents.find((e) => e.ph === 'X' && e.pid === JOBS_PID && e.args?.id === 'image:proxyv2');
    expect(proxy).toEqual({
      name: 'proxyv2:default,debug linux/amd64,linux/arm64',
      cat: 'image-build',
      ph: 'X',
      pid: JOBS_PID,
      tid: 1,
      ts: 5_200_000,
      dur: 1_800_000,
      cname: 'terrible',
      args: {
        id: 'image:proxyv2',
        target: 'proxyv2:default,debug',
        platform: 'linux/amd64,linux/arm64',
        outcome: 'succeeded',
        critical: true,
        needs: ['go:linux_amd64', 'go:linux_arm64', 'fetch:envoy:linux_amd64', 'image:base'],
      },
    });
    expect(trace.displayTimeUnit).toBe('ms');
    expect(trace.otherData).toMatchObject({ tool: 'meshbuild', durationMs: 7310, ok: true, criticalPath: ['go:linux_arm64', 'image:proxyv2', 'publish'] });
  });

  it('repeats the critical path, in order, on a row of its own', () => {
    const trace = chromeTrace(timelineOf(successfulRun));
    const row = trace.traceEvents.filter((e) => e.ph === 'X' && e.pid === CRITICAL_PATH_PID);
    expect(row.map((e) => [e.args?.id, e.tid, e.ts, e.dur])).toEqual([
      ['go:linux_arm64', 1, 0, 5_200_000],
      ['image:proxyv2', 1, 5_200_000, 1_800_000],
      ['publish', 1, 7_000_000, 300_000],
    ]);
    const names = trace.traceEvents.filter((e) => e.ph === 'M' && e.pid === CRITICAL_PATH_PID).map((e) => e.args?.name);
    expect(names).toEqual(['critical path', 'critical path']);
    const others = trace.traceEvents.filter((e) => e.ph === 'X' && e.pid === JOBS_PID && e.args?.critical === false);
    expect(others.map((e) => e.args?.id)).toEqual(['fetch:envoy:linux_amd64', 'go:linux_amd64', 'image:base']);
    expect(others.every((e) => e.cname === undefined)).toBe(true);
  });

  it('shows jobs that did not run as instants at the end, with the reason, scrubbed of credentials', () => {
    const events = runEvents([['image:base', 0, 100, 'fail']], 120).map((event) =>
      event.type === 'job-failed' ? { ...event, failure: { message: 'push to https://bob:hunter2@registry.example/v2/ refused' } } : event,
    );
    const trace = chromeTrace(timelineOf(events));
    const failed = trace.traceEvents.find((e) => e.args?.id === 'image:base' && e.pid === JOBS_PID)!;
    expect(failed).toMatchObject({ ph: 'X', cname: 'terrible', args: { outcome: 'failed' } });
    expect(JSON.stringify(trace)).not.toContain('hunter2');
    const skipped = trace.traceEvents.filter((e) => e.ph === 'i');
    expect(skipped.map((e) => e.args?.id)).toEqual(['fetch:envoy:linux_amd64', 'go:linux_amd64', 'go:linux_arm64', 'image:proxyv2', 'publish']);
    expect(skipped.every((e) => e.ts === 120_000 && e.tid === 2 && e.args?.outcome === 'skipped' && e.args.reason === 'stopped after a failure')).toBe(true);
    expect(trace.traceEvents).toContainEqual({ name: 'thread_name', ph: 'M', pid: JOBS_PID, tid: 2, ts: 0, args: { name: 'did not run' } });
  });
});

describe('assignLanes', () => {
  const job = (id: string, startMs: number, endMs: number): TimelineJob => ({ id, kind: 'fetch', target: id, needs: [], startMs, endMs, outcome: 'succeeded' });

  it('never puts two overlapping jobs on one lane, and reuses a lane once it is free', () => {
    const lanes = assignLanes([job('a', 0, 10), job('b', 0, 4), job('c', 4, 8), job('d', 5, 12), job('e', 10, 11)]);
    expect(Object.fromEntries(lanes)).toEqual({ a: 2, b: 1, c: 1, d: 3, e: 1 });
  });
});
