/**
 * Content digests of files, remembered by their stat (size, mtime, ctime, inode) as git's index
 * remembers them: a file whose stat is unchanged is not read again, and one whose stat changed
 * (edited, or restored by a CI cache with new times) is read once more, so what decides is its
 * content, never its time. A file changed within the same clock tick as it was hashed could keep
 * its stat, so such entries are not trusted (racy git).
 */
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../oci/digest.js';
import { writeFileAtomic } from './atomic-files.js';

interface Remembered {
  stat: string;
  digest: string;
}

/** How close to its mtime a hash must have been taken to trust the stat next time. */
const RACY_MS = 2000;

export class FileDigests {
  private entries = new Map<string, Remembered>();
  private changed = false;

  /** `file`: where the digests are kept between runs (under --out); none keeps them for this run only. */
  constructor(private readonly file?: string) {}

  /** Reads what an earlier run remembered; a missing or unreadable file is an empty memory. */
  async load(): Promise<this> {
    if (this.file === undefined) return this;
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, Remembered>;
      this.entries = new Map(Object.entries(parsed));
    } catch {
      this.entries = new Map();
    }
    return this;
  }

  async save(): Promise<void> {
    if (this.file === undefined || !this.changed) return;
    await writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(this.entries)));
    this.changed = false;
  }

  /** `sha256:...` of a file's content, or undefined when it does not exist (or is not a file). */
  async digestOf(file: string): Promise<string | undefined> {
    const info = await lstat(file).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const stat = statKey(info);
    const known = this.entries.get(file);
    if (known?.stat === stat) return known.digest;
    const startedAt = Date.now();
    const { digest } = await sha256File(file);
    if (startedAt - info.mtimeMs > RACY_MS) this.entries.set(file, { stat, digest });
    else this.entries.delete(file);
    this.changed = true;
    return digest;
  }

  /**
   * Records the digest of a file meshbuild itself just wrote and checked (a binary it built, a blob
   * named by its digest), so the next run need not read a large output to trust it. Only for
   * meshbuild's own outputs: nobody edits those within the clock tick after they are written.
   */
  async remember(file: string, digest: string): Promise<void> {
    const info = await lstat(file).catch(() => undefined);
    if (!info?.isFile()) return;
    this.entries.set(file, { stat: statKey(info), digest });
    this.changed = true;
  }

  /**
   * Keeps the remembered digest of one of meshbuild's own outputs whose stat changed only in its
   * change time: staging hard-links a binary into a build context (and unlinks the last one), which
   * touches nothing but the inode's link count, and must not make the next run read it again.
   */
  async keepAfterLinking(file: string): Promise<void> {
    const known = this.entries.get(file);
    const info = await lstat(file).catch(() => undefined);
    if (!known || !info?.isFile()) return;
    const stat = statKey(info);
    if (stat === known.stat || !sameButChangeTime(stat, known.stat)) return;
    this.entries.set(file, { stat, digest: known.digest });
    this.changed = true;
  }

  /**
   * One digest for a file, a symlink or a folder (every entry's relative name, type, mode and
   * content or link target, in name order); `missing` when nothing is there.
   */
  async treeDigest(target: string): Promise<string> {
    const hash = createHash('sha256');
    const visit = async (full: string, relative: string): Promise<void> => {
      const info = await lstat(full).catch(() => undefined);
      if (!info) return void hash.update(`${relative}\0missing\n`);
      const mode = (info.mode & 0o7777).toString(8);
      if (info.isSymbolicLink()) return void hash.update(`${relative}\0link\0${mode}\0${await readlink(full)}\n`);
      if (info.isFile()) return void hash.update(`${relative}\0file\0${mode}\0${await this.digestOf(full)}\n`);
      if (!info.isDirectory()) return void hash.update(`${relative}\0other\0${mode}\n`);
      hash.update(`${relative}\0dir\0${mode}\n`);
      for (const name of (await readdir(full)).sort()) await visit(path.join(full, name), relative === '' ? name : `${relative}/${name}`);
    };
    await visit(target, '');
    return `sha256:${hash.digest('hex')}`;
  }
}

function statKey(info: { size: number; mtimeMs: number; ctimeMs: number; ino: number; mode: number }): string {
  return `${info.size}:${info.mtimeMs}:${info.ctimeMs}:${info.ino}:${info.mode}`;
}

/** Whether two `statKey`s differ at most in the change time (their third field). */
function sameButChangeTime(a: string, b: string): boolean {
  const [x, y] = [a.split(':'), b.split(':')];
  return x.length === y.length && x.every((field, i) => i === 2 || field === y[i]);
}
