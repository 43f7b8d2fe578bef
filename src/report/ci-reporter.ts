/**
 * Plain, timestamped lines for CI logs and pipes: one line when a job starts, one when it ends,
 * and a failure's tool output indented under it.
 */
type Writable = NodeJS.WritableStream;
import type { Reporter, RunEvent } from '../run/events.js';
import { formatDuration } from './format.js';
import { redactText } from '../registry/redact.js';

export class CiReporter implements Reporter {
  constructor(
    private readonly out: Writable,
    private readonly clock: (at: number) => string = (at) => new Date(at).toISOString().slice(11, 23),
  ) {}

  onEvent(event: RunEvent): void {
    // Scrubbed here too, not only where registry errors are made: a message can come from anywhere.
    const line = (text: string) => this.out.write(redactText(`${this.clock(event.at)} ${text}\n`));
    switch (event.type) {
      case 'run-started':
        line(
          `plan: ${event.plan.jobs.length} jobs, platforms ${event.plan.platforms.map((p) => [p.os, p.architecture, p.variant].filter(Boolean).join('/')).join(',')}`,
        );
        break;
      case 'job-started':
        line(`start  ${event.job.title}`);
        break;
      case 'job-progress':
        line(`       ${event.job.id}: ${event.message}`);
        break;
      case 'job-succeeded':
        line(`done   ${event.job.title} (${formatDuration(event.durationMs)})`);
        break;
      case 'job-up-to-date':
        line(`done   ${event.job.id}: up to date`);
        break;
      case 'job-failed':
        line(`FAILED ${event.job.title} (${formatDuration(event.durationMs)}): ${event.failure.message}`);
        if (event.failure.detail) this.out.write(redactText(indent(event.failure.detail)));
        if (event.failure.hint) line(`       hint: ${event.failure.hint}`);
        break;
      case 'job-skipped':
        line(`skip   ${event.job.title}: ${event.reason}`);
        break;
      case 'info':
        line(event.message);
        break;
      case 'run-finished':
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

  async close(): Promise<void> {}
}

function indent(text: string): string {
  return `${text
    .trimEnd()
    .split('\n')
    .map((l) => `    | ${l}`)
    .join('\n')}\n`;
}
