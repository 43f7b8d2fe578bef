/**
 * A run with nothing to do, answered before anything else loads. A successful local build (no
 * registry, no download, no Docker; see `cli/stamp-run.ts` for which runs qualify) leaves a stamp
 * under `<out>/.records/runs/`: its exact command line, folder and environment, the stat of every
 * input it could have read (targets, source tree, git state, the go tool, meshbuild itself) and of
 * every output (--out, the layout), and its summary. The same command line finding every stat
 * unchanged would find every job up to date, so it prints that summary again instead; any
 * difference (a file touched, added or removed anywhere under those folders) runs the command
 * normally, whose per-job checks then decide by content.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstChanged, lstatOrUndefined, type Snapshot } from './stat-snapshot.js';
import { LOCK_FILE_NAME } from './out-lock.js';
import { meshbuildVersion } from '../version.js';
import type { RunSummaryView } from '../report/run-summary.js';

export const RUN_STAMP_FORMAT = 1;

/** Commands whose runs can be stamped. */
export const STAMPED_COMMANDS: ReadonlySet<string> = new Set(['all', 'build']);

/** This module's own file: a rebuilt meshbuild rewrites it, so stamps of the old one no longer hold. */
export const OWN_FILE = fileURLToPath(import.meta.url);

export interface RunStamp {
  format: typeof RUN_STAMP_FORMAT;
  key: string;
  /** How many jobs the stamped run found or left up to date. */
  jobs: number;
  /** How the summary was printed: --json, --quiet. */
  json: boolean;
  quiet: boolean;
  view: RunSummaryView;
  entries: Snapshot;
}

/** Shell bookkeeping that changes between identical commands and that nothing meshbuild runs reads. */
const VOLATILE_ENV = new Set(['_', 'OLDPWD']);

/** What makes two runs the same command: arguments, folder, environment, Node and meshbuild. */
export function stampKey(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const environment = Object.entries(env)
    .filter(([name, value]) => value !== undefined && !VOLATILE_ENV.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const identity = [RUN_STAMP_FORMAT, process.version, meshbuildVersion(), argv, cwd, environment];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/**
 * The --out folder of a command line, read without the flag parser (which is most of start-up):
 * `--out DIR` or `--out=DIR`, else `out`. Undefined when it is named more than once. A misreading
 * cannot do harm: the stamp is only written where the parsed --out is this same folder.
 */
export function stampOutDir(argv: readonly string[], cwd: string): string | undefined {
  const values: string[] = [];
  argv.forEach((arg, i) => {
    if (arg === '--out' && argv[i + 1] !== undefined) values.push(argv[i + 1]!);
    else if (arg.startsWith('--out=')) values.push(arg.slice('--out='.length));
  });
  if (values.length > 1) return undefined;
  return path.resolve(cwd, values[0] ?? 'out');
}

export function stampFile(outDir: string, key: string): string {
  return path.join(outDir, '.records', 'runs', `${key.slice(0, 32)}.json`);
}

/**
 * The stamp of this exact command line when nothing it covers changed since, else undefined (the
 * command runs). Also undefined while another run holds --out: it may be changing it.
 */
export function unchangedRun(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): RunStamp | undefined {
  if (!STAMPED_COMMANDS.has(argv[0] ?? '')) return undefined;
  const outDir = stampOutDir(argv, cwd);
  if (outDir === undefined) return undefined;
  const key = stampKey(argv, cwd, env);
  let stamp: RunStamp;
  try {
    stamp = JSON.parse(readFileSync(stampFile(outDir, key), 'utf8')) as RunStamp;
  } catch {
    return undefined;
  }
  if (stamp.format !== RUN_STAMP_FORMAT || stamp.key !== key || typeof stamp.entries !== 'object') return undefined;
  if (lstatOrUndefined(path.join(outDir, LOCK_FILE_NAME)) !== undefined) return undefined;
  return firstChanged(stamp.entries) === undefined ? stamp : undefined;
}
