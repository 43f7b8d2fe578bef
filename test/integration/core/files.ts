/** Temp folders, a copy of the sample, and what a built file's first bytes say it is. */
import { existsSync, readFileSync } from 'node:fs';
import { cp, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '../../support/cli.js';
import { useTempDirs as sharedTempDirs } from '../../support/temp-dirs.js';

export const SAMPLE_SOURCE = path.join(REPO_ROOT, 'examples', 'mesh');

export const useTempDirs = (prefix = 'meshbuild-core-') => sharedTempDirs(prefix);

/** Copies examples/mesh to `dir` (so a test can break it or build it in isolation). */
export async function copySample(dir: string): Promise<string> {
  await cp(SAMPLE_SOURCE, dir, { recursive: true });
  return dir;
}

export async function readHead(file: string, length = 64): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * The ELF e_machine of a little-endian ELF file (62 x86-64, 183 aarch64), after checking it is
 * whole: its section header table, which the linker writes last, must lie inside the file.
 */
export function elfMachine(bytes: Buffer, fileSize: number): number {
  if (bytes.subarray(0, 4).toString('latin1') !== '\x7fELF') throw new Error('not an ELF file');
  if (bytes[4] !== 2 || bytes[5] !== 1) throw new Error('not a 64-bit little-endian ELF file');
  const sectionHeaders = Number(bytes.readBigUInt64LE(0x28));
  const sectionHeaderSize = bytes.readUInt16LE(0x3a);
  const sectionCount = bytes.readUInt16LE(0x3c);
  if (sectionHeaders + sectionHeaderSize * sectionCount > fileSize) throw new Error('truncated ELF file');
  return bytes.readUInt16LE(18);
}

/** 64-bit Mach-O (feedfacf, little-endian) with its CPU type: 0x01000007 x86_64, 0x0100000c arm64. */
export function machOCpu(bytes: Buffer): number {
  if (bytes.readUInt32LE(0) !== 0xfeedfacf) throw new Error('not a 64-bit Mach-O file');
  return bytes.readUInt32LE(4);
}

/** A PE file ("MZ", then "PE\0\0" where e_lfanew points) and its COFF machine (0x8664 amd64). */
export function peMachine(bytes: Buffer): number {
  if (bytes.subarray(0, 2).toString('latin1') !== 'MZ') throw new Error('no MZ header');
  const peOffset = bytes.readUInt32LE(0x3c);
  if (bytes.subarray(peOffset, peOffset + 4).toString('latin1') !== 'PE\0\0') throw new Error('no PE signature');
  return bytes.readUInt16LE(peOffset + 4);
}

/** Every file under `dir` (relative paths), or [] when it does not exist. */
export async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((f) => !isRecord(f))
    .sort();
}

/** meshbuild's up-to-date records (`<out>/.records/`): bookkeeping, not an output; listFiles leaves them out. */
export function isRecord(file: string): boolean {
  return file.startsWith(`.records${path.sep}`);
}

/** arm64 binaries run here through qemu-user, registered with binfmt_misc by scripts/env-up. */
export function requireArm64Emulation(): void {
  const entry = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
  if (!existsSync(entry) || !readFileSync(entry, 'utf8').startsWith('enabled')) {
    throw new Error(
      `${entry} is missing or disabled, so arm64 binaries cannot run on this machine: run scripts/env-up (it registers qemu-aarch64 with binfmt_misc)`,
    );
  }
}
