/** Picks one platform's manifest out of an image index (or accepts a single-platform manifest). */
import { stepError } from '../../errors.js';
import { isIndexMediaType } from '../../oci/media-types.js';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from '../../oci/types.js';
import { formatPlatform, type Platform } from '../../platform.js';
import type { ImageStore } from '../../publish/image-store.js';

export async function pickPlatformManifest(store: ImageStore, root: Descriptor, platform: Platform, name: string): Promise<Descriptor> {
  if (!isIndexMediaType(root.mediaType)) return checkSingleManifest(store, root, platform, name);
  const index = JSON.parse((await store.readManifest(root)).toString('utf8')) as ImageIndex;
  const match =
    index.manifests.find(
      (m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture && (m.platform.variant ?? '') === (platform.variant ?? ''),
    ) ?? index.manifests.find((m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture && platform.variant === undefined);
  if (!match) {
    const has = index.manifests
      .filter((m) => m.platform && m.platform.os !== 'unknown')
      .map((m) => [m.platform!.os, m.platform!.architecture, m.platform!.variant].filter(Boolean).join('/'));
    throw stepError(`base image ${name} has no ${formatPlatform(platform)} image (it has ${has.join(', ') || 'none'})`, {
      hint: `build or pick a base that includes ${formatPlatform(platform)}, or leave it out of --platforms`,
    });
  }
  return match;
}

/**
 * A base that is one manifest, not an index, is only good for the platform its config names:
 * an amd64-only image must not become the base of the arm64 image.
 */
async function checkSingleManifest(store: ImageStore, root: Descriptor, platform: Platform, name: string): Promise<Descriptor> {
  const manifest = JSON.parse((await store.readManifest(root)).toString('utf8')) as ImageManifest;
  const chunks: Buffer[] = [];
  for await (const chunk of await store.openBlob(manifest.config)) chunks.push(chunk as Buffer);
  const config = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ImageConfig;
  const matches =
    config.os === platform.os &&
    config.architecture === platform.architecture &&
    (platform.variant === undefined || (config.variant ?? '') === platform.variant);
  if (!matches) {
    const has = [config.os, config.architecture, config.variant].filter(Boolean).join('/');
    throw stepError(`base image ${name} has no ${formatPlatform(platform)} image (it is a single ${has} image, not an index of platforms)`, {
      hint: `build or pick a base that includes ${formatPlatform(platform)}, or leave it out of --platforms`,
    });
  }
  return { ...root, platform: { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) } };
}
