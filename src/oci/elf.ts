/**
 * Reads the ELF header of a binary (its first bytes) to tell which platform it was built for, so a
 * verify step can catch an amd64 binary in an arm64 image before anyone runs it.
 */
import { ELF_MACHINE, formatPlatform, type Platform } from '../platform.js';

/** Bytes to read from a file to decode its header: an ELF64 header is 64 bytes (ELF32: 52). */
export const ELF_HEADER_SIZE = 64;
/** Bytes below which a file cannot hold the part of an ELF header that names the machine. */
export const MIN_ELF_BYTES = 20;

export interface ElfHeader {
  /** 32- or 64-bit (EI_CLASS). */
  class: 32 | 64;
  /** Byte order (EI_DATA). */
  endianness: 'little' | 'big';
  /** e_machine, e.g. 62 for x86-64, 183 for aarch64. */
  machine: number;
  /** A name for e_machine (`x86-64`, `aarch64`, ...), or `unknown(N)`. */
  machineName: string;
  /** e_type: 2 is an executable, 3 a shared object or position-independent executable. */
  type: number;
  /** EI_OSABI: 0 is System V, which is what Linux binaries usually carry. */
  osAbi: number;
}

/** e_machine values beyond those of the architectures meshbuild builds for. */
const OTHER_MACHINES: Record<number, string> = { 2: 'sparc', 8: 'mips', 20: 'ppc', 43: 'sparcv9', 50: 'ia64', 258: 'loongarch' };

/** Class and byte order each architecture's Linux binaries have, beside ELF_MACHINE's e_machine. */
const ARCH_LAYOUT: Record<string, { class: 32 | 64; endianness: 'little' | 'big' }> = {
  amd64: { class: 64, endianness: 'little' },
  arm64: { class: 64, endianness: 'little' },
  arm: { class: 32, endianness: 'little' },
  '386': { class: 32, endianness: 'little' },
  ppc64le: { class: 64, endianness: 'little' },
  s390x: { class: 64, endianness: 'big' },
  riscv64: { class: 64, endianness: 'little' },
};

function machineName(machine: number): string {
  const known = Object.values(ELF_MACHINE).find((entry) => entry.code === machine);
  return known?.name ?? OTHER_MACHINES[machine] ?? `unknown(${machine})`;
}

/** The ELF header at the start of `bytes`, or undefined when they are not (the start of) an ELF file. */
export function readElfHeader(bytes: Uint8Array): ElfHeader | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MIN_ELF_BYTES || buf[0] !== 0x7f || buf.toString('latin1', 1, 4) !== 'ELF') return undefined;
  const elfClass = buf[4] === 1 ? 32 : buf[4] === 2 ? 64 : undefined;
  const endianness = buf[5] === 1 ? 'little' : buf[5] === 2 ? 'big' : undefined;
  if (elfClass === undefined || endianness === undefined) return undefined;
  const read16 = (offset: number): number => (endianness === 'little' ? buf.readUInt16LE(offset) : buf.readUInt16BE(offset));
  const machine = read16(18);
  return { class: elfClass, endianness, machine, machineName: machineName(machine), type: read16(16), osAbi: buf[7]! };
}

/** `ELF 64-bit little-endian aarch64`, for messages. */
export function describeElf(header: ElfHeader): string {
  return `ELF ${header.class}-bit ${header.endianness}-endian ${header.machineName}`;
}

/** What `checkElfPlatform` found: the header when it matches, a reason for a message when not. */
export type ElfPlatformCheck = { ok: true; header: ElfHeader } | { ok: false; reason: string };

/** Whether `bytes` start an ELF binary for `platform` (os linux; class, byte order and e_machine of its architecture), and if not, why. */
export function checkElfPlatform(bytes: Uint8Array, platform: Platform): ElfPlatformCheck {
  const header = readElfHeader(bytes);
  if (header === undefined) return { ok: false, reason: 'not an ELF binary' };
  const wanted = formatPlatform(platform);
  const machine = ELF_MACHINE[platform.architecture];
  const layout = ARCH_LAYOUT[platform.architecture];
  if (platform.os !== 'linux' || machine === undefined || layout === undefined) {
    return { ok: false, reason: `${describeElf(header)} cannot be checked against ${wanted}: no ELF machine is known for it` };
  }
  if (header.machine !== machine.code || header.class !== layout.class || header.endianness !== layout.endianness) {
    return { ok: false, reason: `${describeElf(header)}, but ${wanted} needs ELF ${layout.class}-bit ${layout.endianness}-endian ${machine.name}` };
  }
  return { ok: true, header };
}

/** True when `bytes` start an ELF binary built for `platform` (see `checkElfPlatform`). */
export function elfMatchesPlatform(bytes: Uint8Array, platform: Platform): boolean {
  return checkElfPlatform(bytes, platform).ok;
}
