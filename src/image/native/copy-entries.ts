/**
 * What a COPY/ADD step writes into its layer, with BuildKit's semantics, as tar entries: the
 * sources from the build context, the destination resolved inside the image (its symlinks and
 * folders as the image's layers leave them), and every parent folder written explicitly.
 */
import { lstat, open, readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../../errors.js';
import type { TarInputEntry } from '../../oci/tar-writer.js';
import { isInside } from '../inside.js';
import type { BuildStep } from './build-steps.js';
import type { ImagePaths } from './image-paths.js';

type CopyStep = Extract<BuildStep, { kind: 'copy' }>;

export interface CopyInputs {
  /** The staged build context the sources are read from. */
  contextDir: string;
  /** The Dockerfile, as messages name it. */
  dockerfile: string;
  image: string;
  /** Layer entry times, seconds. */
  mtime: number;
}

/**
 * COPY as BuildKit does it: a folder's contents go into the destination; several sources or a
 * destination ending in `/` make the destination a folder; modes are kept, owners are 0:0 unless
 * --chown; symlinks on the destination path are followed inside the image; a destination folder
 * that exists keeps its mode and owner, a new one is 0755 with the --chown owner; sources must
 * stay inside the build context.
 */
export async function copyEntries(step: CopyStep, workdir: string, paths: ImagePaths, inputs: CopyInputs): Promise<TarInputEntry[]> {
  const root = await realpath(inputs.contextDir);
  const destinationPath = path.posix.resolve(workdir, step.destination);
  // A destination folder the image has takes the file inside it, as in `COPY app /usr/bin`.
  const existingFolder = paths.get(paths.resolve(destinationPath, true))?.type === 'directory';
  const intoFolder = step.destination.endsWith('/') || step.sources.length > 1 || existingFolder;
  const { mtime, dockerfile } = inputs;
  const owner = step.chown ?? { uid: 0, gid: 0 };
  const entries: TarInputEntry[] = [];
  for (const source of step.sources) {
    const resolved = path.resolve(root, source.replace(/^\/+/, ''));
    const real = await realpath(resolved).catch(() => undefined);
    if (!isInside(root, resolved) || (real !== undefined && !isInside(root, real))) {
      throw usageError(`${dockerfile}:${step.line}: COPY source ${source} is outside the build context`, {
        hint: 'COPY can only take files staged into the image context (binaries, artifacts and the image\'s "files")',
      });
    }
    if (real === undefined)
      throw usageError(`${dockerfile}:${step.line}: COPY source ${source} is not in the build context of image ${inputs.image}`, {
        hint: "add it to the image's binaries, artifacts or files in the targets",
      });
    const info = await lstat(real);
    const mode = (m: number) => step.chmod ?? m & 0o7777;
    const destination = `/${paths.resolve(destinationPath, intoFolder || info.isDirectory())}`;
    if (info.isDirectory()) {
      if (destination !== '/') entries.push(directoryEntry(destination, paths, owner, mtime));
      await walk(real, destination, entries, root, { mode, owner, mtime });
    } else {
      if (step.text.startsWith('ADD ') && (await isArchive(real))) {
        throw usageError(`${dockerfile}:${step.line}: ADD ${source} is an archive, which BuildKit would unpack; the native builder does not`, {
          hint: 'use COPY to copy it as it is, or --builder buildx to unpack it',
        });
      }
      const target = intoFolder ? path.posix.join(destination, path.basename(source)) : destination;
      entries.push({ type: 'file', path: target, source: real, mode: mode(info.mode), uid: owner.uid, gid: owner.gid, mtime });
    }
  }
  return entries;
}

async function walk(
  dir: string,
  destination: string,
  entries: TarInputEntry[],
  root: string,
  meta: { mode: (m: number) => number; owner: { uid: number; gid: number }; mtime: number },
): Promise<void> {
  for (const name of (await readdir(dir)).sort()) {
    const full = path.join(dir, name);
    const target = path.posix.join(destination, name);
    const info = await lstat(full);
    const common = { path: target, uid: meta.owner.uid, gid: meta.owner.gid, mtime: meta.mtime };
    if (info.isDirectory()) {
      entries.push({ type: 'directory', mode: meta.mode(info.mode), ...common });
      await walk(full, target, entries, root, meta);
    } else if (info.isSymbolicLink()) {
      const link = await readlink(full);
      if (!isInside(root, path.resolve(dir, link))) throw usageError(`symlink ${path.relative(root, full)} in the build context points outside it (${link})`);
      entries.push({ type: 'symlink', target: link, ...common });
    } else {
      entries.push({ type: 'file', source: full, mode: meta.mode(info.mode), ...common });
    }
  }
}

/** A folder a layer writes: as the image has it already, or new (0755, `owner`). */
function directoryEntry(dir: string, paths: ImagePaths, owner: { uid: number; gid: number }, mtime: number): TarInputEntry {
  const existing = paths.get(normal(dir));
  if (existing?.type === 'directory') return { type: 'directory', path: dir, mode: existing.mode, uid: existing.uid, gid: existing.gid, mtime };
  return { type: 'directory', path: dir, mode: 0o755, uid: owner.uid, gid: owner.gid, mtime };
}

/**
 * `entries` with every parent folder written explicitly, as BuildKit's layer diffs have them:
 * one the image has keeps its mode and owner (an implicit 0755 root:root parent would replace
 * them), a new one belongs to `owner` (the --chown or USER owner).
 */
export function withParents(entries: TarInputEntry[], paths: ImagePaths, owner: { uid: number; gid: number }, mtime: number): TarInputEntry[] {
  const written = new Set(entries.map((e) => normal(e.path)));
  const parents: TarInputEntry[] = [];
  for (const entry of entries) {
    for (let dir = path.posix.dirname(`/${normal(entry.path)}`); dir !== '/'; dir = path.posix.dirname(dir)) {
      if (written.has(normal(dir))) break;
      written.add(normal(dir));
      parents.push(directoryEntry(dir, paths, owner, mtime));
    }
  }
  return [...parents, ...entries];
}

/** Whether a file starts like what ADD unpacks: tar, or tar under gzip, bzip2, xz or zstd. */
async function isArchive(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(262);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const starts = (...bytes: number[]) => bytesRead >= bytes.length && bytes.every((b, i) => head[i] === b);
    return (
      starts(0x1f, 0x8b) ||
      starts(0x42, 0x5a, 0x68) ||
      starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00) ||
      starts(0x28, 0xb5, 0x2f, 0xfd) ||
      (bytesRead >= 262 && head.toString('latin1', 257, 262) === 'ustar')
    );
  } finally {
    await handle.close();
  }
}

/** A path inside an image, without leading or trailing slashes. */
export function normal(p: string): string {
  return p.replace(/^\/+/, '').replace(/\/+$/, '');
}
