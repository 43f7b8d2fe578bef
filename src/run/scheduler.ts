/**
 * Runs a plan: each job starts as soon as the jobs it needs have succeeded, at most `jobs` at a
 * time. A failure stops everything (or, with keepGoing, only what depends on it); an abort
 * (Ctrl-C) cancels running jobs through their AbortSignal and starts nothing new.
 */
import { InterruptedError, isMeshbuildError } from '../errors.js';
import type { Job, JobKind, Plan } from '../plan/types.js';
import type { JobFailure, ProgressCount, RunEvent } from './events.js';
import { sharedAbortController } from './interrupt.js';
import { isUpToDate } from './up-to-date.js';

export interface JobContext {
  /** Aborted when the run is cancelled or, without keepGoing, when another job failed. */
  signal: AbortSignal;
  /** `count`: how far the job is in bytes or packages, for progress bars and rates. */
  progress(message: string, count?: ProgressCount): void;
  /** A tool's output as it comes (shown live with --verbose); optional for contexts made in tests. */
  output?(stream: 'stdout' | 'stderr', text: string): void;
  /** The result a finished dependency returned. */
  resultOf(jobId: string): unknown;
  /**
   * Waits for work done elsewhere (the buildx session building this job's image with the
   * others') without holding one of the `jobs` slots, so jobs that wait for each other's inputs
   * cannot fill every slot.
   */
  waitWithoutSlot<T>(work: Promise<T>): Promise<T>;
}

export type Executor<J extends Job> = (job: J, context: JobContext) => Promise<unknown>;
export type Executors = { [K in JobKind]: Executor<Extract<Job, { kind: K }>> };

export interface RunOptions {
  /** Jobs running at once. Default: 4. */
  jobs?: number;
  /** Let independent jobs finish after a failure. Default: false. */
  keepGoing?: boolean;
  /** Abort to cancel the run (the CLI ties it to SIGINT/SIGTERM). */
  signal?: AbortSignal;
  emit(event: RunEvent): void;
  now?: () => number;
}

export interface RunSummary {
  ok: boolean;
  interrupted: boolean;
  durationMs: number;
  results: Map<string, unknown>;
  failures: Array<{ job: Job; failure: JobFailure; error: unknown }>;
  skipped: Job[];
}

export async function runPlan(plan: Plan, executors: Executors, options: RunOptions): Promise<RunSummary> {
  const now = options.now ?? Date.now;
  const limit = Math.max(1, options.jobs ?? 4);
  const started = now();
  const stop = sharedAbortController();
  // Any abort from outside is a cancellation: `abort()` without a reason gives a DOMException,
  // which would otherwise be reported as a failure ("stopped after a failure"), not an interruption.
  const onAbort = () => {
    const reason: unknown = options.signal?.reason;
    stop.abort(reason instanceof InterruptedError ? reason : new InterruptedError());
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const summary: RunSummary = { ok: true, interrupted: false, durationMs: 0, results: new Map(), failures: [], skipped: [] };
  const state = new Map<string, 'waiting' | 'running' | 'succeeded' | 'failed' | 'skipped'>(plan.jobs.map((j) => [j.id, 'waiting']));
  const running = new Set<Promise<void>>();
  let waitingWithoutSlot = 0;
  let wake = () => {};
  options.emit({ type: 'run-started', at: started, plan });

  /** Not in this plan, or finished one way or another. */
  const ended = (id: string) => state.get(id) !== 'waiting' && state.get(id) !== 'running';

  const skip = (job: Job, reason: string) => {
    state.set(job.id, 'skipped');
    summary.skipped.push(job);
    options.emit({ type: 'job-skipped', at: now(), job, reason });
  };

  const start = (job: Job) => {
    state.set(job.id, 'running');
    const jobStart = now();
    options.emit({ type: 'job-started', at: jobStart, job });
    const context: JobContext = {
      signal: stop.signal,
      progress: (message, count) => options.emit({ type: 'job-progress', at: now(), job, message, ...(count ? { count } : {}) }),
      output: (stream, text) => options.emit({ type: 'job-output', at: now(), job, stream, text }),
      resultOf: (id) => summary.results.get(id),
      waitWithoutSlot: async (work) => {
        waitingWithoutSlot++;
        wake();
        try {
          return await work;
        } finally {
          waitingWithoutSlot--;
        }
      },
    };
    const executor = executors[job.kind] as Executor<Job>;
    const promise = (async () => {
      try {
        const outcome = await executor(job, context);
        const result = isUpToDate(outcome) ? outcome.result : outcome;
        summary.results.set(job.id, result);
        state.set(job.id, 'succeeded');
        const type = isUpToDate(outcome) ? 'job-up-to-date' : 'job-succeeded';
        options.emit({ type, at: now(), job, durationMs: now() - jobStart, result });
      } catch (error) {
        // Cancelled because another job failed: not a failure of its own (it would repeat the other's message).
        if (stop.signal.aborted && error === stop.signal.reason && !(error instanceof InterruptedError)) {
          skip(job, 'cancelled after a failure');
          return;
        }
        state.set(job.id, 'failed');
        const interrupted = stop.signal.aborted && (error instanceof InterruptedError || stop.signal.reason instanceof InterruptedError);
        // A job's own InterruptedError may say what it undid (the tag phase): keep it.
        const cause: unknown = interrupted && !(error instanceof InterruptedError) ? stop.signal.reason : error;
        const failure = toFailure(cause);
        summary.ok = false;
        summary.failures.push({ job, failure, error: cause });
        options.emit({ type: 'job-failed', at: now(), job, durationMs: now() - jobStart, failure });
        if (!options.keepGoing && !stop.signal.aborted) stop.abort(error);
      }
    })();
    running.add(promise);
    void promise.finally(() => running.delete(promise));
  };

  for (;;) {
    for (const job of plan.jobs) {
      if (state.get(job.id) !== 'waiting') continue;
      if (stop.signal.aborted) {
        skip(job, stop.signal.reason instanceof InterruptedError ? 'interrupted' : 'stopped after a failure');
        continue;
      }
      const blocker = job.needs.find((id) => state.get(id) === 'failed' || state.get(id) === 'skipped');
      if (blocker) {
        skip(job, `needs ${blocker}, which ${state.get(blocker) === 'failed' ? 'failed' : 'was skipped'}`);
        continue;
      }
      const ready = job.needs.every((id) => state.get(id) === 'succeeded' || !state.has(id)) && (job.after ?? []).every(ended);
      if (running.size - waitingWithoutSlot < limit && ready) start(job);
    }
    if (running.size === 0) break;
    await Promise.race([...running, new Promise<void>((resolve) => (wake = resolve))]);
  }

  options.signal?.removeEventListener('abort', onAbort);
  summary.interrupted = stop.signal.reason instanceof InterruptedError;
  summary.ok = summary.failures.length === 0 && summary.skipped.length === 0;
  summary.durationMs = now() - started;
  options.emit({ type: 'run-finished', at: now(), ok: summary.ok, durationMs: summary.durationMs, interrupted: summary.interrupted });
  return summary;
}

function toFailure(error: unknown): JobFailure {
  if (isMeshbuildError(error)) {
    const failure: JobFailure = { message: error.message };
    if (error.detail !== undefined) failure.detail = error.detail;
    if (error.hint !== undefined) failure.hint = error.hint;
    if (error.location !== undefined) failure.location = error.location;
    return failure;
  }
  return { message: `Internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}` };
}
