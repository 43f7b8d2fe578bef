/**
 * Outputs appear whole or not at all: everything is written under `<out>/.tmp/` (same file
 * system, so rename is atomic) and renamed into place once complete. Ctrl-C leaves only
 * `.tmp/` behind, which the next run clears.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { holdsOutLock, withOutLock } from './out-lock.js';

export function tempRoot(outDir: string): string {
  return path.join(outDir, '.tmp');
}

/** A fresh temp folder under `<out>/.tmp/`. */
export async function makeTempDir(outDir: string, prefix: string): Promise<string> {
  await makeFolder(tempRoot(outDir));
  return mkdtemp(path.join(tempRoot(outDir), `${prefix}-`));
}

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdir never returns for a path under /proc
 * (it retries the ENOENT there forever), this one fails with it.
 */
export async function makeFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
    await makeFolder(parent);
    await mkdir(dir).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}

/** Moves a finished file or folder into place, replacing what was there. */
export async function moveIntoPlace(from: string, to: string): Promise<void> {
  await makeFolder(path.dirname(to));
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A folder cannot be renamed over a non-empty one: move the old one aside first.
    const aside = `${to}.old-${randomBytes(4).toString('hex')}`;
    await rename(to, aside);
    await rename(from, to);
    await rm(aside, { recursive: true, force: true });
  }
}

/** Writes a file by writing a sibling temp file (with `mode`, when given) and renaming it. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
  await makeFolder(path.dirname(file));
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temp, data, options);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Runs `work` holding the lock of --out; the outermost holder clears `<out>/.tmp` before (what an
 * interrupted run left) and after. A nested run (release's builds) leaves it to the outer one.
 */
export async function withOutFolder<T>(outDir: string, work: () => Promise<T>): Promise<T> {
  const outermost = !holdsOutLock(outDir);
  return withOutLock(outDir, async () => {
    if (outermost) await clearTemp(outDir);
    try {
      return await work();
    } finally {
      if (outermost) await clearTemp(outDir);
    }
  });
}

/** Clears leftovers of an interrupted run; only the holder of the --out lock may (another run's temp files live there). */
export async function clearTemp(outDir: string): Promise<void> {
  if (!holdsOutLock(outDir)) throw new Error(`Internal error: clearing ${tempRoot(outDir)} without holding the lock of ${outDir}`);
  await rm(tempRoot(outDir), { recursive: true, force: true });
}
