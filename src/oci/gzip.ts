/**
 * Deterministic gzip for layers: Node's zlib at a fixed level, with the gzip header pinned (mtime 0,
 * no file name, OS byte 255 "unknown") so that the same input gives the same bytes on any host
 * running the same zlib build. zlib already writes no name and mtime 0; the OS byte it writes
 * depends on the host (3 on Linux, 19 on macOS), which is why the header is rewritten.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { createGzip, type Gzip } from 'node:zlib';

/** zlib's own default: a fair balance of speed and size (release archives). */
export const DEFAULT_GZIP_LEVEL = 6;

/**
 * gzip level of the image layers meshbuild writes, whichever builder made them: 1 (best speed),
 * go-containerregistry's default for the layers ko and crane build. About a third of the CPU of
 * level 6, for layers some 8% larger; on a loaded machine compression is on the critical path
 * (the native builder gzips while Go still compiles, the buildx path after the bake).
 * Still deterministic: same input, same bytes.
 */
export const LAYER_GZIP_LEVEL = 1;

/**
 * zlib's output buffer: each one filled is a trip to the thread pool and a chunk down the stream.
 * At zlib's 16 KiB a Go binary's layer took ~10% longer to gzip; the bytes are the same at any size.
 */
const GZIP_CHUNK_SIZE = 256 * 1024;

const HEADER_LENGTH = 10;
const OS_UNKNOWN = 255;

/** Rewrites the first 10 bytes of a gzip stream to a fixed header and passes the rest through. */
class GzipHeaderPin extends Transform {
  private position = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.position >= HEADER_LENGTH) {
      callback(null, chunk);
      return;
    }
    const out = Buffer.from(chunk); // copy: the header bytes are changed
    for (let i = 0; i < out.length && this.position < HEADER_LENGTH; i++, this.position++) {
      const at = this.position;
      if (at <= 2 || at === 8) continue; // magic, method, extra flags (set by the level)
      if (at === 3 && out[i] !== 0) {
        callback(new Error(`Internal error: zlib wrote gzip flags ${out[i]}, expected none`));
        return;
      }
      out[i] = at === 9 ? OS_UNKNOWN : 0; // mtime (bytes 4-7) 0, OS byte fixed
    }
    callback(null, out);
  }
}

/**
 * The two streams that gzip deterministically, to spread into `stream.pipeline` between the
 * uncompressed source and the sink. `level` is 1 (fastest) to 9 (smallest); default 6.
 */
export function deterministicGzip(level = DEFAULT_GZIP_LEVEL): [Gzip, Transform] {
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new Error(`Internal error: gzip level ${level} is not 1-9`);
  return [createGzip({ level, chunkSize: GZIP_CHUNK_SIZE }), new GzipHeaderPin()];
}
