/**
 * The state of a Go build's source tree, for deciding whether the build is up to date: the content
 * digest of every file of the tree (in a git checkout, every file git tracks or would track, so
 * ignored files such as Istio's own `out/` never force a relink). Content, not times: a CI cache
 * restores files with new times and unchanged content.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { FileDigests } from '../run/file-digests.js';
import { CommandNotFoundError, queryProcess } from '../run/process.js';

/** Folders never part of a Go build's inputs. */
const IGNORED_DIRS = new Set(['.git', 'node_modules']);

/** How `sourceTreeState` lists a git checkout's files; tests pass a fake. Default: `queryProcess`. */
export type GitRunner = (command: string, args: readonly string[], options: { cwd: string }) => Promise<{ exitCode: number; stdout: string }>;

/**
 * The content digest and mode of every file of the source tree, hashed. In a git checkout these are the
 * files `git ls-files --cached --others --exclude-standard` names (tracked, or untracked and not
 * ignored); elsewhere (no git, not a checkout, or a checkout that lists nothing here) every file
 * under `sourceDir` but `.git` and `node_modules`. Files under an `exclude`d folder (`--out`) never
 * count either way.
 */
export async function sourceTreeState(sourceDir: string, exclude: string[], options: { run?: GitRunner; digests?: FileDigests } = {}): Promise<string> {
  const digests = options.digests ?? new FileDigests();
  const excluded = exclude.map((dir) => path.resolve(dir));
  const isExcluded = (full: string) => excluded.some((dir) => full === dir || full.startsWith(`${dir}${path.sep}`));
  const files = (await gitListedFiles(sourceDir, options.run ?? queryProcess)) ?? (await walkedFiles(sourceDir, isExcluded));
  const hash = createHash('sha256');
  // Files are read a batch at a time (most answer from the digests' memory with one lstat each).
  for (let start = 0; start < files.length; start += 64) {
    const batch = files.slice(start, start + 64).filter((relative) => !isExcluded(path.join(sourceDir, relative)));
    const states = await Promise.all(batch.map((relative) => digests.treeDigest(path.join(sourceDir, relative))));
    batch.forEach((relative, i) => hash.update(`${relative}\0${states[i]}\n`));
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
