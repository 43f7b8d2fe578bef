/**
 * One image from one store to another, by digest: checked to list the platforms wanted, copied,
 * checked to be whole in the destination; its tags are written later, by the tag phase, with
 * every other image's. What `push` and `mirror` do for each image.
 */
import { stepError } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import { formatPlatform, samePlatform, type Platform } from '../platform.js';
import { copyImage, firstMissingManifest, type CopyStats } from './copy-image.js';
import { listImage, type ImageListing } from './image-listing.js';
import type { ImageStore } from './image-store.js';
import type { TagWrite } from './tag-phase.js';

export interface ImageTransfer {
  /** For messages: `pilot:1.0`, `127.0.0.1:5555/mesh/pilot:1.0`. */
  label: string;
  from: ImageStore;
  to: ImageStore;
  root: Descriptor;
  /** Written in `to` by the tag phase, after every copy succeeded. */
  tags: string[];
  /** Platforms the image must list. Default: whatever it lists. */
  platforms?: Platform[];
}

export interface CopiedImage {
  transfer: ImageTransfer;
  listing: ImageListing;
  /** What was sent; when the image was `alreadyThere`, nothing. */
  stats: CopyStats;
  /** The destination had the image (by digest) before the copy: nothing was sent. */
  alreadyThere: boolean;
  durationMs: number;
}

/**
 * Checks that the image lists every wanted platform, copies it by digest and checks that the
 * destination now holds it and each of its manifests. Throws a step error naming what is missing.
 */
export async function copyAndCheck(transfer: ImageTransfer, signal?: AbortSignal): Promise<CopiedImage> {
  const started = Date.now();
  const { label, from, to, root } = transfer;
  const listing = await listImage(from, root);
  const wanted = transfer.platforms ?? [];
  const missing = wanted.filter((w) => !listing.platforms.some((p) => samePlatform(p.platform, w)));
  if (missing.length > 0) {
    const has = listing.platforms.map((p) => p.name).join(', ') || 'no platform';
    throw stepError(`${label} lacks ${missing.map(formatPlatform).join(', ')} (it has ${has}); no tag was written`, {
      hint: 'build the missing platforms and publish again, or leave them out of --platforms',
    });
  }
  if (listing.platforms.length === 0) throw stepError(`${label} lists no platform; no tag was written`);
  if (signal?.aborted) throw signal.reason;
  const alreadyThere = await to.hasManifest(root);
  const stats = alreadyThere ? { blobsSent: 0, blobsSkipped: 0, bytesSent: 0 } : await copyImage(from, to, root, signal ? { signal } : {});
  const children = listing.isIndex ? (JSON.parse((await from.readManifest(root)).toString('utf8')) as { manifests: Descriptor[] }).manifests : [];
  const absent = await firstMissingManifest(to, [root, ...children]);
  if (absent) throw stepError(`${to.name} lacks ${absent.digest} of ${label} after copying it; no tag was written`);
  return { transfer, listing, stats, alreadyThere, durationMs: Date.now() - started };
}

/** Every tag of the copies, for the tag phase. */
export async function tagWrites(copies: readonly CopiedImage[]): Promise<TagWrite[]> {
  const writes: TagWrite[] = [];
  for (const { transfer } of copies) {
    if (transfer.tags.length === 0) continue;
    const bytes = await transfer.to.readManifest(transfer.root);
    for (const tag of transfer.tags) writes.push({ store: transfer.to, tag, index: transfer.root, bytes });
  }
  return writes;
}

/** Sums copy statistics. */
export function addStats(total: CopyStats, more: CopyStats): CopyStats {
  return { blobsSent: total.blobsSent + more.blobsSent, blobsSkipped: total.blobsSkipped + more.blobsSkipped, bytesSent: total.bytesSent + more.bytesSent };
}
