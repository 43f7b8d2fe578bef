/** The timeline collected from a run's events, and its critical path, on hand-made runs. */
import { describe, expect, it } from 'vitest';
import { criticalPath, timelineOf, type TimelineJob } from '../../../src/report/timeline.js';
import type { RunEvent } from '../../../src/run/events.js';
import { runEvents, samplePlan, sampleJobs, successfulRun } from './sample-run.js';

describe('timeline', () => {
  it('records each job with its target, platform, times since the run started and outcome', () => {
    const timeline = timelineOf(successfulRun);
    expect(timeline.durationMs).toBe(7310);
    expect(timeline.ok).toBe(true);
    expect(timeline.startedAt).toBe(1_700_000_000_000);
    expect(timeline.jobs).toEqual([
      { id: 'fetch:envoy:linux_amd64', kind: 'fetch', target: 'envoy', platform: 'linux/amd64', needs: [], startMs: 0, endMs: 400, outcome: 'succeeded' },
      {
        id: 'go:linux_amd64',
        kind: 'go-build',
        target: 'pilot-discovery,pilot-agent',
        platform: 'linux/amd64',
        needs: [],
        startMs: 0,
        endMs: 3000,
        outcome: 'succeeded',
      },
      { id: 'go:linux_arm64', kind: 'go-build', target: 'pilot-discovery', platform: 'linux/arm64', needs: [], startMs: 0, endMs: 5200, outcome: 'succeeded' },
      {
        id: 'image:base',
        kind: 'image-build',
        target: 'base',
        platform: 'linux/amd64,linux/arm64',
        needs: [],
        startMs: 400,
        endMs: 1400,
        outcome: 'succeeded',
      },
      {
        id: 'image:proxyv2',
        kind: 'image-build',
        target: 'proxyv2:default,debug',
        platform: 'linux/amd64,linux/arm64',
        needs: ['go:linux_amd64', 'go:linux_arm64', 'fetch:envoy:linux_amd64', 'image:base'],
        startMs: 5200,
        endMs: 7000,
        outcome: 'succeeded',
      },
      { id: 'publish', kind: 'publish', target: 'tags', needs: ['image:base', 'image:proxyv2'], startMs: 7000, endMs: 7300, outcome: 'succeeded' },
    ]);
  });

  it('follows, from the last job to end, the need each job waited for longest', () => {
    expect(timelineOf(successfulRun).criticalPath).toEqual(['go:linux_arm64', 'image:proxyv2', 'publish']);
  });

  it('moves the critical path when another input is the slow one', () => {
    const events = runEvents(
      [
        ['fetch:envoy:linux_amd64', 0, 6100],
        ['go:linux_amd64', 0, 3000],
        ['go:linux_arm64', 0, 5200],
        ['image:base', 3000, 4000],
        ['image:proxyv2', 6100, 7000],
        ['publish', 7000, 7300],
      ],
      7300,
    );
    expect(timelineOf(events).criticalPath).toEqual(['fetch:envoy:linux_amd64', 'image:proxyv2', 'publish']);
  });

  it('ends a failed run at the failure, and keeps skipped jobs without times', () => {
    const events = runEvents(
      [
        ['fetch:envoy:linux_amd64', 0, 400],
        ['go:linux_amd64', 0, 3000],
        ['go:linux_arm64', 0, 5200],
        ['image:base', 400, 1400],
        ['image:proxyv2', 5200, 5900, 'fail'],
      ],
      5950,
    );
    const timeline = timelineOf(events);
    expect(timeline.ok).toBe(false);
    expect(timeline.criticalPath).toEqual(['go:linux_arm64', 'image:proxyv2']);
    const byId = new Map(timeline.jobs.map((job) => [job.id, job]));
    expect(byId.get('image:proxyv2')).toMatchObject({ outcome: 'failed', reason: 'image:proxyv2 broke', startMs: 5200, endMs: 5900 });
    expect(byId.get('publish')).toEqual({
      id: 'publish',
      kind: 'publish',
      target: 'tags',
      needs: ['image:base', 'image:proxyv2'],
      outcome: 'skipped',
      reason: 'stopped after a failure',
    });
  });

  it('keeps the time a job ran before it was cancelled by another failure', () => {
    const plan = samplePlan();
    const [fetchJob, goJob] = [plan.jobs[0]!, plan.jobs[1]!];
    const events: RunEvent[] = [
      { type: 'run-started', at: 1000, plan },
      { type: 'job-started', at: 1000, job: fetchJob },
      { type: 'job-started', at: 1010, job: goJob },
      { type: 'job-failed', at: 1300, job: fetchJob, durationMs: 300, failure: { message: 'checksum mismatch' } },
      { type: 'job-skipped', at: 1350, job: goJob, reason: 'cancelled after a failure' },
      { type: 'run-finished', at: 1360, ok: false, durationMs: 360, interrupted: false },
    ];
    const timeline = timelineOf(events);
    expect(timeline.jobs[1]).toMatchObject({ id: 'go:linux_amd64', startMs: 10, endMs: 350, outcome: 'skipped', reason: 'cancelled after a failure' });
    expect(timeline.jobs[2]).toMatchObject({ id: 'go:linux_arm64', outcome: 'not-run' });
    expect(timeline.jobs[2]!.startMs).toBeUndefined();
    expect(timeline.criticalPath).toEqual(['go:linux_amd64']);
  });

  it('tells a job found up to date from one that did the work', () => {
    const events = successfulRun.map((event) =>
      event.type === 'job-succeeded' && event.job.id === 'go:linux_amd64' ? { ...event, type: 'job-up-to-date' as const } : event,
    );
    const timeline = timelineOf(events);
    expect(timeline.jobs[1]).toMatchObject({ id: 'go:linux_amd64', startMs: 0, endMs: 3000, outcome: 'up-to-date' });
    expect(timeline.criticalPath).toEqual(['go:linux_arm64', 'image:proxyv2', 'publish']);
  });

  it('marks jobs that have not started as not run, and has no critical path before any job ended', () => {
    const timeline = timelineOf([{ type: 'run-started', at: 5, plan: samplePlan() }]);
    expect(timeline.jobs.map((job) => job.outcome)).toEqual(sampleJobs.map(() => 'not-run'));
    expect(timeline.criticalPath).toEqual([]);
    expect(timeline.durationMs).toBe(0);
  });

  it('follows `after` (a go batch waiting for the one before it) as it follows needs', () => {
    const plan = samplePlan(sampleJobs.map((job) => (job.id === 'go:linux_arm64' ? { ...job, after: ['go:linux_amd64'] } : job)));
    const events = runEvents(
      [
        ['fetch:envoy:linux_amd64', 0, 400],
        ['go:linux_amd64', 0, 3000],
        ['go:linux_arm64', 3000, 5200],
        ['image:base', 400, 1400],
        ['image:proxyv2', 5200, 7000],
        ['publish', 7000, 7300],
      ],
      7310,
      plan,
    );
    expect(timelineOf(events).criticalPath).toEqual(['go:linux_amd64', 'go:linux_arm64', 'image:proxyv2', 'publish']);
  });

  it('drops needs on jobs outside the plan (a partial plan), so the path stays inside it', () => {
    const plan = samplePlan(sampleJobs.filter((job) => job.id !== 'go:linux_arm64'));
    const timeline = timelineOf(runEvents([['image:proxyv2', 0, 10]], 10, plan));
    expect(timeline.jobs.find((job) => job.id === 'image:proxyv2')!.needs).toEqual(['go:linux_amd64', 'fetch:envoy:linux_amd64', 'image:base']);
    expect(timeline.criticalPath).toEqual(['image:proxyv2']);
  });
});

describe('criticalPath', () => {
  const job = (id: string, needs: string[], startMs: number, endMs: number): TimelineJob => ({
    id,
    kind: 'publish',
    target: id,
    needs,
    startMs,
    endMs,
    outcome: 'succeeded',
  });

  it('breaks ties by plan order, so one timeline always gives one path', () => {
    const jobs = [job('a', [], 0, 10), job('b', [], 0, 10), job('c', ['b', 'a'], 10, 20), job('d', [], 0, 20)];
    expect(criticalPath(jobs)).toEqual(['a', 'c']);
  });

  it('ignores needs that never ran', () => {
    const jobs: TimelineJob[] = [job('a', [], 0, 5), { id: 'b', kind: 'fetch', target: 'b', needs: [], outcome: 'skipped' }, job('c', ['a', 'b'], 5, 9)];
    expect(criticalPath(jobs)).toEqual(['a', 'c']);
  });
});
