/**
 * Plain, timestamped lines for CI logs and pipes: one line when a job starts, one when it ends,
 * and a failure's tool output indented under it. On GitHub Actions a failure is also an `::error`
 * annotation and tool output is folded in a `::group::`. `quiet` keeps only failures; `verbose`
 * adds tools' output (live, or folded per job at its end on GitHub, where groups cannot interleave).
 */
type Writable = NodeJS.WritableStream;
import type { Reporter, RunEvent } from '../run/events.js';
import { formatDuration } from './format.js';
import { redactText } from '../registry/redact.js';
import { errorCommand, foldedGroup } from './github-actions.js';

interface CiReporterOptions {
  /** Failures only (the summary is printed by the command). Default false. */
  quiet?: boolean;
  /** Tools' output too. Default false. */
  verbose?: boolean;
  /** Write GitHub Actions workflow commands (annotations, folded groups). Default false. */
  github?: boolean;
  /** $GITHUB_WORKSPACE: annotated files are named relative to it. */
  workspace?: string;
}

export class CiReporter implements Reporter {
  private readonly output = new Map<string, string>();

  constructor(
    private readonly out: Writable,
    private readonly clock: (at: number) => string = (at) => new Date(at).toISOString().slice(11, 23),
    private readonly options: CiReporterOptions = {},
  ) {}

  onEvent(event: RunEvent): void {
    // Scrubbed here too, not only where registry errors are made: a message can come from anywhere.
    const line = (text: string) => this.out.write(redactText(`${this.clock(event.at)} ${text}\n`));
    const quiet = this.options.quiet === true;
    switch (event.type) {
      case 'run-started':
        if (!quiet)
          line(
            `plan: ${event.plan.jobs.length} jobs, platforms ${event.plan.platforms.map((p) => [p.os, p.architecture, p.variant].filter(Boolean).join('/')).join(',')}`,
          );
        break;
      case 'job-started':
        if (!quiet) line(`start  ${event.job.title}`);
        break;
      case 'job-progress':
        // Counts are for the live view; a log gets the steps.
        if (!quiet && event.count === undefined) line(`       ${event.job.id}: ${event.message}`);
        break;
      case 'job-output':
        if (!this.options.verbose) break;
        if (this.options.github) this.output.set(event.job.id, (this.output.get(event.job.id) ?? '') + event.text);
        else this.out.write(redactText(event.text.replace(/\n$/, '').replace(/^/gm, `       ${event.job.id} | `) + '\n'));
        break;
      case 'job-succeeded':
        if (!quiet) line(`done   ${event.job.title} (${formatDuration(event.durationMs)})`);
        this.flushOutput(event.job.id, event.job.title);
        break;
      case 'job-up-to-date':
        if (!quiet) line(`done   ${event.job.id}: up to date`);
        break;
      case 'job-failed':
        line(`FAILED ${event.job.title} (${formatDuration(event.durationMs)}): ${event.failure.message}`);
        if (event.failure.detail) {
          const detail = indent(event.failure.detail);
          this.out.write(redactText(this.options.github ? foldedGroup(`output of ${event.job.title}`, detail) : detail));
        }
        if (event.failure.hint) line(`       hint: ${event.failure.hint}`);
        if (this.options.github) {
          const message = event.failure.hint ? `${event.failure.message}\n${event.failure.hint}` : event.failure.message;
          this.out.write(
            errorCommand({ title: event.job.title, message, ...(event.failure.location ? { location: event.failure.location } : {}) }, this.options.workspace),
          );
        }
        this.flushOutput(event.job.id, event.job.title);
        break;
      case 'job-skipped':
        if (!quiet) line(`skip   ${event.job.title}: ${event.reason}`);
        break;
      case 'info':
        if (!quiet) line(event.message);
        break;
      case 'run-finished':
        if (!quiet)
          line(
            event.ok
              ? `finished in ${formatDuration(event.durationMs)}`
              : event.interrupted
                ? `interrupted after ${formatDuration(event.durationMs)}`
                : `failed after ${formatDuration(event.durationMs)}`,
          );
        break;
    }
  }

  /** On GitHub: a job's tool output, folded under its title once the job ended. */
  private flushOutput(id: string, title: string): void {
    const text = this.output.get(id);
    if (text === undefined) return;
    this.output.delete(id);
    this.out.write(redactText(foldedGroup(`${title}: tool output`, text)));
  }

  async close(): Promise<void> {}
}

function indent(text: string): string {
  return `${text
    .trimEnd()
    .split('\n')
    .map((l) => `    | ${l}`)
    .join('\n')}\n`;
}
