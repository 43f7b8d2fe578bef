/**
 * A deterministic, streaming tar writer for image layers: the same entries give byte-identical
 * output whatever order they are listed in, whoever runs it and whenever. Entries are sorted by path,
 * missing parent directories are added, owners default to 0:0 with empty names, modes are
 * normalised, and times come from the caller (0 by default), never from the files on disk.
 * Paths longer than 100 bytes, or not ASCII, get a PAX extended header.
 */
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { assertNever, stepError, usageError } from '../errors.js';
import {
  BLOCK_SIZE,
  MAX_OCTAL_11,
  MAX_OCTAL_7,
  TYPEFLAG,
  USTAR_NAME_LENGTH,
  encodePaxRecords,
  encodeUstarHeader,
  fitsUstarField,
  paddingFor,
} from './tar-header.js';

/** Fields every entry has. */
export interface TarEntryFields {
  /** Path inside the layer; a leading `/` or `./` is dropped. */
  path: string;
  /** Permission bits (0..0o7777), written as given. Default: normalised, see below. */
  mode?: number;
  /** Default 0. */
  uid?: number;
  /** Default 0. */
  gid?: number;
  /** Seconds since the epoch. Default: the writer's `mtime` option. */
  mtime?: number;
}

/** A file whose content is streamed from a file on disk. Default mode: 0755 if the source has any exec bit, else 0644. */
export interface TarFileFromPath extends TarEntryFields {
  type: 'file';
  source: string;
}

/** A file whose content is given. Default mode: 0755 when `executable`, else 0644. */
export interface TarFileFromContent extends TarEntryFields {
  type: 'file';
  content: Buffer | string;
  executable?: boolean;
}

/** Default mode 0755. */
export interface TarDirectory extends TarEntryFields {
  type: 'directory';
}

/** Default mode 0777, as symlinks conventionally carry. */
export interface TarSymlink extends TarEntryFields {
  type: 'symlink';
  target: string;
}

/** One entry to put in a layer. */
export type TarInputEntry = TarFileFromPath | TarFileFromContent | TarDirectory | TarSymlink;

export interface TarWriterOptions {
  /** Time stamped on entries without their own `mtime`, in seconds. Default 0 (1970-01-01). */
  mtime?: number;
}

/** An entry after normalisation: what will be written, in order. */
export interface PlannedTarEntry {
  path: string;
  entry: TarInputEntry;
  uid: number;
  gid: number;
  mtime: number;
}

const READ_CHUNK = 64 * 1024;

/**
 * Normalises a path inside a layer: drops a leading `/`, `./` segments, doubled and trailing
 * slashes. Throws a usage error for `..` segments and for paths that name the root.
 */
export function normalizeLayerPath(path: string): string {
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw usageError(`layer path "${path}" contains ".."`, { hint: 'paths inside an image are absolute, like /usr/local/bin/app' });
  if (segments.length === 0) throw usageError(`layer path "${path}" names the root directory`);
  return segments.join('/');
}

/**
 * The mtime SOURCE_DATE_EPOCH asks for (https://reproducible-builds.org/specs/source-date-epoch/),
 * or undefined when it is unset or empty. Throws a usage error when it is not a whole number of seconds.
 */
export function mtimeFromSourceDateEpoch(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d+$/.test(value.trim())) {
    throw usageError(`SOURCE_DATE_EPOCH "${value}" is not a whole number of seconds since 1970`, {
      hint: 'set it from the last commit, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)',
    });
  }
  return Number(value.trim());
}

function checkNumber(value: number, max: number, what: string, path: string): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw usageError(`layer entry "${path}": ${what} ${value} is not a whole number between 0 and ${max}`);
  }
  return value;
}

/** Sort key that orders paths component by component, bytewise: `a`, `a/b`, `a-c`. */
function sortKey(path: string): Buffer {
  return Buffer.from(path.replaceAll('/', '\0'), 'utf8');
}

/**
 * Validates, normalises and sorts entries and adds missing parent directories (0755, 0:0).
 * Throws a usage error for duplicate paths and for a path below something that is not a directory.
 */
export function planTarEntries(entries: readonly TarInputEntry[], options: TarWriterOptions = {}): PlannedTarEntry[] {
  const defaultMtime = checkNumber(options.mtime ?? 0, Number.MAX_SAFE_INTEGER, 'mtime', '(default)');
  const byPath = new Map<string, PlannedTarEntry>();
  for (const entry of entries) {
    const path = normalizeLayerPath(entry.path);
    if (byPath.has(path)) throw usageError(`two layer entries for "/${path}"`, { hint: 'each path in a layer may be given once' });
    if (entry.mode !== undefined) checkNumber(entry.mode, 0o7777, 'mode', path);
    if (entry.type === 'symlink' && entry.target === '') throw usageError(`layer symlink "/${path}" has an empty target`);
    byPath.set(path, {
      path,
      entry,
      uid: checkNumber(entry.uid ?? 0, Number.MAX_SAFE_INTEGER, 'uid', path),
      gid: checkNumber(entry.gid ?? 0, Number.MAX_SAFE_INTEGER, 'gid', path),
      mtime: checkNumber(entry.mtime ?? defaultMtime, Number.MAX_SAFE_INTEGER, 'mtime', path),
    });
  }
  for (const path of [...byPath.keys()]) {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      const existing = byPath.get(parent);
      if (existing === undefined) {
        byPath.set(parent, { path: parent, entry: { type: 'directory', path: parent }, uid: 0, gid: 0, mtime: defaultMtime });
      } else if (existing.entry.type !== 'directory') {
        throw usageError(`layer entry "/${path}" is below "/${parent}", which is a ${existing.entry.type}, not a directory`);
      }
    }
  }
  return [...byPath.values()].sort((a, b) => Buffer.compare(sortKey(a.path), sortKey(b.path)));
}

interface HeaderInput {
  name: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
}

/** The header blocks of one entry: a PAX header first when a value does not fit ustar. */
function headerBlocks(input: HeaderInput): Buffer {
  const pax: Array<[string, string]> = [];
  if (input.gid > MAX_OCTAL_7) pax.push(['gid', String(input.gid)]);
  if (!fitsUstarField(input.linkname, USTAR_NAME_LENGTH)) pax.push(['linkpath', input.linkname]);
  if (input.mtime > MAX_OCTAL_11) pax.push(['mtime', String(input.mtime)]);
  if (!fitsUstarField(input.name, USTAR_NAME_LENGTH)) pax.push(['path', input.name]);
  if (input.size > MAX_OCTAL_11) pax.push(['size', String(input.size)]);
  if (input.uid > MAX_OCTAL_7) pax.push(['uid', String(input.uid)]);
  const header = encodeUstarHeader({ ...input, uname: '', gname: '' });
  if (pax.length === 0) return header;
  const records = encodePaxRecords(pax);
  const baseName = input.name.replace(/\/$/, '').split('/').pop() ?? '';
  const paxHeader = encodeUstarHeader({
    name: `PaxHeaders/${baseName}`,
    typeflag: TYPEFLAG.paxLocal,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: records.length,
    mtime: Math.min(input.mtime, MAX_OCTAL_11),
    linkname: '',
    uname: '',
    gname: '',
  });
  return Buffer.concat([paxHeader, records, Buffer.alloc(paddingFor(records.length)), header]);
}

async function* fileFromPath(planned: PlannedTarEntry, source: string, explicitMode: number | undefined): AsyncGenerator<Buffer> {
  const handle = await open(source, 'r').catch((error: unknown) => {
    throw stepError(`cannot read "${source}" for layer entry "/${planned.path}"`, { cause: error, detail: String(error) });
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw stepError(`"${source}" (layer entry "/${planned.path}") is not a regular file`);
    const size = stat.size;
    const mode = explicitMode ?? ((stat.mode & 0o111) !== 0 ? 0o755 : 0o644);
    yield headerBlocks({ name: planned.path, typeflag: TYPEFLAG.file, mode, uid: planned.uid, gid: planned.gid, size, mtime: planned.mtime, linkname: '' });
    let offset = 0;
    while (offset < size) {
      // A fresh buffer per chunk: chunks handed downstream may still be queued there.
      const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - offset));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) throw stepError(`"${source}" shrank while it was being added to a layer (${offset} of ${size} bytes)`);
      offset += bytesRead;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
    const probe = await handle.read(Buffer.alloc(1), 0, 1, size);
    if (probe.bytesRead !== 0) throw stepError(`"${source}" grew while it was being added to a layer (was ${size} bytes)`);
    const padding = paddingFor(size);
    if (padding > 0) yield Buffer.alloc(padding);
  } finally {
    await handle.close();
  }
}

async function* tarChunks(plan: PlannedTarEntry[]): AsyncGenerator<Buffer> {
  for (const planned of plan) {
    const { entry, path, uid, gid, mtime } = planned;
    switch (entry.type) {
      case 'directory':
        yield headerBlocks({ name: `${path}/`, typeflag: TYPEFLAG.directory, mode: entry.mode ?? 0o755, uid, gid, size: 0, mtime, linkname: '' });
        break;
      case 'symlink':
        yield headerBlocks({ name: path, typeflag: TYPEFLAG.symlink, mode: entry.mode ?? 0o777, uid, gid, size: 0, mtime, linkname: entry.target });
        break;
      case 'file':
        if ('source' in entry) {
          yield* fileFromPath(planned, entry.source, entry.mode);
        } else {
          const content = typeof entry.content === 'string' ? Buffer.from(entry.content, 'utf8') : entry.content;
          const mode = entry.mode ?? (entry.executable ? 0o755 : 0o644);
          yield headerBlocks({ name: path, typeflag: TYPEFLAG.file, mode, uid, gid, size: content.length, mtime, linkname: '' });
          if (content.length > 0) yield content;
          const padding = paddingFor(content.length);
          if (padding > 0) yield Buffer.alloc(padding);
        }
        break;
      default:
        assertNever(entry, 'tar entry');
    }
  }
  yield Buffer.alloc(2 * BLOCK_SIZE); // end-of-archive marker
}

/**
 * A readable stream of the tar archive of `entries` (see `planTarEntries` for the normalisation).
 * Input mistakes throw here, synchronously; a file that cannot be read or changes size while being
 * read fails the stream. File contents are streamed in 64 KiB chunks, so memory stays flat.
 */
export function createTarStream(entries: readonly TarInputEntry[], options: TarWriterOptions = {}): Readable {
  const plan = planTarEntries(entries, options);
  return Readable.from(tarChunks(plan), { objectMode: false });
}
