/**
 * Everything observable about a run, as data. Jobs never print: they emit these, and reporters
 * (TTY task list, CI lines, JSON report) each turn the same stream into their own output.
 */
import type { Job, Plan } from '../plan/types.js';

export interface JobFailure {
  message: string;
  /** Tool output that explains it (compiler errors, buildx's message). */
  detail?: string;
  hint?: string;
}

export type RunEvent =
  | { type: 'run-started'; at: number; plan: Plan }
  | { type: 'job-started'; at: number; job: Job }
  | { type: 'job-progress'; at: number; job: Job; message: string }
  | { type: 'job-succeeded'; at: number; job: Job; durationMs: number; result: unknown }
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
