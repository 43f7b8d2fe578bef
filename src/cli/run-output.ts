/**
 * How a command shows its run: which reporters watch the event stream (a live view in a terminal,
 * plain lines in a log, GitHub's workflow commands on Actions) and how the summary at the end is
 * printed (a table, or JSON with --json) and, on GitHub Actions, added to the step summary.
 */
import { appendFile } from 'node:fs/promises';
import type { Reporter } from '../run/events.js';
import { CiReporter } from '../report/ci-reporter.js';
import { isGithubActions } from '../report/github-actions.js';
import type { RunSummaryView } from '../report/run-summary.js';
import { formatStepSummary } from '../report/step-summary.js';
import { formatSummaryText, PLAIN, TERMINAL } from '../report/summary-text.js';
import type { Timeline } from '../report/timeline.js';
import type { CommandIo } from './main.js';
import type { OutputFlags } from './flags.js';

/** The reporter that shows the run as it goes, for this terminal or log. */
export async function viewReporter(io: CommandIo, flags: OutputFlags): Promise<Reporter> {
  const github = isGithubActions(io.env);
  if (io.interactive && !flags.quiet && !github) {
    // Loaded only for a terminal: CI logs and pipes start faster without it.
    const { TtyReporter } = await import('../report/tty-reporter.js');
    const terminal = process.stderr;
    return new TtyReporter({ write: (text) => io.stderr.write(text), columns: terminal.columns, rows: terminal.rows }, { verbose: flags.verbose ?? false });
  }
  return new CiReporter(io.stderr, undefined, {
    quiet: flags.quiet ?? false,
    verbose: flags.verbose ?? false,
    github,
    ...(io.env.GITHUB_WORKSPACE ? { workspace: io.env.GITHUB_WORKSPACE } : {}),
  });
}

/**
 * Prints the summary: JSON on stdout with --json, else the table; on GitHub Actions also appends
 * it as Markdown (with the timeline's Gantt chart) to $GITHUB_STEP_SUMMARY, which the runner
 * hands each step to append to.
 */
export async function printSummary(io: CommandIo, flags: OutputFlags, view: RunSummaryView, timeline?: Timeline): Promise<void> {
  if (flags.json) io.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
  else io.stdout.write(formatSummaryText(view, io.interactive ? TERMINAL : PLAIN));
  const file = io.env.GITHUB_STEP_SUMMARY;
  if (file !== undefined && file !== '') await appendFile(file, formatStepSummary(view, timeline));
}

/**
 * Where a command's lines along the way go (what was copied, which tags were written): stdout,
 * or stderr with --json (stdout is the summary's JSON alone), or nowhere with --quiet.
 */
export function progressLines(io: CommandIo, flags: OutputFlags): { write(text: string): unknown } {
  if (flags.quiet) return { write: () => true };
  return flags.json ? io.stderr : io.stdout;
}
