/** Random blobs, images and repository names for the registry integration tests. */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';
import type { Descriptor, ImageIndex, ImageManifest } from '../../../src/oci/types.js';

/** A repository name nobody else uses: `meshbuild-test/<prefix>-<random>`. */
export function uniqueRepo(prefix: string): string {
  return `meshbuild-test/${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface TestBlob {
  bytes: Buffer;
  descriptor: Descriptor;
}

export function randomBlob(size: number, mediaType: string = MEDIA_TYPE.ociLayerGzip): TestBlob {
  const bytes = randomBytes(size);
  return { bytes, descriptor: { mediaType, size, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` } };
}

/** Writes `size` random bytes to `file` one MiB at a time; returns their descriptor. */
export async function writeRandomFile(file: string, size: number): Promise<Descriptor> {
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  let left = size;
  while (left > 0) {
    const chunk = randomBytes(Math.min(left, 1024 * 1024));
    hash.update(chunk);
    left -= chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { mediaType: MEDIA_TYPE.ociLayerGzip, size, digest: `sha256:${hash.digest('hex')}` };
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Reads a stream to the end. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A config blob and one layer for a platform, and the image manifest that joins them. */
export function platformImage(
  architecture: string,
  mediaTypes: { manifest: string; config: string; layer: string } = {
    manifest: MEDIA_TYPE.ociManifest,
    config: MEDIA_TYPE.ociConfig,
    layer: MEDIA_TYPE.ociLayerGzip,
  },
): { config: TestBlob; layer: TestBlob; manifest: Buffer; mediaType: string } {
  const layer = randomBlob(4096, mediaTypes.layer);
  const configBytes = Buffer.from(JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.descriptor.digest] } }));
  const config: TestBlob = { bytes: configBytes, descriptor: { mediaType: mediaTypes.config, size: configBytes.length, digest: sha256(configBytes) } };
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: mediaTypes.manifest, config: config.descriptor, layers: [layer.descriptor] };
  return { config, layer, manifest: Buffer.from(JSON.stringify(manifest)), mediaType: mediaTypes.manifest };
}

export function indexOf(mediaType: string, manifests: Descriptor[]): Buffer {
  const index: ImageIndex = { schemaVersion: 2, mediaType, manifests };
  return Buffer.from(JSON.stringify(index));
}
