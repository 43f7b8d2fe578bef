/**
 * What an image lists: its platforms (normalised as `--platforms` values are) and its attestation
 * entries, read from any image store. Shared by verify, mirror and push.
 */
import { stepError } from '../errors.js';
import { isIndexMediaType } from '../oci/media-types.js';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest, OciPlatform } from '../oci/types.js';
import { formatPlatform, parsePlatform, type Platform } from '../platform.js';
import type { ImageStore } from './image-store.js';

/** One platform entry of an index (or the platform of a single-platform manifest). */
export interface ListedPlatform {
  platform: Platform;
  name: string;
  descriptor: Descriptor;
}

export interface ImageListing {
  root: Descriptor;
  isIndex: boolean;
  platforms: ListedPlatform[];
  attestations: string[];
}

/** An OCI platform normalised as `--platforms` values are (`linux/arm64/v8` is `linux/arm64`). */
export function normalizeOciPlatform(platform: OciPlatform): Platform {
  const raw: Platform = platform.variant
    ? { os: platform.os, architecture: platform.architecture, variant: platform.variant }
    : { os: platform.os, architecture: platform.architecture };
  const parsed = parsePlatform(formatPlatform(raw));
  return parsed.ok ? parsed.platform : raw;
}

/** Whether an index entry is an attestation (buildx's provenance/SBOM) rather than a platform. */
export function isAttestationEntry(descriptor: Descriptor): boolean {
  return (
    descriptor.platform === undefined ||
    descriptor.platform.os === 'unknown' ||
    descriptor.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'
  );
}

/** Splits an index's entries into platforms and attestations (described for people). */
export function classifyIndex(index: ImageIndex): { platforms: ListedPlatform[]; attestations: string[] } {
  const platforms: ListedPlatform[] = [];
  const attestations: string[] = [];
  for (const descriptor of index.manifests) {
    if (isAttestationEntry(descriptor)) {
      const kind = descriptor.annotations?.['vnd.docker.reference.type'];
      const subject = descriptor.annotations?.['vnd.docker.reference.digest'];
      const where = descriptor.platform
        ? [descriptor.platform.os, descriptor.platform.architecture, descriptor.platform.variant].filter(Boolean).join('/')
        : 'no platform';
      attestations.push(`${descriptor.digest} (${[where, kind, subject && `for ${subject}`].filter(Boolean).join(', ')})`);
      continue;
    }
    const platform = normalizeOciPlatform(descriptor.platform!);
    platforms.push({ platform, name: formatPlatform(platform), descriptor });
  }
  return { platforms, attestations };
}

/** Lists an image's platforms; a single-platform manifest's platform comes from its config. */
export async function listImage(store: ImageStore, root: Descriptor): Promise<ImageListing> {
  const document = parseJson<ImageIndex | ImageManifest>(await store.readManifest(root), `${store.name}@${root.digest}`);
  if (isIndexMediaType(root.mediaType) || 'manifests' in document) {
    return { root, isIndex: true, ...classifyIndex(document as ImageIndex) };
  }
  const config = await readConfig(store, document as ImageManifest);
  const platform = normalizeOciPlatform(config);
  return { root, isIndex: false, platforms: [{ platform, name: formatPlatform(platform), descriptor: root }], attestations: [] };
}

export async function readConfig(store: ImageStore, manifest: ImageManifest): Promise<ImageConfig> {
  const stream = await store.openBlob(manifest.config);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 8 * 1024 * 1024) {
      stream.destroy();
      throw stepError(`the image config ${manifest.config.digest} in ${store.name} is larger than 8 MiB`);
    }
    chunks.push(chunk);
  }
  return parseJson<ImageConfig>(Buffer.concat(chunks), `image config ${manifest.config.digest} in ${store.name}`);
}

export function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw stepError(`${what} is not valid JSON`);
  }
}
