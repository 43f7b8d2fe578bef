/**
 * A small deterministic zip writer for release archives (istioctl for Windows): the same entries
 * give the same bytes on any host with the same zlib. Entries are sorted by name, deflated
 * (zlib deflateRaw, fixed level), stamped with the DOS epoch 1980-01-01 00:00 (zip cannot say
 * 1970: this is its "mtime 0"), with Unix permissions in the external attributes and no extra
 * fields, comments or data descriptors. No zip64: entries and archives stay under 4 GiB.
 */
import { crc32, deflateRawSync } from 'node:zlib';
import { usageError } from '../errors.js';

export interface ZipEntry {
  /** Path inside the archive, `/`-separated, relative. */
  name: string;
  data: Buffer;
  /** Unix permission bits. Default 0o644. */
  mode?: number;
}

/** Deflate level: zlib's maximum, for archives that are written once and downloaded often. */
export const ZIP_DEFLATE_LEVEL = 9;

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
/** 2.0: deflate. */
const VERSION_NEEDED = 20;
/** Made by Unix (3) with spec 2.0, so readers take permissions from the external attributes. */
const VERSION_MADE_BY = (3 << 8) | VERSION_NEEDED;
const METHOD_DEFLATE = 8;
const DOS_TIME = 0;
/** 1980-01-01: ((1980 - 1980) << 9) | (month 1 << 5) | day 1. */
const DOS_DATE = (1 << 5) | 1;
const S_IFREG = 0o100000;
const MAX_UINT32 = 0xffffffff;

/** The bytes of a zip archive holding `entries`. */
export function encodeZip(entries: readonly ZipEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [i, entry] of sorted.entries()) {
    const name = Buffer.from(checkName(entry.name), 'utf8');
    if (i > 0 && sorted[i - 1]!.name === entry.name) throw usageError(`zip: "${entry.name}" is listed twice`);
    const compressed = deflateRawSync(entry.data, { level: ZIP_DEFLATE_LEVEL });
    if (entry.data.length > MAX_UINT32 || compressed.length > MAX_UINT32 || offset > MAX_UINT32) {
      throw usageError(`zip: "${entry.name}" does not fit a zip without zip64 (4 GiB)`);
    }
    const fields = { crc: crc32(entry.data), compressedSize: compressed.length, size: entry.data.length, nameLength: name.length };

    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    writeCommon(local, 6, fields);
    parts.push(local, name, compressed);

    const header = Buffer.alloc(46);
    header.writeUInt32LE(CENTRAL_HEADER, 0);
    header.writeUInt16LE(VERSION_MADE_BY, 4);
    header.writeUInt16LE(VERSION_NEEDED, 6);
    writeCommon(header, 8, fields);
    // comment length, disk number start, internal attributes: 0 (Buffer.alloc zero-fills)
    header.writeUInt32LE((((entry.mode ?? 0o644) & 0o7777) | S_IFREG) * 0x10000, 38);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);

    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

/** Flags, method, time, date, CRC, sizes and name length: the same run of fields in both headers. */
function writeCommon(buffer: Buffer, at: number, fields: { crc: number; compressedSize: number; size: number; nameLength: number }): void {
  buffer.writeUInt16LE(0, at); // flags: none
  buffer.writeUInt16LE(METHOD_DEFLATE, at + 2);
  buffer.writeUInt16LE(DOS_TIME, at + 4);
  buffer.writeUInt16LE(DOS_DATE, at + 6);
  buffer.writeUInt32LE(fields.crc, at + 8);
  buffer.writeUInt32LE(fields.compressedSize, at + 12);
  buffer.writeUInt32LE(fields.size, at + 16);
  buffer.writeUInt16LE(fields.nameLength, at + 20);
  buffer.writeUInt16LE(0, at + 22); // extra field length
}

function checkName(name: string): string {
  if (name === '' || name.startsWith('/') || name.includes('\\') || name.split('/').some((part) => part === '..' || part === '' || part === '.')) {
    throw usageError(`zip: "${name}" is not a relative path inside the archive`);
  }
  if (!/^[\x20-\x7e]+$/.test(name)) throw usageError(`zip: "${name}" must be printable ASCII (no UTF-8 flag is written)`);
  return name;
}
