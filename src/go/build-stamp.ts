/**
 * Skips a `go build` whose inputs have not changed since it last succeeded, as make would: Go
 * caches compiled packages but relinks every binary on every run, which is most of a warm build.
 * The inputs are the Go version, the build's flags and environment, and the size and mtime of
 * every file in the source tree (in a git checkout, every file git tracks or would track, so
 * ignored files such as Istio's own `out/` never force a relink); the outputs must still be the
 * files that build wrote.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../run/atomic-files.js';
import { CommandNotFoundError, runProcess } from '../run/process.js';

/** Folders never part of a Go build's inputs. */
const IGNORED_DIRS = new Set(['.git', 'node_modules']);

export interface StampInputs {
  goVersion: string;
  args: string[];
  env: Record<string, string | undefined>;
  /** The state of the source tree (see `sourceTreeState`), taken once per run. */
  sourceTree: string;
  outputs: string[];
}

interface Stamp {
  fingerprint: string;
  outputs: Record<string, string>;
}

export function stampFile(outDir: string, jobId: string): string {
  return path.join(outDir, '.stamps', `${jobId.replace(/[^a-zA-Z0-9._-]/g, '_')}.json`);
}

/**
 * The fingerprint of a build's inputs, and whether the last successful build with it is still in
 * place. The fingerprint is taken before the build so a file edited while go runs is not stamped.
 */
export async function checkStamp(file: string, inputs: StampInputs): Promise<{ upToDate: boolean; fingerprint: string }> {
  const current = fingerprint(inputs);
  let stamp: Stamp;
  try {
    stamp = JSON.parse(await readFile(file, 'utf8')) as Stamp;
  } catch {
    return { upToDate: false, fingerprint: current };
  }
  if (stamp.fingerprint !== current) return { upToDate: false, fingerprint: current };
  for (const output of inputs.outputs) {
    if (stamp.outputs[output] !== (await fileState(output))) return { upToDate: false, fingerprint: current };
  }
  return { upToDate: true, fingerprint: current };
}

/** Records a successful build under the fingerprint `checkStamp` gave before it. */
export async function writeStamp(file: string, fingerprint: string, outputs: string[]): Promise<void> {
  const states: Record<string, string> = {};
  for (const output of outputs) states[output] = (await fileState(output)) ?? '';
  await writeFileAtomic(file, JSON.stringify({ fingerprint, outputs: states } satisfies Stamp));
}

function fingerprint(inputs: StampInputs): string {
  return createHash('sha256')
    .update(JSON.stringify([inputs.goVersion, inputs.args, Object.entries(inputs.env).sort(), inputs.sourceTree]))
    .digest('hex');
}

/** How `sourceTreeState` lists a git checkout's files; tests pass a fake. Default: `runProcess`. */
export type GitRunner = (command: string, args: readonly string[], options: { cwd: string }) => Promise<{ exitCode: number; stdout: string }>;

/**
 * Size, mtime and mode of every file of the source tree, hashed. In a git checkout these are the
 * files `git ls-files --cached --others --exclude-standard` names (tracked, or untracked and not
 * ignored); elsewhere (no git, not a checkout, or a checkout that lists nothing here) every file
 * under `sourceDir` but `.git` and `node_modules`. Files under an `exclude`d folder (`--out`) never
 * count either way.
 */
export async function sourceTreeState(sourceDir: string, exclude: string[], options: { run?: GitRunner } = {}): Promise<string> {
  const excluded = exclude.map((dir) => path.resolve(dir));
  const isExcluded = (full: string) => excluded.some((dir) => full === dir || full.startsWith(`${dir}${path.sep}`));
  const files = (await gitListedFiles(sourceDir, options.run ?? runProcess)) ?? (await walkedFiles(sourceDir, isExcluded));
  const hash = createHash('sha256');
  for (const relative of files) {
    const full = path.join(sourceDir, relative);
    if (!isExcluded(full)) hash.update(`${relative}\0${await fileState(full)}\n`);
  }
  return hash.digest('hex');
}

/** The files git tracks or would track under `sourceDir` (relative, sorted), or undefined outside a checkout. */
async function gitListedFiles(sourceDir: string, run: GitRunner): Promise<string[] | undefined> {
  let result: { exitCode: number; stdout: string };
  try {
    result = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: sourceDir });
  } catch (error) {
    if (error instanceof CommandNotFoundError) return undefined; // no git: walk the tree
    throw error;
  }
  if (result.exitCode !== 0) return undefined; // not a git checkout
  const files = [...new Set(result.stdout.split('\0').filter((file) => file !== ''))].sort();
  // A source folder git ignores as a whole lists nothing: walk it rather than never rebuild.
  return files.length > 0 ? files.map((file) => file.split('/').join(path.sep)) : undefined;
}

/** Every file under `sourceDir` (relative, sorted by walk order), but `.git`, `node_modules` and excluded folders. */
async function walkedFiles(sourceDir: string, isExcluded: (full: string) => boolean): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!IGNORED_DIRS.has(entry.name) && !isExcluded(full)) await walk(full);
      } else {
        files.push(path.relative(sourceDir, full));
      }
    }
  };
  await walk(sourceDir);
  return files;
}

async function fileState(file: string): Promise<string | undefined> {
  const info = await lstat(file).catch(() => undefined);
  return info ? `${info.size}:${info.mtimeMs}:${info.mode}` : undefined;
}
