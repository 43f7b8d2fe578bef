/**
 * Copies an image index (or a single manifest) with everything it references from one store to
 * another, by digest, children before parents, skipping what the destination already has.
 * Nothing is tagged here: naming comes last, in one step, once every copy succeeded.
 */
import { stepError } from '../errors.js';
import { isIndexMediaType } from '../oci/media-types.js';
import type { Descriptor, ImageIndex, ImageManifest } from '../oci/types.js';
import type { ImageStore } from './image-store.js';

export interface CopyStats {
  blobsSent: number;
  blobsSkipped: number;
  bytesSent: number;
}

/**
 * Children and blobs are copied concurrently (the registry client caps requests per host), so a
 * push waits on the slowest blob rather than on the sum of their round trips.
 */
export async function copyImage(from: ImageStore, to: ImageStore, root: Descriptor): Promise<CopyStats> {
  const stats: CopyStats = { blobsSent: 0, blobsSkipped: 0, bytesSent: 0 };
  const bytes = await from.readManifest(root);
  if (await to.hasManifest(root)) {
    stats.blobsSkipped++;
    return stats;
  }
  const parsed = JSON.parse(bytes.toString('utf8')) as ImageIndex | ImageManifest;
  if (isIndexMediaType(root.mediaType) || 'manifests' in parsed) {
    for (const childStats of await Promise.all((parsed as ImageIndex).manifests.map((child) => copyImage(from, to, child)))) {
      stats.blobsSent += childStats.blobsSent;
      stats.blobsSkipped += childStats.blobsSkipped;
      stats.bytesSent += childStats.bytesSent;
    }
  } else {
    const manifest = parsed as ImageManifest;
    if (!manifest.config || !Array.isArray(manifest.layers)) throw stepError(`${from.name}: ${root.digest} is neither an image index nor a manifest`);
    await Promise.all(
      [manifest.config, ...manifest.layers].map(async (blob) => {
        if (await to.hasBlob(blob)) {
          stats.blobsSkipped++;
          return;
        }
        await to.putBlob(blob, () => from.openBlob(blob));
        stats.blobsSent++;
        stats.bytesSent += blob.size;
      }),
    );
  }
  await to.putManifest(root, bytes);
  return stats;
}

/** The platforms an index lists, attestation entries (unknown/unknown) left out. */
export function indexPlatforms(index: ImageIndex): string[] {
  return index.manifests
    .filter((m) => m.platform && m.platform.os !== 'unknown' && m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')
    .map((m) => [m.platform!.os, m.platform!.architecture, m.platform!.variant].filter(Boolean).join('/'));
}
