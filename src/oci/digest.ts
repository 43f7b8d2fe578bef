/**
 * Content digests as OCI writes them (`sha256:<64 lowercase hex>`): of a buffer, of a file read as a
 * stream, and of data flowing through a pipeline.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { stepError, usageError } from '../errors.js';

/** Bytes per read of a blob file: large reads keep a 300 MB blob to a few hundred reads and hash updates. */
export const BLOB_READ_SIZE = 1024 * 1024;

/** The bytes of `file` from `start` up to (not including) `end`, read `BLOB_READ_SIZE` at a time. */
export function fileRangeStream(file: string, start = 0, end?: number): ReadStream {
  return createReadStream(file, { start, ...(end !== undefined && end > start ? { end: end - 1 } : {}), highWaterMark: BLOB_READ_SIZE });
}

/** The only algorithm meshbuild writes; registries and the OCI spec require support for it. */
export const DIGEST_ALGORITHM = 'sha256';

const DIGEST_PATTERN = /^sha256:([a-f0-9]{64})$/;

/** A digest taken apart. */
export interface ParsedDigest {
  algorithm: 'sha256';
  /** 64 lowercase hex characters. */
  hex: string;
}

/** What a digest pass over some content yields. */
export interface DigestAndSize {
  /** `sha256:<hex>` */
  digest: string;
  /** Bytes hashed. */
  size: number;
}

/** `sha256:<hex>` of the bytes (a string is hashed as UTF-8). */
export function sha256Digest(data: Uint8Array | string): string {
  return `${DIGEST_ALGORITHM}:${createHash('sha256').update(data).digest('hex')}`;
}

/** Digest and size of a file, read as a stream so that memory stays flat whatever its size. */
export async function sha256File(path: string): Promise<DigestAndSize> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: `${DIGEST_ALGORITHM}:${hash.digest('hex')}`, size };
}

export interface DigestingStreamOptions {
  /** When set, the stream fails at its end (a step error) unless the content has this digest. */
  expected?: string;
  /** What the content is, for that error message. Default "content". */
  what?: string;
}

/**
 * A pass-through stream that hashes and counts every byte that flows through it, for computing a
 * digest in the same pass that writes or compresses the data. `digest()` may be read once the
 * stream has finished (after its last write has been processed). With `expected`, it verifies.
 */
export class DigestingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private finalDigest: string | undefined;

  constructor(private readonly options: DigestingStreamOptions = {}) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.finalDigest = `${DIGEST_ALGORITHM}:${this.hash.digest('hex')}`;
    const { expected, what = 'content' } = this.options;
    if (expected !== undefined && expected !== this.finalDigest) {
      callback(
        stepError(`${what} has digest ${this.finalDigest}, expected ${expected}`, { hint: 'the data is corrupt or was changed; fetch or build it again' }),
      );
      return;
    }
    callback();
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.bytes;
  }

  /** `sha256:<hex>` of everything that passed; throws if the stream has not finished. */
  digest(): string {
    if (this.finalDigest === undefined) throw new Error('Internal error: digest() read before the stream finished');
    return this.finalDigest;
  }
}

/** True for a well-formed `sha256:<64 lowercase hex>`. */
export function isDigest(text: string): boolean {
  return DIGEST_PATTERN.test(text);
}

/**
 * Parses `sha256:<64 lowercase hex>`. Throws a usage error for anything else (other algorithms,
 * upper-case hex, wrong length), naming `what` in the message (default "digest").
 */
export function parseDigest(text: string, what = 'digest'): ParsedDigest {
  const match = DIGEST_PATTERN.exec(text);
  if (!match) {
    throw usageError(`${what} "${text}" is not a sha256 digest`, {
      hint: 'a digest looks like sha256: followed by 64 lowercase hex characters',
    });
  }
  return { algorithm: 'sha256', hex: match[1]! };
}
