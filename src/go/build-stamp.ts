/**
 * Skips a `go build` whose inputs have not changed since it last succeeded, as make would: Go
 * caches compiled packages but relinks every binary on every run, which is most of a warm build.
 * The inputs are the Go version, the build's flags and environment, and the size and mtime of
 * every file in the source tree; the outputs must still be the files that build wrote.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../run/atomic-files.js';

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

/** Size, mtime and mode of every file under `sourceDir` (but `exclude`d folders), hashed. */
export async function sourceTreeState(sourceDir: string, exclude: string[]): Promise<string> {
  const hash = createHash('sha256');
  const excluded = exclude.map((dir) => path.resolve(dir));
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!IGNORED_DIRS.has(entry.name) && !excluded.includes(full)) await walk(full);
      } else {
        hash.update(`${path.relative(sourceDir, full)}\0${await fileState(full)}\n`);
      }
    }
  };
  await walk(sourceDir);
  return hash.digest('hex');
}

async function fileState(file: string): Promise<string | undefined> {
  const info = await lstat(file).catch(() => undefined);
  return info ? `${info.size}:${info.mtimeMs}:${info.mode}` : undefined;
}
