/**
 * The stat of every entry under a few folders (and of single paths), as `path -> key`: the kind,
 * size, nanosecond times, inode and mode, or `missing`. Equal keys mean the entry was neither
 * written, replaced nor removed; a folder's key also changes when an entry is added to it or taken
 * out. Synchronous on purpose: it is the whole work of a run with nothing to do, and a thousand
 * `lstatSync` calls cost less than the promises around them.
 */
import { lstatSync, readdirSync, realpathSync, type BigIntStats } from 'node:fs';
import path from 'node:path';

export type Snapshot = Record<string, string>;

export const MISSING = 'missing';

function keyOf(info: BigIntStats | undefined): string {
  if (!info) return MISSING;
  const kind = info.isDirectory() ? 'd' : info.isFile() ? 'f' : info.isSymbolicLink() ? 'l' : 'o';
  return `${kind}:${info.size}:${info.mtimeNs}:${info.ctimeNs}:${info.ino}:${info.mode}`;
}

/** The path's lstat, or undefined when nothing is there. */
export function lstatOrUndefined(file: string): BigIntStats | undefined {
  try {
    return lstatSync(file, { bigint: true });
  } catch {
    return undefined;
  }
}

/** Collects a snapshot, and the latest change time (ms) among what it saw. */
export class SnapshotBuilder {
  readonly entries: Snapshot = {};
  latestChangeMs = 0;

  /** One path, followed by nothing (a link is recorded as a link). */
  add(file: string): BigIntStats | undefined {
    return this.record(file, lstatOrUndefined(file));
  }

  private record(file: string, info: BigIntStats | undefined): BigIntStats | undefined {
    this.entries[file] = keyOf(info);
    if (info) this.latestChangeMs = Math.max(this.latestChangeMs, Number(info.ctimeNs / 1_000_000n), Number(info.mtimeNs / 1_000_000n));
    return info;
  }

  /**
   * `root` and everything under it but the `skip`ped paths (absolute); links are not followed.
   * `folders: false` leaves the folders' own stats out (outputs: what matters is that each file is
   * still there, not what else was added beside it).
   */
  addTree(root: string, options: { skip?: ReadonlySet<string>; folders?: boolean } = {}): void {
    if (options.skip?.has(root)) return;
    const info = lstatOrUndefined(root);
    if (!info?.isDirectory() || options.folders !== false) this.record(root, info);
    if (!info?.isDirectory()) return;
    for (const name of readdirSync(root)) this.addTree(path.join(root, name), options);
  }

  /** The executable `name` would run as found on `PATH`, by its real path; undefined when there is none. */
  addTool(name: string, env: NodeJS.ProcessEnv): string | undefined {
    for (const dir of (env.PATH ?? '').split(path.delimiter)) {
      if (dir === '') continue;
      const candidate = path.join(dir, name);
      const info = lstatOrUndefined(candidate);
      this.entries[candidate] = keyOf(info);
      if (!info) continue;
      try {
        const real = realpathSync(candidate);
        this.add(real);
        return real;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}

/** The first path whose stat differs from the snapshot's, or undefined when none does. */
export function firstChanged(snapshot: Snapshot): string | undefined {
  for (const [file, key] of Object.entries(snapshot)) {
    if (keyOf(lstatOrUndefined(file)) !== key) return file;
  }
  return undefined;
}
