/** What a test sees of the process tree through /proc (Linux): children, descendants, command lines. */
import { readdirSync, readFileSync } from 'node:fs';

/** The command line of a live process, or undefined once it is gone (or a zombie, whose cmdline is empty). */
export function commandLine(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return text === '' ? undefined : text.split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/** Direct children of `pid` (all its threads'). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Every live descendant of `pid`, with its command line. */
export function descendantsOf(pid: number): Array<{ pid: number; command: string }> {
  const found: Array<{ pid: number; command: string }> = [];
  const queue = childrenOf(pid);
  while (queue.length > 0) {
    const next = queue.shift()!;
    const command = commandLine(next);
    if (command === undefined) continue;
    found.push({ pid: next, command });
    queue.push(...childrenOf(next));
  }
  return found;
}

/** The processes of `before` still alive with the same command line (a reused pid is not a leftover). */
export function stillRunning(before: Array<{ pid: number; command: string }>): Array<{ pid: number; command: string }> {
  return before.filter((p) => commandLine(p.pid) === p.command);
}

/** Every live process whose command line contains `text` (e.g. an out/ folder a go build writes to). */
export function processesMentioning(text: string): Array<{ pid: number; command: string }> {
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSyncSafe('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const command = commandLine(Number(entry));
    if (command?.includes(text)) found.push({ pid: Number(entry), command });
  }
  return found;
}

function readdirSyncSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Polls `check` every 100 ms until it returns a value; the test's own timeout is the hang catcher. */
export async function waitFor<T>(check: () => T | undefined | false, what: string, isOver: () => boolean = () => false): Promise<T> {
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (isOver()) throw new Error(`gave up waiting for ${what}: the process ended first`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
