/**
 * runPlan with fake executors: jobs are small hand-made plans, and each fake job waits until the
 * test releases it (or its signal aborts), so ordering and concurrency are observed, not timed.
 */
import { describe, expect, it } from 'vitest';
import { InterruptedError, stepError } from '../../../src/errors.js';
import { PLAN_SCHEMA_VERSION, type Job, type Plan } from '../../../src/plan/types.js';
import type { RunEvent } from '../../../src/run/events.js';
import { upToDate } from '../../../src/run/up-to-date.js';
import { runPlan, type Executors, type JobContext, type RunOptions, type RunSummary } from '../../../src/run/scheduler.js';

/** A plan of publish jobs (the smallest job shape); `needs` by id. */
function planOf(jobs: Record<string, string[]>): Plan {
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    version: 'test',
    platforms: [{ os: 'linux', architecture: 'amd64' }],
    variants: ['default'],
    hubs: [],
    tags: ['test'],
    outDir: '/nowhere',
    sourceDir: '/nowhere',
    sourceDateEpoch: 0,
    output: null,
    jobs: Object.entries(jobs).map(([id, needs]): Job => ({ kind: 'publish', id, needs, title: `job ${id}`, images: [] })),
  };
}

type Outcome = { ok: true } | { ok: false; error: unknown };

/**
 * Fake executors. A job runs until `finish(id)` / `fail(id)` is called, or its signal aborts
 * (then it rejects with the signal's reason, as real executors do). `auto` finishes jobs at once.
 */
class FakeJobs {
  readonly started: string[] = [];
  readonly finished: string[] = [];
  readonly aborted: string[] = [];
  readonly signals = new Map<string, AbortSignal>();
  running = 0;
  maxRunning = 0;
  private readonly pending = new Map<string, (outcome: Outcome) => void>();
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly auto: Record<string, Outcome | 'tick'> = {}) {}

  readonly executors: Executors = {
    'go-build': (job, context) => this.run(job, context),
    fetch: (job, context) => this.run(job, context),
    'image-build': (job, context) => this.run(job, context),
    publish: (job, context) => this.run(job, context),
  };

  private async run(job: Job, context: JobContext): Promise<unknown> {
    this.started.push(job.id);
    this.signals.set(job.id, context.signal);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    this.notify();
    try {
      const auto = this.auto[job.id];
      let onAbort = () => {};
      const outcome = await new Promise<Outcome>((resolve) => {
        if (auto === 'tick') setTimeout(() => resolve({ ok: true }), 1);
        else if (auto !== undefined) queueMicrotask(() => resolve(auto));
        else this.pending.set(job.id, resolve);
        onAbort = () => {
          this.aborted.push(job.id);
          resolve({ ok: false, error: context.signal.reason });
        };
        if (context.signal.aborted) onAbort();
        else context.signal.addEventListener('abort', onAbort, { once: true });
      });
      context.signal.removeEventListener('abort', onAbort);
      if (!outcome.ok) throw outcome.error;
      this.finished.push(job.id);
      return `result of ${job.id}`;
    } finally {
      this.running--;
      this.pending.delete(job.id);
    }
  }

  finish(id: string): void {
    this.release(id, { ok: true });
  }

  fail(id: string, error: unknown = stepError(`${id} broke`)): void {
    this.release(id, { ok: false, error });
  }

  private release(id: string, outcome: Outcome): void {
    const resolve = this.pending.get(id);
    if (!resolve) throw new Error(`job ${id} is not waiting (started: ${this.started.join(', ')})`);
    resolve(outcome);
  }

  /** Resolves once `id` has started (or at once if it has). */
  async startedJob(id: string): Promise<void> {
    while (!this.started.includes(id)) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

function run(plan: Plan, fakes: FakeJobs, options: Partial<RunOptions> = {}): { events: RunEvent[]; done: Promise<RunSummary> } {
  const events: RunEvent[] = [];
  return { events, done: runPlan(plan, fakes.executors, { jobs: 4, ...options, emit: (e) => events.push(e) }) };
}

const ids = (jobs: Job[]) => jobs.map((j) => j.id).sort();
const skipReasons = (events: RunEvent[]) => Object.fromEntries(events.flatMap((e) => (e.type === 'job-skipped' ? [[e.job.id, e.reason]] : [])));

describe('runPlan', () => {
  it('starts a job only after everything it needs has succeeded, and hands results on', async () => {
    // a -> b -> d, a -> c -> d
    const plan = planOf({ d: ['b', 'c'], b: ['a'], c: ['a'], a: [] });
    const fakes = new FakeJobs();
    const { done, events } = run(plan, fakes);
    await fakes.startedJob('a');
    expect(fakes.started).toEqual(['a']);
    fakes.finish('a');
    await fakes.startedJob('b');
    await fakes.startedJob('c');
    fakes.finish('b');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fakes.started).not.toContain('d');
    fakes.finish('c');
    await fakes.startedJob('d');
    fakes.finish('d');
    const summary = await done;

    expect(summary.ok).toBe(true);
    expect(summary.results.get('a')).toBe('result of a');
    expect([...summary.results.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    // Every job-started event comes after the job-succeeded events of what it needs.
    const order = events.map((e) => ('job' in e ? `${e.type}:${e.job.id}` : e.type));
    for (const job of plan.jobs) {
      for (const need of job.needs) expect(order.indexOf(`job-succeeded:${need}`)).toBeLessThan(order.indexOf(`job-started:${job.id}`));
    }
    expect(order[0]).toBe('run-started');
    expect(order.at(-1)).toBe('run-finished');
  });

  it.each([1, 2, 3])('never runs more than --jobs %i at once, and uses them all', async (limit) => {
    const jobs: Record<string, string[]> = {};
    for (let i = 0; i < 10; i++) jobs[`j${i}`] = i >= 8 ? ['j0', 'j1'] : [];
    const fakes = new FakeJobs(Object.fromEntries(Object.keys(jobs).map((id) => [id, 'tick'])));
    const summary = await run(planOf(jobs), fakes, { jobs: limit }).done;
    expect(summary.ok).toBe(true);
    expect(fakes.finished).toHaveLength(10);
    expect(fakes.maxRunning).toBe(limit);
  });

  it('a job waiting without its slot lets others start: jobs that wait for each other do not fill --jobs', async () => {
    // With --jobs 1, three jobs that each wait until all three are waiting (as images wait for
    // their shared buildx session) would never finish if waiting held the slot.
    const waiting: string[] = [];
    let release = () => {};
    const together = new Promise<void>((resolve) => (release = resolve));
    let running = 0;
    let maxRunningOutsideWaits = 0;
    const executor = async (job: Job, context: JobContext) => {
      running++;
      maxRunningOutsideWaits = Math.max(maxRunningOutsideWaits, running);
      waiting.push(job.id);
      if (waiting.length === 3) release();
      running--;
      await context.waitWithoutSlot(together);
      return job.id;
    };
    const executors: Executors = { 'go-build': executor, fetch: executor, 'image-build': executor, publish: executor };
    const summary = await runPlan(planOf({ a: [], b: [], c: [] }), executors, { jobs: 1, emit: () => {} });
    expect(summary.ok).toBe(true);
    expect(waiting).toEqual(['a', 'b', 'c']);
    expect(maxRunningOutsideWaits).toBe(1);
  });

  it('a failure without keepGoing skips jobs not started and aborts the running ones', async () => {
    // a and b run; c needs a; d and e are independent but wait for a free slot (jobs: 2).
    const plan = planOf({ a: [], b: [], c: ['a'], d: [], e: [] });
    const fakes = new FakeJobs();
    const { done, events } = run(plan, fakes, { jobs: 2 });
    await fakes.startedJob('b');
    const failure = stepError('a broke', { detail: 'compiler says no', hint: 'fix a' });
    fakes.fail('a', failure);
    const summary = await done;

    expect(fakes.started).toEqual(['a', 'b']);
    expect(fakes.aborted).toEqual(['b']);
    expect(fakes.signals.get('b')?.aborted).toBe(true);
    expect(fakes.signals.get('b')?.reason).toBe(failure);
    expect(summary.ok).toBe(false);
    expect(summary.interrupted).toBe(false);
    expect(summary.failures[0]).toMatchObject({ job: { id: 'a' }, failure: { message: 'a broke', detail: 'compiler says no', hint: 'fix a' }, error: failure });
    // The running job cancelled because of a's failure is skipped, not a second failure with a's message.
    expect(summary.failures.map((f) => f.job.id)).toEqual(['a']);
    expect(ids(summary.skipped)).toEqual(['b', 'c', 'd', 'e']);
    expect(skipReasons(events)).toEqual({
      b: 'cancelled after a failure',
      c: 'stopped after a failure',
      d: 'stopped after a failure',
      e: 'stopped after a failure',
    });
    const finished = events.at(-1);
    expect(finished).toMatchObject({ type: 'run-finished', ok: false, interrupted: false });
  });

  it('with keepGoing, only what depends on the failure is skipped', async () => {
    // a fails; c needs a, e needs c: both skipped. b, d and f (needs b) still run.
    const plan = planOf({ a: [], b: [], c: ['a'], d: [], e: ['c'], f: ['b'] });
    const fakes = new FakeJobs({ b: 'tick', d: 'tick', f: 'tick' });
    const { done, events } = run(plan, fakes, { jobs: 2, keepGoing: true });
    await fakes.startedJob('a');
    fakes.fail('a');
    const summary = await done;

    expect(fakes.aborted).toEqual([]);
    for (const signal of fakes.signals.values()) expect(signal.aborted).toBe(false);
    expect(fakes.finished.sort()).toEqual(['b', 'd', 'f']);
    expect(summary.failures.map((f) => f.job.id)).toEqual(['a']);
    expect(ids(summary.skipped)).toEqual(['c', 'e']);
    expect(skipReasons(events)).toEqual({ c: 'needs a, which failed', e: 'needs c, which was skipped' });
    expect(summary.ok).toBe(false);
    expect(summary.interrupted).toBe(false);
  });

  it('a job `after` another starts once that one has ended, and runs even when it failed (an order, not a dependency)', async () => {
    const plan = planOf({ a: [], b: [] });
    plan.jobs[1]!.after = ['a'];
    const fakes = new FakeJobs({ b: 'tick' });
    const { done } = run(plan, fakes, { jobs: 4, keepGoing: true });
    await fakes.startedJob('a');
    expect(fakes.started).toEqual(['a']);
    fakes.fail('a');
    const summary = await done;
    expect(fakes.started).toEqual(['a', 'b']);
    expect(fakes.finished).toEqual(['b']);
    expect(summary.skipped).toEqual([]);
  });

  it('an unexpected exception becomes an internal-error failure, not a crash of the run', async () => {
    const fakes = new FakeJobs({ a: { ok: false, error: new TypeError('x is undefined') } });
    const summary = await run(planOf({ a: [], b: ['a'] }), fakes).done;
    expect(summary.failures[0]!.failure.message).toMatch(/^Internal error: TypeError: x is undefined/);
    expect(ids(summary.skipped)).toEqual(['b']);
  });

  it.each([
    ['with an InterruptedError (as the CLI does on SIGINT)', new InterruptedError('SIGINT')],
    ['with no reason', undefined],
  ])('an external abort %s stops everything and reports interrupted', async (_, reason) => {
    const plan = planOf({ a: [], b: [], c: ['a'], d: [] });
    const fakes = new FakeJobs();
    const interrupt = new AbortController();
    const { done, events } = run(plan, fakes, { jobs: 2, signal: interrupt.signal });
    await fakes.startedJob('a');
    await fakes.startedJob('b');
    interrupt.abort(reason);
    const summary = await done;

    expect(fakes.aborted.sort()).toEqual(['a', 'b']);
    expect(fakes.started).toEqual(['a', 'b']);
    expect(summary.interrupted).toBe(true);
    expect(summary.ok).toBe(false);
    expect(ids(summary.skipped)).toEqual(['c', 'd']);
    expect(skipReasons(events)).toEqual({ c: 'interrupted', d: 'interrupted' });
    for (const failure of summary.failures) expect(failure.error).toBeInstanceOf(InterruptedError);
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', ok: false, interrupted: true });
  });

  it('a signal aborted before the run starts runs nothing', async () => {
    const fakes = new FakeJobs();
    const summary = await run(planOf({ a: [], b: ['a'] }), fakes, { signal: AbortSignal.abort(new InterruptedError()) }).done;
    expect(fakes.started).toEqual([]);
    expect(summary.interrupted).toBe(true);
    expect(ids(summary.skipped)).toEqual(['a', 'b']);
  });

  it('a job that returns upToDate(result) is reported up to date, and its dependents get that result', async () => {
    const events: RunEvent[] = [];
    const seen: unknown[] = [];
    const executors: Executors = {
      'go-build': () => Promise.resolve(undefined),
      fetch: () => Promise.resolve(undefined),
      'image-build': () => Promise.resolve(undefined),
      publish: (job, context) => {
        if (job.id === 'a') return Promise.resolve(upToDate({ built: 'before' }));
        seen.push(context.resultOf('a'));
        return Promise.resolve('b done');
      },
    };
    const summary = await runPlan(planOf({ a: [], b: ['a'] }), executors, { emit: (e) => events.push(e) });
    expect(summary.ok).toBe(true);
    expect(seen).toEqual([{ built: 'before' }]);
    expect(summary.results.get('a')).toEqual({ built: 'before' });
    const finished = events.filter((e) => e.type === 'job-up-to-date' || e.type === 'job-succeeded').map((e) => `${e.type}:${e.job.id}`);
    expect(finished).toEqual(['job-up-to-date:a', 'job-succeeded:b']);
    expect(events.find((e) => e.type === 'job-up-to-date')).toMatchObject({ result: { built: 'before' } });
  });
});

describe('runPlan progress', () => {
  it("passes a job's counts and tool output into the event stream as data", async () => {
    const plan = planOf({ a: [] });
    const events: RunEvent[] = [];
    let clock = 100;
    const executors: Executors = {
      'go-build': () => Promise.resolve(),
      fetch: () => Promise.resolve(),
      'image-build': () => Promise.resolve(),
      publish: (_job, context) => {
        context.progress('pushing', { unit: 'bytes', done: 512, total: 2048, item: 'sha256:aa' });
        context.progress('checking');
        context.output?.('stderr', 'net/http\n');
        return Promise.resolve();
      },
    };
    await runPlan(plan, executors, { emit: (e) => events.push(e), now: () => clock++ });
    const progress = events.filter((e) => e.type === 'job-progress' || e.type === 'job-output');
    expect(progress.map(({ at: _at, job: _job, ...rest }) => rest)).toEqual([
      { type: 'job-progress', message: 'pushing', count: { unit: 'bytes', done: 512, total: 2048, item: 'sha256:aa' } },
      { type: 'job-progress', message: 'checking' },
      { type: 'job-output', stream: 'stderr', text: 'net/http\n' },
    ]);
  });
});
