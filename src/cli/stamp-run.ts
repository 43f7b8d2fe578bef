/**
 * After a successful `all`/`build`: the stamp that lets the same command line, run again with
 * nothing changed, answer at once (`run/run-stamp.ts`). Only runs whose every input is a local
 * file qualify: no registry (no --push, no registry or Docker base), no download, no Docker
 * Engine (buildx), no report or trace file to write again. Inputs changed within two seconds of
 * the run's start, or during it, leave no stamp: a stat could then hide a later edit.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { tempRoot, writeFileAtomic } from '../run/atomic-files.js';
import { LOCK_FILE_NAME, withOutLock } from '../run/out-lock.js';
import { recordsDir } from '../run/job-records.js';
import { OWN_FILE, RUN_STAMP_FORMAT, STAMPED_COMMANDS, stampFile, stampKey, stampOutDir, type RunStamp } from '../run/run-stamp.js';
import { SnapshotBuilder } from '../run/stat-snapshot.js';
import type { Plan } from '../plan/types.js';
import type { RunSummaryView } from '../report/run-summary.js';
import type { BuildFlags } from './flags.js';

/** As in the file digests' memory: how long after a change a stat is trusted to show the next one. */
const RACY_MS = 2000;

export interface StampedRun {
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** When the command started (ms since 1970), before it read anything. */
  startedAt: number;
  plan: Plan;
  flags: BuildFlags;
  /** Whether the run asked anything outside the file system (a registry base, the Docker Engine). */
  usedOutside: boolean;
  view: RunSummaryView;
}

/** Why this run leaves no stamp, or undefined when it can. Pure. */
export function unstampableReason(run: Omit<StampedRun, 'view'>): string | undefined {
  const { argv, cwd, env, plan, flags } = run;
  if (!STAMPED_COMMANDS.has(argv[0] ?? '')) return 'not all or build';
  if (flags.report !== undefined || flags.trace !== undefined) return 'it writes a report or trace';
  if (env.GITHUB_ACTIONS === 'true' || env.GITHUB_STEP_SUMMARY) return 'GitHub Actions gets a step summary';
  if (plan.output !== null && plan.output.kind !== 'oci' && plan.output.kind !== 'tar') return `images go to ${plan.output.kind}`;
  if (plan.jobs.some((job) => job.kind === 'fetch')) return 'it downloads';
  if (plan.jobs.some((job) => job.kind === 'image-build' && job.builder !== 'native')) return 'buildx builds';
  if (run.usedOutside) return 'it read a base image from outside';
  if (stampOutDir(argv, cwd) !== plan.outDir) return 'its --out is not read the same way';
  // Without --source, a folder that is no mesh tree builds the bundled sample, said in a note.
  if (flags.source === undefined && plan.sourceDir !== cwd) return 'it built the bundled sample';
  return undefined;
}

/** Everything the run could have read: targets, source tree, git state, tools, meshbuild; undefined when that cannot be known. */
function inputs(run: Omit<StampedRun, 'view'>): SnapshotBuilder | undefined {
  const { plan, flags, cwd, env } = run;
  const snapshot = new SnapshotBuilder();
  const written = new Set([plan.outDir, ...(plan.output?.kind === 'oci' || plan.output?.kind === 'tar' ? [plan.output.dir] : [])]);
  snapshot.addTree(path.resolve(cwd, flags.targets), { skip: written });
  snapshot.addTree(plan.sourceDir, { skip: new Set([...written, path.join(plan.sourceDir, '.git')]) });
  if (!addGitState(snapshot, plan.sourceDir, env)) return undefined;
  // What `chooseSourceDir` looks at in the current folder.
  if (flags.source === undefined) for (const name of ['', 'meshbuild.yaml', 'go.mod', 'Makefile.core.mk', 'pilot/cmd']) snapshot.add(path.join(cwd, name));
  if (plan.jobs.some((job) => job.kind === 'go-build')) snapshot.addTool('go', env);
  snapshot.add(OWN_FILE);
  return snapshot;
}

/**
 * What git answers for the tree (describe, status, the commit) depends on: the nearest `.git`
 * folder's HEAD, index, refs and config, and the user's git config. No `.git` anywhere up the
 * tree is recorded too: one made later would change those answers.
 */
function addGitState(snapshot: SnapshotBuilder, sourceDir: string, env: NodeJS.ProcessEnv): boolean {
  if (env.HOME) snapshot.add(path.join(env.HOME, '.gitconfig'));
  for (let dir = sourceDir; ; dir = path.dirname(dir)) {
    const dotGit = path.join(dir, '.git');
    const info = snapshot.add(dotGit);
    if (info?.isDirectory()) {
      for (const name of ['HEAD', 'index', 'packed-refs', 'config', 'info/exclude']) snapshot.add(path.join(dotGit, name));
      snapshot.addTree(path.join(dotGit, 'refs'));
      return true;
    }
    // A `.git` file (a worktree, a submodule) names a git folder elsewhere: not followed, no stamp.
    if (info) return false;
    if (path.dirname(dir) === dir) return true;
  }
}

/** Everything the run wrote: --out (but its bookkeeping) and the image layout. */
function outputs(plan: Plan): SnapshotBuilder {
  const snapshot = new SnapshotBuilder();
  const skip = new Set([recordsDir(plan.outDir), tempRoot(plan.outDir), path.join(plan.outDir, LOCK_FILE_NAME)]);
  snapshot.addTree(plan.outDir, { skip, folders: false });
  if (plan.output?.kind === 'oci' || plan.output?.kind === 'tar') snapshot.addTree(plan.output.dir, { skip, folders: false });
  return snapshot;
}

/** Writes the run's stamp when it qualifies; says why not otherwise (for --verbose). */
export async function stampRun(run: StampedRun): Promise<string | undefined> {
  const reason = unstampableReason(run);
  if (reason !== undefined) return reason;
  // Taken holding --out (the run's own hold when it is still running), so that no other run writes there meanwhile.
  return withOutLock(run.plan.outDir, async () => {
    const read = inputs(run);
    if (!read) return 'its git folder is elsewhere (a worktree or submodule)';
    if (read.latestChangeMs >= run.startedAt - RACY_MS) return 'an input changed just before or during the run';
    const key = stampKey(run.argv, run.cwd, run.env);
    const stamp: RunStamp = {
      format: RUN_STAMP_FORMAT,
      key,
      jobs: run.plan.jobs.length,
      json: run.flags.json ?? false,
      quiet: run.flags.quiet ?? false,
      view: run.view,
      entries: { ...read.entries, ...outputs(run.plan).entries },
    };
    const file = stampFile(run.plan.outDir, key);
    await writeFileAtomic(file, JSON.stringify(stamp));
    await pruneStamps(path.dirname(file), path.basename(file));
    return undefined;
  });
}

/** Stamps kept per --out: one per command line, the most recently written first. */
export const KEPT_STAMPS = 8;

/** Removes all but the `KEPT_STAMPS` newest stamps (each distinct command line leaves one), and any a cut-short write left. */
async function pruneStamps(dir: string, written: string): Promise<void> {
  const names = await readdir(dir);
  const stamps = await Promise.all(names.map(async (name) => ({ name, mtimeMs: (await lstat(path.join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
  // The one just written first, whatever the clock's resolution says.
  const byAge = stamps.filter((s) => s.name.endsWith('.json')).sort((a, b) => Number(b.name === written) - Number(a.name === written) || b.mtimeMs - a.mtimeMs);
  const stale = [...byAge.slice(KEPT_STAMPS), ...stamps.filter((s) => !s.name.endsWith('.json'))];
  await Promise.all(stale.map((s) => rm(path.join(dir, s.name), { force: true })));
}
