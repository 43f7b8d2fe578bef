/**
 * Where cosign keeps signatures and attestations of `repo@sha256:<hex>`: manifests tagged
 * `sha256-<hex>.sig` (a simple-signing payload per layer, its signature in an annotation) and
 * `sha256-<hex>.att` (a DSSE envelope per layer, its predicate type in an annotation), in the
 * image's own repository. The tags derive from the digest: they never move to other content.
 */
import { parseDigest, sha256Digest } from '../oci/digest.js';
import { MEDIA_TYPE } from '../oci/media-types.js';
import type { Descriptor, ImageManifest } from '../oci/types.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';
const SIMPLE_SIGNING_TYPE = 'cosign container image signature';

export type CosignKind = 'sig' | 'att';

/** `sha256-<hex>.sig` / `sha256-<hex>.att` for the image `digest`. */
export function cosignTag(digest: string, kind: CosignKind): string {
  return `sha256-${parseDigest(digest).hex}.${kind}`;
}

/** Whether `tag` is one of cosign's digest-derived `.sig`/`.att` tags. */
export function isCosignTag(tag: string): boolean {
  return /^sha256-[a-f0-9]{64}\.(sig|att)$/.test(tag);
}

/** The payload cosign signs for an image: its repository and manifest digest. */
export function simpleSigningPayload(repository: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': repository }, image: { 'docker-manifest-digest': digest }, type: SIMPLE_SIGNING_TYPE },
      optional: null,
    }),
  );
}

/** The manifest digest a simple-signing payload names, or undefined when it is not one. */
export function signedDigest(payload: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as { critical?: { type?: string; image?: { 'docker-manifest-digest'?: unknown } } };
    const digest = parsed.critical?.image?.['docker-manifest-digest'];
    return parsed.critical?.type === SIMPLE_SIGNING_TYPE && typeof digest === 'string' ? digest : undefined;
  } catch {
    return undefined;
  }
}

/** A layer of a `.sig` or `.att` manifest with its content. */
export interface CosignLayer {
  descriptor: Descriptor;
  bytes: Buffer;
}

export function signatureLayer(payload: Buffer, signature: string): CosignLayer {
  return layerOf(SIMPLE_SIGNING_MEDIA_TYPE, payload, { [SIGNATURE_ANNOTATION]: signature });
}

export function attestationLayer(envelope: Buffer, predicateType: string): CosignLayer {
  // cosign writes the empty signature annotation on attestation layers too; its readers expect it.
  return layerOf(DSSE_MEDIA_TYPE, envelope, { [SIGNATURE_ANNOTATION]: '', [PREDICATE_TYPE_ANNOTATION]: predicateType });
}

function layerOf(mediaType: string, bytes: Buffer, annotations: Record<string, string>): CosignLayer {
  return { descriptor: { mediaType, digest: sha256Digest(bytes), size: bytes.length, annotations }, bytes };
}

/** A `.sig`/`.att` manifest: uncompressed layers, so the config's diff ids are the layer digests. */
export interface CosignManifest {
  descriptor: Descriptor;
  bytes: Buffer;
  config: { descriptor: Descriptor; bytes: Buffer };
  layers: Descriptor[];
}

/**
 * The manifest names the signed manifest as its `subject` (with cosign's OCI 1.1 artifact type):
 * a registry with the OCI 1.1 referrers API lists it as a referrer of that manifest when it is
 * stored, and a copy to such a registry does the same; registries without the API keep the field
 * as it is, and cosign finds the manifest by its tag either way.
 */
export function cosignManifest(layers: readonly Descriptor[], subject: Descriptor, kind: CosignKind): CosignManifest {
  const configBytes = Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }));
  const config: Descriptor = { mediaType: MEDIA_TYPE.ociConfig, digest: sha256Digest(configBytes), size: configBytes.length };
  const manifest: ImageManifest & { artifactType: string; subject: Descriptor } = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociManifest,
    artifactType: `application/vnd.dev.cosign.artifact.${kind}.v1+json`,
    config,
    layers: [...layers],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return {
    descriptor: { mediaType: MEDIA_TYPE.ociManifest, digest: sha256Digest(bytes), size: bytes.length },
    bytes,
    config: { descriptor: config, bytes: configBytes },
    layers: [...layers],
  };
}
