/**
 * `meshbuild all` (or `build`) run again with nothing changed: answered from the last run's stamp
 * (`run/run-stamp.ts`) before the flag parser, the graph or any job loads.
 */
import { performance } from 'node:perf_hooks';
import { unchangedRun } from '../run/run-stamp.js';
import { formatSummaryText, PLAIN, TERMINAL } from '../report/summary-text.js';
import { formatDuration } from '../report/format.js';
import type { CommandIo } from './main.js';

/** Prints the stamped run's summary and resolves true when this command line has nothing to do. */
export function answerUnchangedRun(argv: readonly string[], io: CommandIo): boolean {
  const started = performance.now();
  const stamp = unchangedRun(argv, io.cwd ?? process.cwd(), io.env);
  if (!stamp) return false;
  const durationMs = performance.now() - started;
  // Nothing was built now: the rows carry no build time, the total is this check's.
  const view = { ...stamp.view, durationMs, images: stamp.view.images.map(({ durationMs: _built, ...row }) => row) };
  if (!stamp.quiet) {
    const checked = Object.keys(stamp.entries).length;
    io.stderr.write(
      `${view.command}: nothing changed since its last run (${checked} files and folders checked in ${formatDuration(durationMs)}); ${stamp.jobs} jobs up to date\n`,
    );
  }
  if (stamp.json) io.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
  else io.stdout.write(formatSummaryText(view, io.interactive ? TERMINAL : PLAIN));
  return true;
}
