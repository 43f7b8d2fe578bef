/**
 * The tar header format shared by the writer and the reader: 512-byte POSIX ustar headers, PAX
 * extended-header records, and the GNU base-256 numbers some writers use for large values.
 */

/** Tar's unit: headers are one block, content is padded to whole blocks. */
export const BLOCK_SIZE = 512;

/** Kinds of entries a layer holds. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo';

/** ustar typeflags meshbuild writes or reads. */
export const TYPEFLAG = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  charDevice: '3',
  blockDevice: '4',
  directory: '5',
  fifo: '6',
  contiguousFile: '7',
  paxLocal: 'x',
  paxGlobal: 'g',
  gnuLongName: 'L',
  gnuLongLink: 'K',
  gnuSparse: 'S',
  gnuDumpDir: 'D',
} as const;

/** The fields of one ustar header, before any PAX override. */
export interface UstarFields {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
}

/** Largest value an 11-digit octal field (size, mtime) holds. */
export const MAX_OCTAL_11 = 0o77777777777;
/** Largest value a 7-digit octal field (uid, gid) holds. */
export const MAX_OCTAL_7 = 0o7777777;
/** Longest name or linkname a ustar header holds without the prefix field or PAX. */
export const USTAR_NAME_LENGTH = 100;

// Field offsets and lengths of the ustar header (POSIX.1-1988 as amended by POSIX.1-2001).
const NAME = [0, 100] as const;
const MODE = [100, 8] as const;
const UID = [108, 8] as const;
const GID = [116, 8] as const;
const SIZE = [124, 12] as const;
const MTIME = [136, 12] as const;
const CHKSUM = [148, 8] as const;
const TYPEFLAG_OFFSET = 156;
const LINKNAME = [157, 100] as const;
const MAGIC = [257, 6] as const;
const VERSION = [263, 2] as const;
const UNAME = [265, 32] as const;
const GNAME = [297, 32] as const;
const PREFIX = [345, 155] as const;

/** Bytes of zero padding that follow `size` bytes of content to fill the last block. */
export function paddingFor(size: number): number {
  const rest = size % BLOCK_SIZE;
  return rest === 0 ? 0 : BLOCK_SIZE - rest;
}

/** True when the text fits a ustar byte field as-is: ASCII and at most `length` bytes. */
export function fitsUstarField(text: string, length: number): boolean {
  return text.length <= length && /^[\x01-\x7f]*$/.test(text);
}

function writeText(block: Buffer, [offset, length]: readonly [number, number], text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  bytes.copy(block, offset, 0, Math.min(bytes.length, length));
}

/** Octal, zero-padded, NUL-terminated; a value that does not fit is written as 0 (PAX carries it). */
function writeOctal(block: Buffer, [offset, length]: readonly [number, number], value: number): void {
  const digits = length - 1;
  const text = value.toString(8);
  writeText(block, [offset, length], text.length > digits ? '0'.repeat(digits) : text.padStart(digits, '0'));
}

/** Encodes one 512-byte ustar header; text fields longer than their slot are cut (PAX carries them). */
export function encodeUstarHeader(fields: UstarFields): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  writeText(block, NAME, fields.name);
  writeOctal(block, MODE, fields.mode);
  writeOctal(block, UID, fields.uid);
  writeOctal(block, GID, fields.gid);
  writeOctal(block, SIZE, fields.size);
  writeOctal(block, MTIME, fields.mtime);
  block.write(fields.typeflag, TYPEFLAG_OFFSET, 'latin1');
  writeText(block, LINKNAME, fields.linkname);
  writeText(block, MAGIC, 'ustar\0');
  writeText(block, VERSION, '00');
  writeText(block, UNAME, fields.uname);
  writeText(block, GNAME, fields.gname);
  // Device numbers stay all-NUL: meshbuild writes no device nodes.
  block.fill(0x20, CHKSUM[0], CHKSUM[0] + CHKSUM[1]);
  const sum = unsignedChecksum(block);
  writeText(block, [CHKSUM[0], 7], sum.toString(8).padStart(6, '0') + '\0');
  return block;
}

/**
 * PAX extended-header records (`"<len> <key>=<value>\n"`, the length counting itself) in the order
 * given; callers pass keys sorted so that output is deterministic.
 */
export function encodePaxRecords(records: ReadonlyArray<readonly [string, string]>): Buffer {
  const parts = records.map(([key, value]) => {
    const body = ` ${key}=${value}\n`;
    const bodyLength = Buffer.byteLength(body, 'utf8');
    let length = bodyLength + 1;
    while (String(length).length + bodyLength !== length) length = String(length).length + bodyLength;
    return Buffer.from(`${length}${body}`, 'utf8');
  });
  return Buffer.concat(parts);
}

/** Parses PAX records; throws a plain Error on malformed input (the reader wraps it). */
export function parsePaxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    if (data[offset] === 0) break; // some writers pad the record area with NULs
    const space = data.indexOf(0x20, offset);
    const length = space < 0 ? NaN : Number(data.toString('latin1', offset, space));
    if (!Number.isInteger(length) || length <= 0 || offset + length > data.length) {
      throw new Error(`malformed PAX record at byte ${offset}`);
    }
    const record = data.toString('utf8', space + 1, offset + length - 1);
    const equals = record.indexOf('=');
    if (equals < 0) throw new Error(`malformed PAX record at byte ${offset}`);
    records.set(record.slice(0, equals), record.slice(equals + 1));
    offset += length;
  }
  return records;
}

function unsignedChecksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    sum += i >= CHKSUM[0] && i < CHKSUM[0] + CHKSUM[1] ? 0x20 : block[i]!;
  }
  return sum;
}

function signedChecksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    sum += i >= CHKSUM[0] && i < CHKSUM[0] + CHKSUM[1] ? 0x20 : block.readInt8(i);
  }
  return sum;
}

function readText([offset, length]: readonly [number, number], block: Buffer): string {
  const slot = block.subarray(offset, offset + length);
  const end = slot.indexOf(0);
  return slot.toString('utf8', 0, end < 0 ? length : end);
}

/** Octal (NUL- or space-terminated) or GNU base-256 (high bit of the first byte set). */
function readNumber([offset, length]: readonly [number, number], block: Buffer): number {
  const first = block[offset]!;
  if (first & 0x80) {
    let value = first & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + block[offset + i]!;
    return value;
  }
  const text = block
    .toString('latin1', offset, offset + length)
    .replace(/[\0 ]+$/, '')
    .replace(/^[\0 ]+/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`bad number "${text}" at header offset ${offset}`);
  return parseInt(text, 8);
}

/** True for a block of zeros, which marks the end of an archive. */
export function isZeroBlock(block: Buffer): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

/**
 * Decodes one 512-byte header (ustar, GNU or v7). Throws a plain Error when the checksum does not
 * match, which is how a non-tar input shows itself.
 */
export function decodeUstarHeader(block: Buffer): UstarFields {
  let stored: number;
  try {
    stored = readNumber(CHKSUM, block);
  } catch {
    stored = -1;
  }
  if (stored !== unsignedChecksum(block) && stored !== signedChecksum(block)) {
    throw new Error('not a tar header (checksum mismatch)');
  }
  const magic = block.toString('latin1', MAGIC[0], MAGIC[0] + MAGIC[1]);
  let name = readText(NAME, block);
  // POSIX ustar splits long names into prefix + name; the GNU format uses that area for other data.
  if (magic === 'ustar\0') {
    const prefix = readText(PREFIX, block);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  return {
    name,
    mode: readNumber(MODE, block),
    uid: readNumber(UID, block),
    gid: readNumber(GID, block),
    size: readNumber(SIZE, block),
    mtime: readNumber(MTIME, block),
    typeflag: String.fromCharCode(block[TYPEFLAG_OFFSET]!),
    linkname: readText(LINKNAME, block),
    uname: readText(UNAME, block),
    gname: readText(GNAME, block),
  };
}
