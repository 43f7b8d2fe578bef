/**
 * Builds an image layer from entries into a file on disk, in one streaming pass that yields the
 * layer's diffID (sha256 of the uncompressed tar, which goes into the image config) and the
 * digest and size of the stored blob (which go into the manifest).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestingStream } from './digest.js';
import { DEFAULT_GZIP_LEVEL, deterministicGzip } from './gzip.js';
import { MEDIA_TYPE } from './media-types.js';
import { createTarStream, type TarInputEntry, type TarWriterOptions } from './tar-writer.js';
import type { Descriptor } from './types.js';

/** How a layer blob is stored. */
export type LayerCompression = 'gzip' | 'none';

export interface LayerOptions extends TarWriterOptions {
  /** Default `gzip` (media type ociLayerGzip); `none` stores the tar as is (ociLayer). */
  compression?: LayerCompression;
  /** gzip level 1-9; default 6. Changing it changes the blob digest, never the diffID. */
  gzipLevel?: number;
}

export interface BuiltLayer {
  /** mediaType, digest and size of the blob at `path`. */
  descriptor: Descriptor;
  /** `sha256:<hex>` of the uncompressed tar. */
  diffId: string;
  /** Size of the uncompressed tar in bytes. */
  uncompressedSize: number;
  /** Where the blob was written. */
  path: string;
}

/** Media type of a layer stored with the given compression. */
export function layerMediaType(compression: LayerCompression): string {
  return compression === 'gzip' ? MEDIA_TYPE.ociLayerGzip : MEDIA_TYPE.ociLayer;
}

/**
 * Writes the layer of `entries` to `outputPath` (through a temp file in the same folder, renamed
 * into place, so an interrupted build leaves no partial layer). Same entries and options, same
 * bytes: see `createTarStream` for the normalisation and `deterministicGzip` for compression.
 */
export async function buildLayer(entries: readonly TarInputEntry[], outputPath: string, options: LayerOptions = {}): Promise<BuiltLayer> {
  const compression = options.compression ?? 'gzip';
  const tar = createTarStream(entries, options);
  const diff = new DigestingStream();
  const blob = compression === 'gzip' ? new DigestingStream() : diff;
  const stages: Transform[] = compression === 'gzip' ? [diff, ...deterministicGzip(options.gzipLevel ?? DEFAULT_GZIP_LEVEL), blob] : [diff];
  const temp = join(dirname(outputPath), `.${basename(outputPath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await pipeline([tar, ...stages, createWriteStream(temp)]);
    await rename(temp, outputPath);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return {
    descriptor: { mediaType: layerMediaType(compression), digest: blob.digest(), size: blob.size },
    diffId: diff.digest(),
    uncompressedSize: diff.size,
    path: outputPath,
  };
}
