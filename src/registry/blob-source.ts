/**
 * Where a blob's bytes come from when it is pushed, and the streams that check them on the way:
 * a digest verifier that fails the upload on a mismatch, and a slice for chunked uploads.
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { stepError } from '../errors.js';
import { fileRangeStream } from '../oci/digest.js';

/**
 * Opens the blob's bytes from byte `start` (0 for all of it) to `end` (exclusive; the blob's end
 * when absent). Called afresh for every attempt and chunk, so it must be able to start again, and
 * should read only from `start` on: `fs.createReadStream(path, { start })` fits. The bytes need not
 * be checked on the way: the upload hashes them as it sends them, once. Bytes past `end` are
 * ignored, so a source that cannot stop early is still correct.
 */
export type OpenBlobStream = (start: number, end?: number) => Readable | Promise<Readable>;

/** A blob in a file, opened at any offset. */
export function fileBlobSource(file: string): OpenBlobStream {
  return (start, end) => fileRangeStream(file, start, end);
}

/** A blob already in memory (configs, small test blobs). */
export function bufferBlobSource(bytes: Buffer): OpenBlobStream {
  return (start, end) => Readable.from([bytes.subarray(start, end)], { objectMode: false });
}

/** The hash algorithm of a digest (`sha256`, `sha512`). */
export function digestAlgorithm(digest: string): string {
  const algorithm = digest.slice(0, digest.indexOf(':'));
  if (algorithm !== 'sha256' && algorithm !== 'sha512') throw stepError(`unsupported digest algorithm in "${digest}"`);
  return algorithm;
}

/** `sha256:<hex>` of some bytes. */
export function computeDigest(bytes: Buffer | string, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** The error for bytes that do not match their descriptor; never retried. */
export function digestMismatch(expected: { digest: string; size: number }, actual: { digest: string; size: number }): Error {
  return stepError(
    `blob content does not match its digest: expected ${expected.digest} (${expected.size} bytes), got ${actual.digest} (${actual.size} bytes)`,
    {
      hint: 'the blob changed after its digest was computed, or the descriptor is wrong',
    },
  );
}

/**
 * A pass-through that hashes what flows through it and fails, before the last byte leaves, when
 * the size or digest differs from `expected`, so a request carrying wrong bytes never completes.
 * Starts from `hash` when given (a copy of the hash of the bytes before this stream). `onBytes`
 * hears of every piece that leaves it (upload progress).
 */
export class DigestVerifier extends Transform {
  private readonly hash: Hash;
  private seen: number;
  private pending: Buffer | undefined;
  private readonly verifyAtEnd: boolean;
  private readonly onBytes: ((bytes: number) => void) | undefined;

  constructor(
    private readonly expected: { digest: string; size: number | undefined },
    options: { hash?: Hash; offset?: number; verifyAtEnd?: boolean; onBytes?: (bytes: number) => void } = {},
  ) {
    super();
    this.onBytes = options.onBytes;
    this.hash = options.hash ?? createHash(digestAlgorithm(expected.digest));
    this.seen = options.offset ?? 0;
    this.verifyAtEnd = options.verifyAtEnd ?? true;
  }

  /** Bytes seen so far, including the starting offset. */
  get bytes(): number {
    return this.seen;
  }

  /** A copy of the running hash (for resuming a chunked upload). */
  copyHash(): Hash {
    return this.hash.copy();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.expected.size !== undefined && this.seen > this.expected.size) {
      callback(digestMismatch({ digest: this.expected.digest, size: this.expected.size }, { digest: 'unknown (too long)', size: this.seen }));
      return;
    }
    this.hash.update(chunk);
    // Hold the latest chunk back so the request cannot finish before the digest is checked.
    const previous = this.pending;
    this.pending = chunk;
    if (previous !== undefined) this.onBytes?.(previous.length);
    callback(null, previous);
  }

  override _flush(callback: TransformCallback): void {
    if (this.verifyAtEnd) {
      const actual = `${digestAlgorithm(this.expected.digest)}:${this.hash.copy().digest('hex')}`;
      if ((this.expected.size !== undefined && this.seen !== this.expected.size) || actual !== this.expected.digest) {
        callback(digestMismatch({ digest: this.expected.digest, size: this.expected.size ?? this.seen }, { digest: actual, size: this.seen }));
        return;
      }
    }
    if (this.pending !== undefined) this.onBytes?.(this.pending.length);
    callback(null, this.pending);
  }
}

/** At most `length` bytes of `source`, which is destroyed once they have been read. */
export function sliceStream(source: Readable, length: number): Readable {
  async function* take(): AsyncGenerator<Buffer> {
    let left = length;
    if (left <= 0) {
      source.destroy();
      return;
    }
    for await (const chunk of source) {
      const buffer = chunk as Buffer;
      if (buffer.length >= left) {
        yield buffer.subarray(0, left);
        left = 0;
        break;
      }
      left -= buffer.length;
      yield buffer;
    }
    if (left > 0) throw stepError(`blob stream ended ${left} bytes early`);
  }
  return Readable.from(take(), { objectMode: false });
}
