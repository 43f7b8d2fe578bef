/** Picks one platform's manifest out of an image index (or accepts a single-platform manifest). */
import { stepError } from '../../errors.js';
import { isIndexMediaType } from '../../oci/media-types.js';
import type { Descriptor, ImageIndex } from '../../oci/types.js';
import { formatPlatform, type Platform } from '../../platform.js';
import type { ImageStore } from '../../publish/image-store.js';

export async function pickPlatformManifest(store: ImageStore, root: Descriptor, platform: Platform, name: string): Promise<Descriptor> {
  if (!isIndexMediaType(root.mediaType)) return root;
  const index = JSON.parse((await store.readManifest(root)).toString('utf8')) as ImageIndex;
  const match = index.manifests.find(
    (m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture && (m.platform.variant ?? '') === (platform.variant ?? ''),
  ) ?? index.manifests.find((m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture && platform.variant === undefined);
  if (!match) {
    const has = index.manifests.filter((m) => m.platform && m.platform.os !== 'unknown').map((m) => [m.platform!.os, m.platform!.architecture, m.platform!.variant].filter(Boolean).join('/'));
    throw stepError(`base image ${name} has no ${formatPlatform(platform)} image (it has ${has.join(', ') || 'none'})`, {
      hint: `build or pick a base that includes ${formatPlatform(platform)}, or leave it out of --platforms`,
    });
  }
  return match;
}
