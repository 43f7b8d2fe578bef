/**
 * What the terminal shows while a run goes on, as a pure function of the jobs' state and the
 * time: running jobs with a spinner, their elapsed time and how far they are (packages compiled,
 * bytes sent and the rate), then the jobs still waiting, marked as waiting, not spinning.
 */
import type { ProgressCount } from '../run/events.js';
import { formatBytes, formatDuration } from './format.js';

export interface LiveJob {
  title: string;
  state: 'waiting' | 'running';
  /** When it started (epoch ms), once running. */
  startedAt?: number;
  message?: string;
  /** The latest count per item (one per layer being sent, one for packages). */
  counts: Map<string, CountSample>;
}

/** A count and the one before it, for a rate. */
export interface CountSample {
  latest: ProgressCount;
  at: number;
  /** Where the count started and when, for the rate over the whole transfer. */
  first: { done: number; at: number };
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** The live lines for `jobs` (in plan order) at `now`, at most `rows` of them and each cut to `width`. */
export function renderLiveView(jobs: readonly LiveJob[], now: number, frame: number, size: { width: number; rows: number }): string[] {
  const running = jobs.filter((job) => job.state === 'running');
  const waiting = jobs.filter((job) => job.state === 'waiting');
  const lines = running.map(
    (job) => `${SPINNER[frame % SPINNER.length]} ${job.title}  ${formatDuration(now - (job.startedAt ?? now))}${describeProgress(job)}`,
  );
  const room = Math.max(1, size.rows - lines.length);
  const shown = waiting.length <= room ? waiting : waiting.slice(0, room - 1);
  for (const job of shown) lines.push(`· ${job.title}  waiting`);
  if (shown.length < waiting.length) lines.push(`· ${waiting.length - shown.length} more waiting`);
  return lines.slice(0, size.rows).map((line) => cut(line, size.width));
}

function describeProgress(job: LiveJob): string {
  const counts = [...job.counts.values()];
  const bytes = counts.filter((c) => c.latest.unit === 'bytes' && (c.latest.total === undefined || c.latest.done < c.latest.total));
  const packages = counts.find((c) => c.latest.unit === 'packages');
  const parts: string[] = [];
  if (packages) parts.push(`${packages.latest.done} packages compiled`);
  for (const sample of bytes) parts.push(describeBytes(sample));
  if (parts.length === 0 && job.message) parts.push(job.message);
  return parts.length > 0 ? `  ${parts.join('; ')}` : '';
}

/** `12.0 MiB of 48.0 MiB, 6.1 MiB/s` */
export function describeBytes(sample: CountSample): string {
  const { done, total } = sample.latest;
  const seconds = (sample.at - sample.first.at) / 1000;
  const rate = seconds > 0 ? `, ${formatBytes(Math.round(Math.max(0, done - sample.first.done) / seconds))}/s` : '';
  return `${formatBytes(done)}${total !== undefined ? ` of ${formatBytes(total)}` : ''} sent${rate}`;
}

function cut(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** Records a count on `job`: a new item starts its rate afresh, as does a count that went back (a retry). */
export function recordCount(job: LiveJob, count: ProgressCount, at: number): void {
  const key = `${count.unit}:${count.item ?? ''}`;
  const previous = job.counts.get(key);
  const restart = previous === undefined || count.done < previous.latest.done;
  job.counts.set(key, { latest: count, at, first: restart ? { done: count.done, at } : previous.first });
}
