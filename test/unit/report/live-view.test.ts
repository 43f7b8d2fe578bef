/** The terminal's live area as a pure function of job state and time. */
import { describe, expect, it } from 'vitest';
import { describeBytes, recordCount, renderLiveView, type LiveJob } from '../../../src/report/live-view.js';

const MiB = 1024 * 1024;

function job(title: string, state: LiveJob['state'], startedAt?: number): LiveJob {
  return { title, state, counts: new Map(), ...(startedAt !== undefined ? { startedAt } : {}) };
}

describe('renderLiveView', () => {
  it('shows running jobs with a spinner and elapsed time, and waiting jobs as waiting, without a spinner', () => {
    const go = job('go build linux/arm64', 'running', 1_000);
    recordCount(go, { unit: 'packages', done: 41 }, 2_000);
    const image = job('native pilot', 'waiting');
    expect(renderLiveView([go, image], 13_500, 0, { width: 120, rows: 10 })).toEqual([
      '⠋ go build linux/arm64  12.5s  41 packages compiled',
      '· native pilot  waiting',
    ]);
  });

  it('shows bytes sent of each large layer and the rate since its first count', () => {
    const push = job('native proxyv2', 'running', 0);
    push.message = 'sending sha256:abc';
    recordCount(push, { unit: 'bytes', done: 1 * MiB, total: 40 * MiB, item: 'sha256:a' }, 1_000);
    recordCount(push, { unit: 'bytes', done: 9 * MiB, total: 40 * MiB, item: 'sha256:a' }, 3_000);
    expect(renderLiveView([push], 3_000, 1, { width: 120, rows: 10 })).toEqual(['⠙ native proxyv2  3.0s  9.0 MiB of 40.0 MiB sent, 4.0 MiB/s']);
  });

  it('starts the rate afresh when a count goes back (a retried upload), and drops finished layers', () => {
    const push = job('native proxyv2', 'running', 0);
    recordCount(push, { unit: 'bytes', done: 8 * MiB, total: 8 * MiB, item: 'sha256:done' }, 500);
    recordCount(push, { unit: 'bytes', done: 6 * MiB, total: 20 * MiB, item: 'sha256:b' }, 1_000);
    recordCount(push, { unit: 'bytes', done: 1 * MiB, total: 20 * MiB, item: 'sha256:b' }, 2_000);
    const sample = push.counts.get('bytes:sha256:b')!;
    expect(describeBytes(sample)).toBe('1.0 MiB of 20.0 MiB sent');
    expect(renderLiveView([push], 2_000, 0, { width: 120, rows: 10 })).toEqual(['⠋ native proxyv2  2.0s  1.0 MiB of 20.0 MiB sent']);
  });

  it('fits the terminal: long lines are cut, and waiting jobs beyond the rows are counted', () => {
    const jobs = [job('a very long title that goes on and on', 'running', 0), ...['b', 'c', 'd', 'e'].map((t) => job(t, 'waiting'))];
    expect(renderLiveView(jobs, 1_000, 0, { width: 20, rows: 3 })).toEqual(['⠋ a very long title…', '· b  waiting', '· 3 more waiting']);
  });
});
