/**
 * A run's timeline in the Chrome trace-event format (the JSON object form), which Perfetto and
 * chrome://tracing open: each job that ran is a complete event ("X") on a lane of its own while it
 * runs, and the critical path is repeated on a process of its own so it reads as one row.
 */
import { redactText } from '../registry/redact.js';
import { jobLabel, type Timeline, type TimelineJob } from './timeline.js';

export interface TraceEvent {
  name: string;
  /** `X` complete, `i` instant, `M` metadata. */
  ph: 'X' | 'i' | 'M';
  pid: number;
  tid: number;
  /** Microseconds since the run started (metadata events: 0). */
  ts: number;
  dur?: number;
  cat?: string;
  /** `s` of an instant event: its scope. */
  s?: 'g' | 'p' | 't';
  /** One of the trace viewer's reserved colour names. */
  cname?: string;
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, unknown>;
}

export const JOBS_PID = 1;
export const CRITICAL_PATH_PID = 2;

/** The trace of one run. Jobs that never ran are instant events at the run's end, on a lane of their own. */
export function chromeTrace(timeline: Timeline): ChromeTrace {
  const critical = new Set(timeline.criticalPath);
  const ran = timeline.jobs.filter((job) => job.startMs !== undefined && job.endMs !== undefined);
  const lanes = assignLanes(ran);
  const notRunLane = Math.max(0, ...lanes.values()) + 1;
  const events: TraceEvent[] = [metadata('process_name', JOBS_PID, 0, 'meshbuild jobs'), metadata('process_name', CRITICAL_PATH_PID, 0, 'critical path')];
  for (const lane of new Set(lanes.values())) events.push(metadata('thread_name', JOBS_PID, lane, `lane ${lane}`));
  events.push(metadata('thread_name', CRITICAL_PATH_PID, 1, 'critical path'));

  for (const job of ran) {
    events.push(completeEvent(job, JOBS_PID, lanes.get(job.id)!, critical.has(job.id)));
    if (critical.has(job.id)) events.push(completeEvent(job, CRITICAL_PATH_PID, 1, true));
  }
  const notRun = timeline.jobs.filter((job) => !ran.includes(job));
  if (notRun.length > 0) events.push(metadata('thread_name', JOBS_PID, notRunLane, 'did not run'));
  for (const job of notRun) {
    events.push({
      name: jobLabel(job),
      cat: job.kind,
      ph: 'i',
      s: 't',
      pid: JOBS_PID,
      tid: notRunLane,
      ts: micros(timeline.durationMs),
      args: jobArgs(job, false),
    });
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ms',
    otherData: {
      tool: 'meshbuild',
      startedAt: new Date(timeline.startedAt).toISOString(),
      durationMs: timeline.durationMs,
      ok: timeline.ok,
      interrupted: timeline.interrupted,
      criticalPath: timeline.criticalPath,
    },
  };
}

function completeEvent(job: TimelineJob, pid: number, tid: number, critical: boolean): TraceEvent {
  const event: TraceEvent = {
    name: jobLabel(job),
    cat: job.kind,
    ph: 'X',
    pid,
    tid,
    ts: micros(job.startMs!),
    dur: micros(job.endMs! - job.startMs!),
    args: jobArgs(job, critical),
  };
  if (critical) event.cname = 'terrible';
  else if (job.outcome === 'failed') event.cname = 'bad';
  return event;
}

function jobArgs(job: TimelineJob, critical: boolean): Record<string, unknown> {
  const args: Record<string, unknown> = { id: job.id, target: job.target };
  if (job.platform !== undefined) args.platform = job.platform;
  args.outcome = job.outcome;
  args.critical = critical;
  args.needs = job.needs;
  // Trace files travel (CI artifacts): a failure's message is scrubbed of credentials as printed ones are.
  if (job.reason !== undefined) args.reason = redactText(job.reason);
  return args;
}

/**
 * Lanes numbered from 1 so that no two jobs on one lane overlap: each job, by start time, takes
 * the lowest lane free when it starts. With `--jobs N`, at most N lanes are used.
 */
export function assignLanes(jobs: readonly TimelineJob[]): Map<string, number> {
  const laneEnds: number[] = [];
  const lanes = new Map<string, number>();
  const byStart = [...jobs].sort((a, b) => a.startMs! - b.startMs! || a.endMs! - b.endMs!);
  for (const job of byStart) {
    let lane = laneEnds.findIndex((end) => end <= job.startMs!);
    if (lane === -1) lane = laneEnds.length;
    laneEnds[lane] = job.endMs!;
    lanes.set(job.id, lane + 1);
  }
  return lanes;
}

function metadata(name: 'process_name' | 'thread_name', pid: number, tid: number, value: string): TraceEvent {
  return { name, ph: 'M', pid, tid, ts: 0, args: { name: value } };
}

function micros(ms: number): number {
  return Math.round(ms * 1000);
}
