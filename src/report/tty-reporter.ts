/**
 * The interactive view: finished jobs are printed once, as a log that scrolls; below them a live
 * area (redrawn a few times a second) shows the running jobs with their elapsed time and progress
 * and the jobs still waiting. The live area is drawn by renderLiveView; this class keeps the state,
 * the timer and the cursor. With `verbose`, tools' output is printed above the live area as it comes.
 */
import type { Reporter, RunEvent } from '../run/events.js';
import { redactText } from '../registry/redact.js';
import { formatDuration } from './format.js';
import { recordCount, renderLiveView, type LiveJob } from './live-view.js';

export interface TerminalOutput {
  write(text: string): unknown;
  columns?: number;
  rows?: number;
}

export interface TtyReporterOptions {
  /** Print tools' output (go, buildx) live. Default false. */
  verbose?: boolean;
  /** Redraws per second. Default 8. */
  fps?: number;
  now?: () => number;
}

const CLEAR_LINE = '\x1b[2K';
const UP = (n: number) => (n > 0 ? `\x1b[${n}A` : '');
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const GREEN = (t: string) => `\x1b[32m${t}\x1b[39m`;
const RED = (t: string) => `\x1b[31m${t}\x1b[39m`;
const DIM = (t: string) => `\x1b[2m${t}\x1b[22m`;

export class TtyReporter implements Reporter {
  private readonly jobs = new Map<string, LiveJob>();
  private drawn = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(
    private readonly out: TerminalOutput,
    private readonly options: TtyReporterOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  onEvent(event: RunEvent): void {
    switch (event.type) {
      case 'run-started':
        for (const job of event.plan.jobs) this.jobs.set(job.id, { title: job.title, state: 'waiting', counts: new Map() });
        this.out.write(HIDE_CURSOR);
        this.timer = setInterval(() => this.draw(), 1000 / (this.options.fps ?? 8));
        this.timer.unref();
        break;
      case 'job-started': {
        const job = this.jobs.get(event.job.id);
        if (job) Object.assign(job, { state: 'running', startedAt: event.at });
        this.draw();
        break;
      }
      case 'job-progress': {
        // A count (a MiB sent, a package compiled) is drawn at once, so every step shows even when the
        // whole upload takes less than a frame; a message alone waits for the timer.
        const job = this.jobs.get(event.job.id);
        if (!job) break;
        job.message = redactText(event.message);
        if (event.count) {
          recordCount(job, event.count, event.at);
          this.draw();
        }
        break;
      }
      case 'job-output':
        if (this.options.verbose) this.above(event.text.replace(/\n$/, '').replace(/^/gm, DIM(`${event.job.id} | `)));
        break;
      case 'job-succeeded':
        this.settle(event.job.id, `${GREEN('✔')} ${event.job.title} (${formatDuration(event.durationMs)})`);
        break;
      case 'job-up-to-date':
        this.settle(event.job.id, `${GREEN('✔')} ${event.job.title} (up to date)`);
        break;
      case 'job-failed':
        this.settle(event.job.id, `${RED('✖')} ${event.job.title} (${formatDuration(event.durationMs)}): ${redactText(event.failure.message)}`);
        break;
      case 'job-skipped':
        this.settle(event.job.id, `${DIM('↓')} ${event.job.title}: ${redactText(event.reason)}`);
        break;
      case 'info':
        this.above(redactText(event.message));
        break;
      case 'run-finished':
        this.stop();
        break;
    }
  }

  private settle(id: string, line: string): void {
    this.jobs.delete(id);
    this.above(line);
  }

  /** Prints `text` into the scrolling log, above the live area. */
  private above(text: string): void {
    this.out.write(`${this.erase()}${text}\n`);
    this.drawn = 0;
    this.draw();
  }

  private erase(): string {
    if (this.drawn === 0) return '';
    return `${UP(this.drawn)}${`${CLEAR_LINE}\n`.repeat(this.drawn)}${UP(this.drawn)}`;
  }

  private draw(): void {
    if (this.timer === undefined) return;
    this.frame++;
    const lines = renderLiveView([...this.jobs.values()], this.now(), this.frame, {
      width: Math.max(20, (this.out.columns ?? 100) - 1),
      rows: Math.max(3, (this.out.rows ?? 24) - 4),
    });
    this.out.write(`${this.erase()}${lines.map((line) => `${CLEAR_LINE}${line}\n`).join('')}`);
    this.drawn = lines.length;
  }

  private stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.out.write(`${this.erase()}${SHOW_CURSOR}`);
    this.drawn = 0;
  }

  async close(): Promise<void> {
    this.stop();
  }
}
