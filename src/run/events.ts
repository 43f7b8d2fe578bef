/**
 * Everything observable about a run, as data. Jobs never print: they emit these, and reporters
 * (TTY task list, CI lines, JSON report) each turn the same stream into their own output.
 */
import type { SourceLocation } from '../errors.js';
import type { Job, Plan } from '../plan/types.js';

export interface JobFailure {
  message: string;
  /** Tool output that explains it (compiler errors, buildx's message). */
  detail?: string;
  hint?: string;
  /** The file and line it is about (a Dockerfile, a targets file), when it names one. */
  location?: SourceLocation;
}

/**
 * How far a job has come in one countable thing: `done` of `total` (when known) `unit`s. Renderers
 * derive rates from successive counts and their times; the count itself is plain data.
 */
export interface ProgressCount {
  unit: 'bytes' | 'packages';
  done: number;
  total?: number;
  /** What is counted, when a job counts several things at once (a layer's digest). */
  item?: string;
}

export type RunEvent =
  | { type: 'run-started'; at: number; plan: Plan }
  | { type: 'job-started'; at: number; job: Job }
  | { type: 'job-progress'; at: number; job: Job; message: string; count?: ProgressCount }
  /** A tool's own output (go, buildx) as it comes; shown live only with --verbose. */
  | { type: 'job-output'; at: number; job: Job; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'job-succeeded'; at: number; job: Job; durationMs: number; result: unknown }
  /** Its inputs and outputs are those of its last successful run: nothing was built; `result` is that run's. */
  | { type: 'job-up-to-date'; at: number; job: Job; durationMs: number; result: unknown }
  | { type: 'job-failed'; at: number; job: Job; durationMs: number; failure: JobFailure }
  | { type: 'job-skipped'; at: number; job: Job; reason: string }
  | { type: 'info'; at: number; message: string }
  | { type: 'run-finished'; at: number; ok: boolean; durationMs: number; interrupted: boolean };

export interface Reporter {
  onEvent(event: RunEvent): void;
  /** Called once after `run-finished`; flushes files, stops spinners. */
  close(): Promise<void>;
}

/** Fans one event stream out to several reporters. */
export class CombinedReporter implements Reporter {
  constructor(private readonly reporters: Reporter[]) {}

  onEvent(event: RunEvent): void {
    for (const reporter of this.reporters) reporter.onEvent(event);
  }

  async close(): Promise<void> {
    for (const reporter of this.reporters) await reporter.close();
  }
}
