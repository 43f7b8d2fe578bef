/**
 * The run as a timeline: when each job started and ended (ms since the run started), how it
 * ended, and the critical path, the chain of jobs that decided when the run finished. Collected
 * from the event stream; the Gantt chart and the trace file are drawn from it.
 */
import { assertNever } from '../errors.js';
import { formatPlatform } from '../platform.js';
import type { Job, JobKind } from '../plan/types.js';
import type { RunEvent } from '../run/events.js';

/** `up-to-date`: succeeded by finding its output still current; `not-run`: never started (the run stopped first, or no `job-skipped` came for it). */
export type TimelineOutcome = 'succeeded' | 'up-to-date' | 'failed' | 'skipped' | 'not-run';

export interface TimelineJob {
  id: string;
  kind: JobKind;
  /** What the job makes: binaries (comma-separated), an artifact, an image (`image[:variant]`), or `tags`. */
  target: string;
  /** One platform, or several comma-separated for an image build; absent for the publish job. */
  platform?: string;
  /** What the job waited for (the plan's `needs` and `after`), limited to jobs of this plan. */
  needs: string[];
  /** ms since the run started; absent when the job never started (a job cancelled while running has both). */
  startMs?: number;
  endMs?: number;
  outcome: TimelineOutcome;
  /** Why it was skipped, or the failure's message. */
  reason?: string;
}

export interface Timeline {
  /** Epoch ms of `run-started`. */
  startedAt: number;
  /** Until `run-finished`, or the last job's end when the run had not finished. */
  durationMs: number;
  ok: boolean;
  interrupted: boolean;
  /** In plan order. */
  jobs: TimelineJob[];
  /** Job ids, first to last: each needs the one before it, and the last is the last job to end. */
  criticalPath: string[];
}

/** What a job makes, as a user names it. */
function jobTarget(job: Job): string {
  switch (job.kind) {
    case 'go-build':
      return job.binaries.map((b) => b.name).join(',');
    case 'fetch':
      return job.artifact;
    case 'image-build': {
      const variants = job.variants.map((v) => v.variant);
      return variants.length === 1 && variants[0] === 'default' ? job.image : `${job.image}:${variants.join(',')}`;
    }
    case 'publish':
      return 'tags';
  }
}

/** A job's name on a chart: what it makes and for which platforms (`go build 4 binaries linux/arm64`). */
export function jobLabel(job: TimelineJob): string {
  const binaries = job.target.split(',').length;
  const what = job.kind === 'go-build' ? `go build ${binaries} ${binaries === 1 ? 'binary' : 'binaries'}` : job.kind === 'publish' ? 'write tags' : job.target;
  return job.platform !== undefined ? `${what} ${job.platform}` : what;
}

function jobPlatform(job: Job): string | undefined {
  switch (job.kind) {
    case 'go-build':
    case 'fetch':
      return formatPlatform(job.platform);
    case 'image-build':
      return job.platforms.map(formatPlatform).join(',');
    case 'publish':
      return undefined;
  }
}

/** Collects a timeline from the events of one run; `timeline()` may be asked at any point. */
export class TimelineRecorder {
  private startedAt: number | undefined;
  private finished: Extract<RunEvent, { type: 'run-finished' }> | undefined;
  private readonly jobs = new Map<string, TimelineJob>();

  /** Nothing to flush: the timeline is read with timeline(). */
  async close(): Promise<void> {}

  onEvent(event: RunEvent): void {
    switch (event.type) {
      case 'run-started': {
        this.startedAt = event.at;
        const ids = new Set(event.plan.jobs.map((j) => j.id));
        for (const job of event.plan.jobs) {
          const entry: TimelineJob = {
            id: job.id,
            kind: job.kind,
            target: jobTarget(job),
            needs: [...job.needs, ...(job.after ?? [])].filter((id) => ids.has(id)),
            outcome: 'not-run',
          };
          const platform = jobPlatform(job);
          if (platform !== undefined) entry.platform = platform;
          this.jobs.set(job.id, entry);
        }
        return;
      }
      case 'job-started':
        this.job(event.job.id).startMs = this.since(event.at);
        return;
      case 'job-succeeded':
      case 'job-up-to-date':
      case 'job-failed': {
        const entry = this.job(event.job.id);
        entry.endMs = this.since(event.at);
        entry.startMs ??= Math.max(0, entry.endMs - event.durationMs);
        entry.outcome = event.type === 'job-succeeded' ? 'succeeded' : event.type === 'job-up-to-date' ? 'up-to-date' : 'failed';
        if (event.type === 'job-failed') entry.reason = event.failure.message;
        return;
      }
      case 'job-skipped': {
        const entry = this.job(event.job.id);
        entry.outcome = 'skipped';
        entry.reason = event.reason;
        // Cancelled while running (after another job failed): it still took that time.
        if (entry.startMs !== undefined) entry.endMs = this.since(event.at);
        return;
      }
      case 'run-finished':
        this.finished = event;
        return;
      case 'job-progress':
      case 'job-output':
      case 'info':
        return;
      default:
        assertNever(event, 'run event');
    }
  }

  timeline(): Timeline {
    const jobs = [...this.jobs.values()].map((job) => ({ ...job, needs: [...job.needs] }));
    const lastEnd = Math.max(0, ...jobs.map((job) => job.endMs ?? 0));
    return {
      startedAt: this.startedAt ?? 0,
      durationMs: this.finished ? this.finished.durationMs : lastEnd,
      ok: this.finished?.ok ?? false,
      interrupted: this.finished?.interrupted ?? false,
      jobs,
      criticalPath: criticalPath(jobs),
    };
  }

  private job(id: string): TimelineJob {
    const entry = this.jobs.get(id);
    if (!entry) throw new Error(`Internal error: event for job ${id}, which is not in the plan`);
    return entry;
  }

  private since(at: number): number {
    return Math.max(0, at - (this.startedAt ?? at));
  }
}

/**
 * The chain that held the run up: from the job that ended last, step back to whichever of its
 * needs ended last (the one it was waiting for), until a job with no needs that ran. Ties go to
 * the job earlier in plan order, so the path is the same for the same timeline.
 */
export function criticalPath(jobs: readonly TimelineJob[]): string[] {
  const ran = new Map(jobs.filter((job) => job.startMs !== undefined && job.endMs !== undefined).map((job) => [job.id, job]));
  const latest = (candidates: Iterable<TimelineJob>): TimelineJob | undefined => {
    let best: TimelineJob | undefined;
    for (const job of candidates) if (best === undefined || job.endMs! > best.endMs!) best = job;
    return best;
  };
  const path: string[] = [];
  let current = latest(ran.values());
  while (current) {
    path.unshift(current.id);
    const needs = new Set(current.needs);
    current = latest([...ran.values()].filter((job) => needs.has(job.id)));
  }
  return path;
}

/** A timeline straight from a list of events (tests, and reading a run back). */
export function timelineOf(events: Iterable<RunEvent>): Timeline {
  const recorder = new TimelineRecorder();
  for (const event of events) recorder.onEvent(event);
  return recorder.timeline();
}
