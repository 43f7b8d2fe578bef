/**
 * Stages an image's minimal build context (as Istio's docker-builder does) instead of sending
 * the source tree: each binary/artifact at `<arch>/<name>`, each declared file at its path.
 * Binaries are checked against their folder's architecture before anything is built, and files
 * from the source tree may not lead outside it (by `..` or by a symlink).
 */
import { copyFile, link, lstat, mkdir, open, readdir, readlink, realpath, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { stepError, usageError } from '../errors.js';
import { ELF_HEADER_SIZE, checkElfPlatform, readElfHeader } from '../oci/elf.js';
import { isInside } from './inside.js';
import { formatPlatform, type Platform } from '../platform.js';
import type { ContextEntry, ImageBuildJob } from '../plan/types.js';
import { makeTempDir, moveIntoPlace } from '../run/atomic-files.js';

export async function stageContext(job: ImageBuildJob, outDir: string, sourceDir: string): Promise<string> {
  const temp = await makeTempDir(outDir, `context-${job.image}`);
  try {
    for (const entry of job.context) {
      const from = entry.root === 'source' ? await insideSource(entry, sourceDir, job.image) : entry.from;
      const info = await lstat(from).catch(() => undefined);
      if (!info) {
        throw stepError(`image ${job.image}: ${entry.root === 'build' ? 'built file' : 'file'} ${from} is missing`, {
          hint:
            entry.root === 'build'
              ? 'it should have been built first; run again without --binaries-only output removed'
              : 'check the "files" entry of the image in the targets',
        });
      }
      if (entry.platform) await checkElfMachine(from, entry.platform, job.image);
      const destination = path.join(temp, entry.to);
      await checkDestination(temp, destination, entry.to, job.image);
      await copyInto(from, destination, entry.root === 'source' ? sourceDir : undefined);
    }
    await moveIntoPlace(temp, job.contextDir);
    return job.contextDir;
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

async function insideSource(entry: ContextEntry, sourceDir: string, image: string): Promise<string> {
  const root = await realpath(sourceDir);
  const resolved = path.resolve(root, path.relative(sourceDir, entry.from));
  const real = await realpath(resolved).catch(() => resolved);
  if (!isInside(root, resolved) || !isInside(root, real)) {
    throw usageError(`image ${image}: file ${path.relative(sourceDir, entry.from)} leads outside the source tree (${sourceDir})`, {
      hint: 'files of an image must come from the source tree; copy the file into it or declare it with "path" next to the targets file',
    });
  }
  return real;
}

/**
 * A destination must land in the context even through symlinks staged before it (a folder from
 * the source may hold links): its deepest existing folder is resolved before anything is made.
 */
async function checkDestination(context: string, destination: string, to: string, image: string): Promise<void> {
  let existing = path.dirname(destination);
  while (!(await lstat(existing).catch(() => undefined)) && isInside(context, path.dirname(existing))) existing = path.dirname(existing);
  const real = await realpath(existing).catch(() => existing);
  if (!isInside(await realpath(context), real) || !isInside(context, destination)) {
    throw usageError(`image ${image}: file destination "${to}" leads outside the build context (through a symlink staged before it)`, {
      hint: 'give the file a "to" that does not pass through a symlink of the context',
    });
  }
}

/** Hard-links where possible (fast, no copy), copies otherwise; folders recursively. */
async function copyInto(from: string, to: string, confineTo: string | undefined): Promise<void> {
  const info = await lstat(from);
  await mkdir(path.dirname(to), { recursive: true });
  if (info.isDirectory()) {
    await mkdir(to, { recursive: true });
    for (const name of (await readdir(from)).sort()) await copyInto(path.join(from, name), path.join(to, name), confineTo);
  } else if (info.isSymbolicLink()) {
    const target = await readlink(from);
    if (confineTo !== undefined) {
      const resolved = path.resolve(path.dirname(from), target);
      if (!isInside(await realpath(confineTo), resolved)) {
        throw usageError(`symlink ${from} points outside the source tree (${target})`, {
          hint: 'replace the link with the file, or point it inside the source tree',
        });
      }
    }
    await symlink(target, to);
  } else {
    await link(from, to).catch(() => copyFile(from, to));
  }
}

/** Refuses a binary whose ELF machine is not its platform's: the `exec format error` caught early. */
export async function checkElfMachine(file: string, platform: Platform, image: string): Promise<void> {
  if (platform.os !== 'linux') return;
  const handle = await open(file, 'r');
  const header = Buffer.alloc(ELF_HEADER_SIZE);
  try {
    await handle.read(header, 0, ELF_HEADER_SIZE, 0);
  } finally {
    await handle.close();
  }
  if (readElfHeader(header) === undefined) return; // not ELF: scripts and data files are fine
  const check = checkElfPlatform(header, platform);
  if (!check.ok) {
    throw stepError(`image ${image}: ${file} is staged for ${formatPlatform(platform)}, but it is ${check.reason.split(', but')[0]}`, {
      hint: 'an exec format error waiting to happen: rebuild the binary for this platform',
    });
  }
}
