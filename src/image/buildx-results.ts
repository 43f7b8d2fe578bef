/**
 * Reading what buildx wrote: the image descriptor from its --metadata-file (per bake target), a lone manifest
 * wrapped into an index, and the per-platform layouts of a multi-node builder joined into one.
 */
import { copyFile, link, readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { stepError } from '../errors.js';
import { formatPlatform, type Platform } from '../platform.js';
import { isIndexMediaType } from '../oci/media-types.js';
import { OciLayout } from '../oci/layout.js';
import { encodeImageIndex } from '../oci/manifest.js';
import type { Descriptor, ImageIndex } from '../oci/types.js';

/** The image descriptor of one build's (or one bake target's) metadata. */
export function descriptorFromMetadata(metadata: Record<string, unknown>, image: string): Descriptor {
  const descriptor = metadata['containerimage.descriptor'] as Partial<Descriptor> | undefined;
  if (!descriptor || typeof descriptor.digest !== 'string' || typeof descriptor.size !== 'number' || typeof descriptor.mediaType !== 'string') {
    throw stepError(`buildx metadata for ${image} has no image descriptor`);
  }
  return { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size };
}

/** Stores an index listing the one manifest buildx built for `platform`, and returns its descriptor. */
export async function wrapInIndex(layoutDir: string, manifest: Descriptor, platform: Platform, annotations?: Record<string, string>): Promise<Descriptor> {
  return writeIndex(layoutDir, [{ ...manifest, platform: ociPlatform(platform) }], annotations);
}

/** One platform's build: the layout buildx wrote and the descriptor its metadata names. */
export interface PlatformLayout {
  platform: Platform;
  layoutDir: string;
  descriptor: Descriptor;
}

/**
 * Joins per-platform builds into the layout `into` and returns the index listing each platform's
 * manifest (with its attestation entries, when buildx wrote an index for it). `into` is made from
 * the first build's folder; the others' blobs are linked into it.
 */
export async function joinPlatformLayouts(parts: PlatformLayout[], into: string, annotations?: Record<string, string>): Promise<Descriptor> {
  const manifests: Descriptor[] = [];
  for (const part of parts) {
    if (!isIndexMediaType(part.descriptor.mediaType)) {
      manifests.push({ ...part.descriptor, platform: ociPlatform(part.platform) });
      continue;
    }
    const index = JSON.parse(await readFile(blobPath(part.layoutDir, part.descriptor.digest), 'utf8')) as ImageIndex;
    if (!index.manifests.some((m) => m.platform?.architecture === part.platform.architecture && m.platform.os === part.platform.os)) {
      throw stepError(`buildx built ${formatPlatform(part.platform)} without an entry for it in its index`);
    }
    manifests.push(...index.manifests);
  }
  await rename(parts[0]!.layoutDir, into);
  const layout = await OciLayout.open(into);
  for (const part of parts.slice(1)) {
    const from = path.join(part.layoutDir, 'blobs', 'sha256');
    for (const name of await readdir(from)) {
      const digest = `sha256:${name}`;
      if (await layout.hasBlob(digest)) continue;
      await link(path.join(from, name), layout.blobPath(digest)).catch(() => copyFile(path.join(from, name), layout.blobPath(digest)));
    }
  }
  return writeIndex(into, manifests, annotations);
}

/** `annotations`: the image's index annotations (the plan's metadata). */
async function writeIndex(layoutDir: string, manifests: Descriptor[], annotations?: Record<string, string>): Promise<Descriptor> {
  const index = encodeImageIndex({ manifests, ...(annotations ? { annotations } : {}) });
  await (await OciLayout.open(layoutDir)).writeBlob(index.bytes, { digest: index.descriptor.digest });
  return index.descriptor;
}

function ociPlatform(platform: Platform): NonNullable<Descriptor['platform']> {
  return { os: platform.os, architecture: platform.architecture, ...(platform.variant ? { variant: platform.variant } : {}) };
}

function blobPath(layoutDir: string, digest: string): string {
  return path.join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}
