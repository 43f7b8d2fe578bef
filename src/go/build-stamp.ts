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
  sourceDir: string;
  /** Folders inside the source tree to leave out (meshbuild's own --out, when it lies there). */
  exclude: string[];
  outputs: string[];
}

interface Stamp {
  fingerprint: string;
  outputs: Record<string, string>;
}

export function stampFile(outDir: string, jobId: string): string {
  return path.join(outDir, '.stamps', `${jobId.replace(/[^a-zA-Z0-9._-]/g, '_')}.json`);
}

/** Whether the last successful build with these inputs is still in place. */
export async function isUpToDate(file: string, inputs: StampInputs): Promise<boolean> {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(await readFile(file, 'utf8')) as Stamp;
  } catch {
    return false;
  }
  if (stamp.fingerprint !== (await fingerprint(inputs))) return false;
  for (const output of inputs.outputs) {
    if (stamp.outputs[output] !== (await fileState(output))) return false;
  }
  return true;
}

/** Records a successful build. */
export async function writeStamp(file: string, inputs: StampInputs): Promise<void> {
  const outputs: Record<string, string> = {};
  for (const output of inputs.outputs) outputs[output] = (await fileState(output)) ?? '';
  await writeFileAtomic(file, JSON.stringify({ fingerprint: await fingerprint(inputs), outputs } satisfies Stamp));
}

async function fingerprint(inputs: StampInputs): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([inputs.goVersion, inputs.args, Object.entries(inputs.env).sort()]));
  const excluded = inputs.exclude.map((dir) => path.resolve(dir));
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!IGNORED_DIRS.has(entry.name) && !excluded.includes(full)) await walk(full);
      } else {
        hash.update(`${path.relative(inputs.sourceDir, full)}\0${await fileState(full)}\n`);
      }
    }
  };
  await walk(inputs.sourceDir);
  return hash.digest('hex');
}

async function fileState(file: string): Promise<string | undefined> {
  const info = await lstat(file).catch(() => undefined);
  return info ? `${info.size}:${info.mtimeMs}:${info.mode}` : undefined;
}
