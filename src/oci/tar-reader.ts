/**
 * A streaming tar reader for image layers: POSIX ustar, PAX extended headers (local and global)
 * and GNU long names and links, optionally gzipped. Entries come one at a time with their content
 * as a stream, so a multi-gigabyte layer is listed or searched in flat memory.
 */
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { stepError } from '../errors.js';
import { BLOCK_SIZE, TYPEFLAG, decodeUstarHeader, isZeroBlock, paddingFor, parsePaxRecords, type TarEntryType, type UstarFields } from './tar-header.js';

export type { TarEntryType } from './tar-header.js';

/** One entry's header, with PAX and GNU overrides applied. */
export interface TarEntryInfo {
  /** Normalised: no leading `/` or `./`, no trailing `/`; the root itself is `.`. */
  path: string;
  type: TarEntryType;
  /** Permission bits only (0..0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Content bytes (0 for anything but files). */
  size: number;
  /** Seconds since the epoch (PAX fractions are dropped). */
  mtime: number;
  /** Target of a symlink or hard link; '' otherwise. */
  linkname: string;
  uname: string;
  gname: string;
}

/** An entry as the reader yields it. Its content can be read until the next entry is requested. */
export interface TarReadEntry extends TarEntryInfo {
  /** The content in chunks; what is not read is skipped when the next entry is requested. */
  content(): AsyncIterable<Buffer>;
  /** The content as one Buffer, or only its first `maxBytes` bytes. Default: all of it. */
  buffer(maxBytes?: number): Promise<Buffer>;
}

export interface TarReadOptions {
  /** `auto` (default) looks for the gzip magic bytes; `gzip` and `none` force one. */
  compression?: 'auto' | 'gzip' | 'none';
  /** Named in error messages, e.g. the layer digest. Default "tar archive". */
  what?: string;
}

/** A stream of the archive's bytes, or all of them at once. */
export type TarInput = Readable | AsyncIterable<Uint8Array> | Uint8Array;

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Reads exact byte counts from an async source of chunks. */
class ByteQueue {
  private head: Buffer = Buffer.alloc(0);
  private ended = false;

  /** `alsoClose` is closed with this queue: the compressed input under a gunzip. */
  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    private readonly alsoClose?: ByteQueue,
  ) {}

  private async fill(): Promise<boolean> {
    while (!this.ended) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      if (chunk.length === 0) continue;
      this.head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
      return true;
    }
    return false;
  }

  /** The next `n` bytes without consuming them; fewer only at the end of input. */
  async peek(n: number): Promise<Buffer> {
    while (this.head.length < n && (await this.fill()));
    return this.head.subarray(0, n);
  }

  /** Exactly `n` bytes; undefined when the input ended before any of them; throws if cut short. */
  async read(n: number): Promise<Buffer | undefined> {
    const bytes = await this.peek(n);
    if (bytes.length === 0) return undefined;
    if (bytes.length < n) throw new Error('unexpected end of data');
    this.head = this.head.subarray(n);
    return bytes;
  }

  /** `n` bytes in chunks as they arrive. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.head.length === 0 && !(await this.fill())) throw new Error('unexpected end of data');
      const part = this.head.subarray(0, Math.min(left, this.head.length));
      this.head = this.head.subarray(part.length);
      left -= part.length;
      yield part;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const part of this.take(n)) void part;
  }

  /** Everything still buffered or to come, as a stream of chunks. */
  async *rest(): AsyncGenerator<Buffer> {
    if (this.head.length > 0) yield this.head;
    this.head = Buffer.alloc(0);
    while (await this.fill()) {
      yield this.head;
      this.head = Buffer.alloc(0);
    }
  }

  async close(): Promise<void> {
    try {
      await this.source.return?.();
    } finally {
      await this.alsoClose?.close();
    }
  }
}

const HEADER_ONLY_TYPEFLAGS = new Set<string>([
  TYPEFLAG.hardlink,
  TYPEFLAG.symlink,
  TYPEFLAG.charDevice,
  TYPEFLAG.blockDevice,
  TYPEFLAG.directory,
  TYPEFLAG.fifo,
]);

function normalizeEntryPath(name: string): string {
  const segments = name.split('/').filter((segment) => segment !== '' && segment !== '.');
  return segments.length === 0 ? '.' : segments.join('/');
}

function entryType(typeflag: string): TarEntryType | 'pax' | 'pax-global' | 'gnu-long-name' | 'gnu-long-link' | 'sparse' {
  switch (typeflag) {
    case TYPEFLAG.hardlink:
      return 'hardlink';
    case TYPEFLAG.symlink:
      return 'symlink';
    case TYPEFLAG.charDevice:
      return 'char-device';
    case TYPEFLAG.blockDevice:
      return 'block-device';
    case TYPEFLAG.directory:
      return 'directory';
    case TYPEFLAG.gnuDumpDir:
      return 'directory';
    case TYPEFLAG.fifo:
      return 'fifo';
    case TYPEFLAG.paxLocal:
      return 'pax';
    case TYPEFLAG.paxGlobal:
      return 'pax-global';
    case TYPEFLAG.gnuLongName:
      return 'gnu-long-name';
    case TYPEFLAG.gnuLongLink:
      return 'gnu-long-link';
    case TYPEFLAG.gnuSparse:
      return 'sparse';
    default:
      return 'file'; // '0', NUL, '7' and, as POSIX asks, any unknown flag
  }
}

function applyPax(fields: UstarFields, pax: Map<string, string>): UstarFields {
  const number = (key: string, fallback: number): number => {
    const value = pax.get(key);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`bad PAX ${key} "${value}"`);
    return Math.floor(parsed);
  };
  return {
    ...fields,
    name: pax.get('path') ?? fields.name,
    linkname: pax.get('linkpath') ?? fields.linkname,
    uname: pax.get('uname') ?? fields.uname,
    gname: pax.get('gname') ?? fields.gname,
    size: number('size', fields.size),
    uid: number('uid', fields.uid),
    gid: number('gid', fields.gid),
    mtime: number('mtime', fields.mtime),
  };
}

/** The decompressed byte source for `input`, sniffing gzip's magic bytes in `auto` mode. */
async function openSource(input: TarInput, compression: 'auto' | 'gzip' | 'none'): Promise<ByteQueue> {
  const raw = new ByteQueue((input instanceof Uint8Array ? once(input) : input)[Symbol.asyncIterator]());
  const magic = compression === 'auto' ? await raw.peek(2) : undefined;
  const gzipped = compression === 'gzip' || (magic !== undefined && magic[0] === 0x1f && magic[1] === 0x8b);
  if (!gzipped) return raw;
  const gunzip = createGunzip();
  pipeline(Readable.from(raw.rest()), gunzip, () => undefined); // errors surface through gunzip
  return new ByteQueue(gunzip[Symbol.asyncIterator](), raw);
}

/**
 * Reads a tar archive (gzipped or not, see `TarReadOptions.compression`), yielding each entry once
 * its header is known. Throws a step error naming `what` for truncated or corrupt input, and for
 * GNU sparse files, which layers do not use. Breaking out of the loop closes the input.
 */
export async function* readTar(input: TarInput, options: TarReadOptions = {}): AsyncGenerator<TarReadEntry> {
  const what = options.what ?? 'tar archive';
  const queue = await openSource(input, options.compression ?? 'auto');
  const globalPax = new Map<string, string>();
  let localPax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    for (;;) {
      const block = await queue.read(BLOCK_SIZE);
      if (block === undefined || isZeroBlock(block)) return;
      const header = decodeUstarHeader(block);
      const kind = entryType(header.typeflag);
      if (kind === 'pax' || kind === 'pax-global' || kind === 'gnu-long-name' || kind === 'gnu-long-link') {
        const data = (await queue.read(header.size + paddingFor(header.size)))?.subarray(0, header.size) ?? Buffer.alloc(0);
        if (kind === 'pax') localPax = new Map([...localPax, ...parsePaxRecords(data)]);
        else if (kind === 'pax-global') for (const [key, value] of parsePaxRecords(data)) globalPax.set(key, value);
        else if (kind === 'gnu-long-name') longName = data.toString('utf8').replace(/\0+$/, '');
        else longLink = data.toString('utf8').replace(/\0+$/, '');
        continue;
      }
      if (kind === 'sparse') throw new Error(`GNU sparse file "${header.name}" is not supported`);
      const fields = applyPax(header, new Map([...globalPax, ...localPax]));
      const name = localPax.has('path') ? fields.name : (longName ?? fields.name);
      const linkname = localPax.has('linkpath') ? fields.linkname : (longLink ?? fields.linkname);
      localPax = new Map();
      longName = undefined;
      longLink = undefined;
      // Links, devices, fifos and directories carry no data whatever their size field says (as
      // POSIX readers do); a GNU dump directory's data is skipped.
      const dataSize = HEADER_ONLY_TYPEFLAGS.has(header.typeflag) ? 0 : fields.size;
      const size = kind === 'file' ? dataSize : 0;
      let remaining = size;
      let current = true;
      const content = async function* (): AsyncGenerator<Buffer> {
        if (!current) throw new Error('Internal error: tar entry content read after the next entry was requested');
        for await (const chunk of queue.take(remaining)) {
          remaining -= chunk.length;
          yield chunk;
        }
      };
      yield {
        path: normalizeEntryPath(name),
        type: kind,
        mode: fields.mode & 0o7777,
        uid: fields.uid,
        gid: fields.gid,
        size,
        mtime: fields.mtime,
        linkname,
        uname: fields.uname,
        gname: fields.gname,
        content,
        buffer: async (maxBytes = Infinity) => {
          const parts: Buffer[] = [];
          let length = 0;
          for await (const chunk of content()) {
            const part = chunk.subarray(0, Math.min(chunk.length, maxBytes - length));
            parts.push(Buffer.from(part));
            length += part.length;
            if (length >= maxBytes) break;
          }
          return Buffer.concat(parts);
        },
      };
      current = false;
      await queue.skip(remaining + (dataSize - size) + paddingFor(dataSize));
    }
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('Internal error')) throw error;
    throw stepError(`cannot read ${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    await queue.close();
  }
}

/** Every entry's header, in archive order; contents are skipped. */
export async function listTar(input: TarInput, options: TarReadOptions = {}): Promise<TarEntryInfo[]> {
  const entries: TarEntryInfo[] = [];
  for await (const { content: _content, buffer: _buffer, ...info } of readTar(input, options)) entries.push(info);
  return entries;
}

/**
 * The content of the regular file at `path` (leading `/` or `./` ignored), or undefined when the
 * archive has no such entry. Reads up to the first entry with that path and closes the input.
 * Throws a step error when the path is a directory, link or device, naming a link's target.
 */
export async function readFileFromTar(input: TarInput, path: string, options: TarReadOptions & { maxBytes?: number } = {}): Promise<Buffer | undefined> {
  const wanted = normalizeEntryPath(path);
  for await (const entry of readTar(input, options)) {
    if (entry.path !== wanted) continue;
    if (entry.type !== 'file') {
      const link = entry.linkname === '' ? '' : ` to "${entry.linkname}"`;
      throw stepError(`"/${wanted}" in ${options.what ?? 'tar archive'} is a ${entry.type}${link}, not a regular file`);
    }
    return entry.buffer(options.maxBytes);
  }
  return undefined;
}
