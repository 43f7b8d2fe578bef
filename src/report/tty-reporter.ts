/**
 * The interactive view: a listr2 task list with one line per job. listr2 wants tasks that run
 * functions; here each task just waits for its job's events, so the scheduler stays in charge.
 */
import { Listr, type ListrTaskWrapper, type DefaultRenderer, type SimpleRenderer } from 'listr2';
import type { Reporter, RunEvent } from '../run/events.js';
import { formatDuration } from './format.js';
import { redactText } from '../registry/redact.js';

type Task = ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;

interface Pending {
  task?: Task;
  settle?: (outcome: { ok: true } | { ok: false; message: string } | { skipped: string }) => void;
  early?: { ok: true } | { ok: false; message: string } | { skipped: string };
  title: string;
  started: boolean;
}

export class TtyReporter implements Reporter {
  private readonly pending = new Map<string, Pending>();
  private running: Promise<unknown> | undefined;

  onEvent(event: RunEvent): void {
    switch (event.type) {
      case 'run-started': {
        const list = new Listr(
          event.plan.jobs.map((job) => {
            const entry: Pending = { title: job.title, started: false };
            this.pending.set(job.id, entry);
            return {
              title: `${job.title} (waiting)`,
              task: (_: unknown, task: Task) =>
                new Promise<void>((resolve, reject) => {
                  entry.task = task;
                  if (entry.started) task.title = entry.title;
                  entry.settle = (outcome) => {
                    if ('skipped' in outcome) task.skip(redactText(`${entry.title}: ${outcome.skipped}`));
                    if ('ok' in outcome && !outcome.ok) reject(new Error(redactText(outcome.message)));
                    else resolve();
                  };
                  if (entry.early) entry.settle(entry.early);
                }),
            };
          }),
          // listr2's own SIGINT handler calls process.exit(127) mid-run: Ctrl-C belongs to the
          // scheduler (src/run/interrupt.ts), which stops the jobs, clears out/.tmp and exits 130.
          { concurrent: true, exitOnError: false, registerSignalListeners: false, renderer: 'default', rendererOptions: { collapseErrors: false } },
        );
        this.running = list.run().catch(() => undefined);
        break;
      }
      case 'job-started':
        this.update(event.job.id, (entry) => {
          entry.started = true;
          if (entry.task) entry.task.title = entry.title;
        });
        break;
      case 'job-progress':
        this.update(event.job.id, (entry) => {
          if (entry.task) entry.task.output = redactText(event.message);
        });
        break;
      case 'job-succeeded':
        this.finish(event.job.id, { ok: true }, `${event.job.title} (${formatDuration(event.durationMs)})`);
        break;
      case 'job-up-to-date':
        this.finish(event.job.id, { ok: true }, `${event.job.title} (up to date)`);
        break;
      case 'job-failed':
        this.finish(event.job.id, { ok: false, message: event.failure.message }, event.job.title);
        break;
      case 'job-skipped':
        this.finish(event.job.id, { skipped: event.reason }, event.job.title);
        break;
      default:
        break;
    }
  }

  private update(id: string, change: (entry: Pending) => void): void {
    const entry = this.pending.get(id);
    if (entry) change(entry);
  }

  private finish(id: string, outcome: NonNullable<Pending['early']>, title: string): void {
    this.update(id, (entry) => {
      entry.title = title;
      if (entry.task) entry.task.title = title;
      if (entry.settle) entry.settle(outcome);
      else entry.early = outcome;
    });
  }

  async close(): Promise<void> {
    await this.running;
  }
}
