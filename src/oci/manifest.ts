/**
 * Image configs, manifests and indexes as the bytes that get digested: pure functions, keys in a
 * fixed order (maps such as labels and annotations sorted), no whitespace, no clock. The same
 * input always gives the same bytes and so the same digest.
 */
import { sha256Digest } from './digest.js';
import { MEDIA_TYPE } from './media-types.js';
import type { Descriptor, HistoryEntry, ImageConfig, ImageConfigDetails, ImageIndex, ImageManifest, OciPlatform } from './types.js';

/** A JSON document with its exact bytes and the descriptor that points at them. */
export interface EncodedBlob<T> {
  value: T;
  bytes: Buffer;
  descriptor: Descriptor;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json | undefined };

/** A copy of `record` with keys sorted (bytewise), or undefined for undefined. */
function sortedRecord<V extends Json>(record: Record<string, V> | undefined): Record<string, V> | undefined {
  if (record === undefined) return undefined;
  const out: Record<string, V> = {};
  for (const key of Object.keys(record).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) out[key] = record[key]!;
  return out;
}

/** A copy without the members whose value is undefined, keys in the same order. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}

/** A platform with its keys in the order the OCI spec's Go types marshal them. */
export function orderPlatform(platform: OciPlatform): OciPlatform {
  return compact({
    architecture: platform.architecture,
    os: platform.os,
    'os.version': platform['os.version'],
    'os.features': platform['os.features'],
    variant: platform.variant,
  });
}

/** A descriptor with its keys in a fixed order: mediaType, artifactType, digest, size, urls, platform, annotations. */
export function orderDescriptor(descriptor: Descriptor): Descriptor {
  return compact({
    mediaType: descriptor.mediaType,
    artifactType: descriptor.artifactType,
    digest: descriptor.digest,
    size: descriptor.size,
    urls: descriptor.urls,
    platform: descriptor.platform === undefined ? undefined : orderPlatform(descriptor.platform),
    annotations: sortedRecord(descriptor.annotations),
  });
}

/** Bytes of a value whose keys are already in order; undefined members are left out. */
function encode(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** The descriptor of `bytes`: its digest and size under `mediaType`, plus any extra fields. */
export function describeBytes(
  bytes: Uint8Array,
  mediaType: string,
  extra: Partial<Pick<Descriptor, 'platform' | 'annotations' | 'artifactType'>> = {},
): Descriptor {
  return orderDescriptor({ mediaType, digest: sha256Digest(bytes), size: bytes.byteLength, ...extra });
}

export interface ImageConfigInput {
  platform: OciPlatform;
  /** diffIDs of the layers, bottom first. */
  diffIds: readonly string[];
  /** Runtime settings (Entrypoint, Env, ...). Default: none. */
  config?: ImageConfigDetails;
  /** RFC 3339 time. Default: left out, so the digest does not depend on when it was built. */
  created?: string;
  author?: string;
  /** Default: left out. */
  history?: readonly HistoryEntry[];
}

function orderConfigDetails(details: ImageConfigDetails): ImageConfigDetails {
  return {
    User: details.User,
    ExposedPorts: sortedRecord(details.ExposedPorts),
    Env: details.Env,
    Entrypoint: details.Entrypoint,
    Cmd: details.Cmd,
    Volumes: sortedRecord(details.Volumes),
    WorkingDir: details.WorkingDir,
    Labels: sortedRecord(details.Labels),
    StopSignal: details.StopSignal,
  };
}

/** The image config (media type ociConfig) for one platform. */
export function encodeImageConfig(input: ImageConfigInput): EncodedBlob<ImageConfig> {
  const platform = orderPlatform(input.platform);
  const value: ImageConfig = {
    created: input.created,
    author: input.author,
    architecture: platform.architecture,
    os: platform.os,
    'os.version': platform['os.version'],
    'os.features': platform['os.features'],
    variant: platform.variant,
    config: input.config === undefined ? undefined : orderConfigDetails(input.config),
    rootfs: { type: 'layers', diff_ids: [...input.diffIds] },
    history: input.history?.map((entry) => ({
      created: entry.created,
      created_by: entry.created_by,
      author: entry.author,
      comment: entry.comment,
      empty_layer: entry.empty_layer,
    })),
  };
  const bytes = encode(value);
  return { value: JSON.parse(bytes.toString('utf8')) as ImageConfig, bytes, descriptor: describeBytes(bytes, MEDIA_TYPE.ociConfig) };
}

/** The platform an image config describes. */
export function platformOfConfig(config: ImageConfig): OciPlatform {
  return orderPlatform({
    architecture: config.architecture,
    os: config.os,
    'os.version': config['os.version'],
    'os.features': config['os.features'],
    variant: config.variant,
  });
}

export interface ImageManifestInput {
  config: Descriptor;
  /** Layer descriptors, bottom first. */
  layers: readonly Descriptor[];
  annotations?: Record<string, string>;
  /** Put on the returned descriptor (not in the manifest), for listing it in an index. */
  platform?: OciPlatform;
}

/** An OCI image manifest (media type ociManifest); its descriptor carries `platform` when given. */
export function encodeImageManifest(input: ImageManifestInput): EncodedBlob<ImageManifest> {
  const value: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociManifest,
    config: orderDescriptor(input.config),
    layers: input.layers.map(orderDescriptor),
    annotations: sortedRecord(input.annotations),
  };
  const bytes = encode(value);
  const extra = input.platform === undefined ? {} : { platform: input.platform };
  return { value: JSON.parse(bytes.toString('utf8')) as ImageManifest, bytes, descriptor: describeBytes(bytes, MEDIA_TYPE.ociManifest, extra) };
}

export interface ImageIndexInput {
  /** Manifest descriptors, each with its platform; kept in the order given. */
  manifests: readonly Descriptor[];
  annotations?: Record<string, string>;
}

/** An OCI image index (media type ociIndex), e.g. one multi-platform image. */
export function encodeImageIndex(input: ImageIndexInput): EncodedBlob<ImageIndex> {
  const value: ImageIndex = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociIndex,
    manifests: input.manifests.map(orderDescriptor),
    annotations: sortedRecord(input.annotations),
  };
  const bytes = encode(value);
  return { value: JSON.parse(bytes.toString('utf8')) as ImageIndex, bytes, descriptor: describeBytes(bytes, MEDIA_TYPE.ociIndex) };
}
