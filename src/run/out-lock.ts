/**
 * One run per output folder: `<out>/.lock` holds the pid of the run that writes there, made with
 * the `wx` flag so that exactly one of two racing runs gets it. A second run is refused (exit 2,
 * naming the holder); the lock of a process that no longer exists is taken over. Before the lock,
 * `--out` itself is checked, so that an unusable value is one message rather than a stack trace
 * (or, under /proc, a recursive mkdir that never returns).
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { link, lstat, mkdir, open, readFile, realpath, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { usageError } from '../errors.js';

export const LOCK_FILE_NAME = '.lock';

/** Kernel file systems: nothing meshbuild writes belongs there, and mkdir under /proc spins. */
const SYSTEM_FOLDERS = ['/proc', '/sys', '/dev'];

/** Locks this process holds, by resolved folder, with how many callers share each (nested runs). */
const held = new Map<string, { count: number; file: string }>();

/** Runs `work` holding the lock of `outDir` (made if missing); a nested call in this process shares it. */
export async function withOutLock<T>(outDir: string, work: () => Promise<T>): Promise<T> {
  const release = await acquireOutLock(outDir);
  try {
    return await work();
  } finally {
    await release();
  }
}

/** Whether this process holds the lock of `outDir`. */
export function holdsOutLock(outDir: string): boolean {
  return held.has(path.resolve(outDir));
}

/** Takes the lock of `outDir` (checking and making the folder first); resolves to its release. */
export async function acquireOutLock(outDir: string): Promise<() => Promise<void>> {
  const dir = path.resolve(outDir);
  const mine = held.get(dir);
  if (mine) {
    mine.count += 1;
    return () => releaseOnce(dir);
  }
  await prepareOutDir(dir);
  const file = path.join(dir, LOCK_FILE_NAME);
  for (let attempt = 0; ; attempt += 1) {
    const holder = await tryCreate(file, dir);
    if (holder === undefined) break;
    // Our own pid in a lock we do not hold: left by an earlier run in this process, so stale.
    if (holder.pid !== undefined && holder.pid !== process.pid && isAlive(holder.pid)) throw inUse(dir, holder.pid);
    if (attempt >= 3) throw inUse(dir, holder.pid);
    await takeOver(file, holder.text, dir);
  }
  held.set(dir, { count: 1, file });
  if (held.size === 1) process.on('exit', releaseAllOnExit);
  return () => releaseOnce(dir);
}

async function releaseOnce(dir: string): Promise<void> {
  const lock = held.get(dir);
  if (!lock) return;
  lock.count -= 1;
  if (lock.count > 0) return;
  held.delete(dir);
  if (held.size === 0) process.off('exit', releaseAllOnExit);
  if ((await readFile(lock.file, 'utf8').catch(() => '')).trim() === String(process.pid)) await rm(lock.file, { force: true });
}

/** `process.exit()` from anywhere (a reporter, a library) still leaves no lock behind. */
function releaseAllOnExit(): void {
  for (const { file } of held.values()) {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  }
  held.clear();
}

/** Creates the lock file; undefined when it is ours, else what the existing one says. */
async function tryCreate(file: string, dir: string): Promise<{ pid: number | undefined; text: string } | undefined> {
  try {
    const handle = await open(file, 'wx');
    try {
      await handle.writeFile(`${process.pid}\n`);
    } finally {
      await handle.close();
    }
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') throw unusable(dir, `cannot write in it (${describeCode(code, error)})`);
  }
  // 'wx' creates the file before its pid is written: an empty lock may be a run starting right now.
  let text = '';
  for (let read = 0; read < 5 && text.trim() === ''; read += 1) {
    if (read > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    text = await readFile(file, 'utf8').catch(() => '');
  }
  const pid = /^\s*(\d+)\s*$/.test(text) ? Number(text.trim()) : undefined;
  return { pid, text };
}

/**
 * Moves a stale lock aside (atomically, so two runs taking over at once cannot both win); if what
 * was moved is not the stale lock read a moment ago, another run has just taken it: put it back.
 */
async function takeOver(file: string, staleText: string, dir: string): Promise<void> {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(file, aside);
  } catch {
    return; // gone already: try again
  }
  const moved = await readFile(aside, 'utf8').catch(() => staleText);
  if (moved !== staleText) {
    await link(aside, file).catch(() => undefined);
    await rm(aside, { force: true });
    const pid = Number(moved.trim());
    throw inUse(dir, Number.isInteger(pid) ? pid : undefined);
  }
  await rm(aside, { force: true });
}

/** `kill(pid, 0)`: ESRCH means no such process; EPERM means it exists (another user's). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes sure `dir` can be the output folder: not under /proc, /sys or /dev, not under a regular
 * file, creatable. Folders are made one level at a time (a recursive mkdir can spin forever on a
 * kernel file system).
 */
export async function prepareOutDir(dir: string, flag = '--out'): Promise<void> {
  const system = (p: string) => SYSTEM_FOLDERS.some((root) => p === root || p.startsWith(`${root}/`));
  if (system(dir)) throw unusable(dir, 'is in a kernel file system', flag);
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    const info = await lstat(existing).catch((error: NodeJS.ErrnoException) => error);
    if (!(info instanceof Error)) break;
    if (info.code !== 'ENOENT' && info.code !== 'ENOTDIR') throw unusable(dir, `cannot be checked (${describeCode(info.code, info)} at ${existing})`, flag);
    missing.unshift(existing);
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  const real = await realpath(existing).catch(() => existing);
  if (system(real)) throw unusable(dir, `leads into a kernel file system (${real})`, flag);
  const info = await lstat(real).catch(() => undefined);
  if (info && !info.isDirectory())
    throw unusable(dir, existing === dir ? 'is a file, not a folder' : `is under ${existing}, which is a file, not a folder`, flag);
  for (const folder of missing) {
    await mkdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw unusable(dir, `cannot be made (${describeCode(error.code, error)} at ${folder})`, flag);
    });
  }
}

function describeCode(code: string | undefined, error: unknown): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return code ?? (error instanceof Error ? error.message : String(error));
  }
}

function unusable(dir: string, problem: string, flag = '--out') {
  return usageError(`${flag}: ${dir} ${problem}`, { hint: `point ${flag} at a folder you can write to (it is made if missing)` });
}

function inUse(dir: string, pid: number | undefined) {
  return usageError(`--out: ${dir} is in use by another meshbuild run${pid !== undefined ? ` (pid ${pid})` : ''}`, {
    hint: `wait for that run to end, or use another --out; if no such run exists, delete ${path.join(dir, LOCK_FILE_NAME)}`,
  });
}
