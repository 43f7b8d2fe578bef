/**
 * Reads back what cosign-compatible signers stored: the layers of a `.sig`/`.att` manifest, the
 * signatures among them that verify with a public key (and the digest each signs), and the
 * attestations whose DSSE envelope verifies (with their in-toto statements).
 */
import type { KeyObject } from 'node:crypto';
import { stepError } from '../errors.js';
import type { Descriptor, ImageManifest } from '../oci/types.js';
import type { ImageStore } from '../publish/image-store.js';
import {
  DSSE_MEDIA_TYPE,
  PREDICATE_TYPE_ANNOTATION,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signedDigest,
  type CosignLayer,
} from './cosign-layout.js';
import { openEnvelope, type DsseEnvelope } from './dsse.js';
import { parseStatement, type Statement } from './in-toto.js';
import { verifyBytes } from './signing-key.js';

/** Largest signature or attestation layer read (an SBOM of a large image is a few MiB). */
const MAX_LAYER_BYTES = 64 * 1024 * 1024;

export async function readJsonBlob<T>(store: ImageStore, descriptor: Descriptor, signal?: AbortSignal): Promise<T> {
  const bytes = await readBlob(store, descriptor, signal);
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw stepError(`${descriptor.digest} in ${store.name} is not valid JSON`);
  }
}

export async function readBlob(store: ImageStore, descriptor: Descriptor, signal?: AbortSignal): Promise<Buffer> {
  if (descriptor.size > MAX_LAYER_BYTES) throw stepError(`${descriptor.digest} in ${store.name} is larger than 64 MiB: not read`);
  const stream = await store.openBlob(descriptor, signal);
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The layers (with content) of the manifest `descriptor` names. */
export async function readCosignLayers(store: ImageStore, descriptor: Descriptor, signal?: AbortSignal): Promise<CosignLayer[]> {
  const manifest = JSON.parse((await store.readManifest(descriptor, signal)).toString('utf8')) as ImageManifest;
  if (!Array.isArray(manifest.layers)) throw stepError(`${store.name}@${descriptor.digest} is not an image manifest`);
  const layers: CosignLayer[] = [];
  for (const layer of manifest.layers) layers.push({ descriptor: layer, bytes: await readBlob(store, layer, signal) });
  return layers;
}

export interface VerifiedSignature {
  payload: Buffer;
  /** The manifest digest the payload names. */
  digest: string;
}

/** Simple-signing layers whose signature annotation verifies with `publicKey`. */
export function readSignatures(layers: readonly CosignLayer[], publicKey: KeyObject): VerifiedSignature[] {
  const verified: VerifiedSignature[] = [];
  for (const layer of layers) {
    const signature = layer.descriptor.annotations?.[SIGNATURE_ANNOTATION];
    if (layer.descriptor.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE || !signature) continue;
    if (!verifyBytes(publicKey, layer.bytes, signature)) continue;
    const digest = signedDigest(layer.bytes);
    if (digest !== undefined) verified.push({ payload: layer.bytes, digest });
  }
  return verified;
}

export interface VerifiedAttestation {
  predicateType: string;
  /** The statement's bytes, as signed. */
  payload: Buffer;
  statement: Statement;
}

/** DSSE layers whose envelope verifies with `publicKey` and holds an in-toto statement of the annotated type. */
export function readAttestations(layers: readonly CosignLayer[], publicKey: KeyObject): VerifiedAttestation[] {
  const verified: VerifiedAttestation[] = [];
  for (const layer of layers) {
    if (layer.descriptor.mediaType !== DSSE_MEDIA_TYPE) continue;
    let envelope: DsseEnvelope;
    try {
      envelope = JSON.parse(layer.bytes.toString('utf8')) as DsseEnvelope;
    } catch {
      continue;
    }
    const payload = openEnvelope(envelope, publicKey);
    const statement = payload && parseStatement(payload);
    if (!payload || !statement) continue;
    const annotated = layer.descriptor.annotations?.[PREDICATE_TYPE_ANNOTATION];
    if (annotated !== undefined && annotated !== statement.predicateType) continue;
    verified.push({ predicateType: statement.predicateType, payload, statement });
  }
  return verified;
}
