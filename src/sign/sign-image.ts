/**
 * Signs one published image and attests what it is, for cosign: the index and every platform
 * manifest get a signature (`.sig`) and signed attestations (`.att`): an SPDX SBOM and SLSA
 * provenance (v1, and the same as v0.2 for tools that know only that). Everything is stored by digest here; the `.sig`/`.att` tags are returned for the
 * caller's tag phase. Signatures already there from another key are kept; ours replace our own
 * older ones, and a manifest that already carries exactly what we would add is left unchanged.
 */
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from '../oci/types.js';
import type { ImageStore } from '../publish/image-store.js';
import { bufferBlobSource } from '../registry/blob-source.js';
import type { TagWrite } from '../publish/tag-phase.js';
import { classifyIndex } from '../publish/image-listing.js';
import { readAttestations, readCosignLayers, readJsonBlob, readSignatures } from './cosign-read.js';
import { attestationLayer, cosignManifest, cosignTag, signatureLayer, simpleSigningPayload, type CosignKind, type CosignLayer } from './cosign-layout.js';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope } from './dsse.js';
import { goBinariesInImage } from './image-binaries.js';
import { makeStatement, SLSA_PROVENANCE_PREDICATE_TYPE, SLSA_V02_PROVENANCE_PREDICATE_TYPE, SPDX_PREDICATE_TYPE, subjectOf } from './in-toto.js';
import { signBytes, type SigningKey } from './signing-key.js';
import { indexSbom, platformSbom, type PlatformSbomInput, type SbomBase } from './spdx-sbom.js';
import { slsaProvenance, slsaProvenanceV02, type ProvenanceRequest } from './slsa-provenance.js';

export interface SignImageRequest {
  store: ImageStore;
  /** `host/repo`, as the signature payload names it. */
  repository: string;
  /** The index (or a single manifest) pushed by digest. */
  root: Descriptor;
  key: SigningKey;
  /** Provenance of the whole image; `platform` given: of that platform's image (inputs for it only). */
  provenance(platform?: string): ProvenanceRequest;
  /** Base images of a platform's image, for its SBOM. */
  bases(platform: string): SbomBase[];
  /** `meshbuild-0.1.0`, the SBOM's creator. */
  tool: string;
  signal?: AbortSignal;
}

export interface SignedImage {
  /** The digests signed: the index and each platform manifest. */
  subjects: string[];
  /** `.sig` and `.att` tags to write (through the tag phase). */
  tags: TagWrite[];
  /** Go binaries found per platform, for the summary. */
  binaries: Record<string, number>;
}

/** What goes into one `.sig` or `.att` manifest for one digest. */
interface Addition {
  digest: string;
  /** The signed manifest, named as the `.sig`/`.att` manifest's subject. */
  subject: Descriptor;
  kind: CosignKind;
  layers: CosignLayer[];
  /** Whether an existing layer already says this (same payload, verified with our key). */
  alreadyThere(existing: CosignManifestContent): boolean;
  /** Whether an existing layer is ours and superseded by `layers`. */
  replaces(layer: CosignLayer): boolean;
}

type CosignManifestContent = CosignLayer[];

export async function signImage(request: SignImageRequest): Promise<SignedImage> {
  const { store, root, signal } = request;
  const document = JSON.parse((await store.readManifest(root, signal)).toString('utf8')) as ImageIndex | ImageManifest;
  const entries = 'manifests' in document ? classifyIndex(document).platforms.map((p) => ({ name: p.name, descriptor: p.descriptor })) : [];
  const platformInputs: PlatformSbomInput[] = [];
  for (const entry of entries) platformInputs.push(await platformInput(request, entry.name, entry.descriptor));

  const additions: Addition[] = [];
  for (const [i, input] of platformInputs.entries()) additions.push(...subjectAdditions(request, entries[i]!.descriptor, platformSbom(input), input.platform));
  const created = platformInputs.map((p) => p.created).sort()[0] ?? '1970-01-01T00:00:00Z';
  const sbom = indexSbom({ repository: request.repository, digest: root.digest, created, tool: request.tool }, platformInputs);
  additions.push(...subjectAdditions(request, root, sbom, undefined));

  const tags: TagWrite[] = [];
  for (const addition of additions) {
    const tag = await storeAddition(store, addition, signal);
    if (tag) tags.push(tag);
  }
  return {
    subjects: [root.digest, ...platformInputs.map((p) => p.digest)],
    tags,
    binaries: Object.fromEntries(platformInputs.map((p) => [p.platform, p.binaries.length])),
  };
}

async function platformInput(request: SignImageRequest, platform: string, descriptor: Descriptor): Promise<PlatformSbomInput> {
  const manifest = JSON.parse((await request.store.readManifest(descriptor, request.signal)).toString('utf8')) as ImageManifest;
  const config = await readJsonBlob<ImageConfig>(request.store, manifest.config, request.signal);
  return {
    repository: request.repository,
    digest: descriptor.digest,
    platform,
    binaries: await goBinariesInImage(request.store, manifest, request.signal),
    bases: request.bases(platform),
    created: config.created ?? '1970-01-01T00:00:00Z',
    tool: request.tool,
  };
}

function subjectAdditions(request: SignImageRequest, subject: Descriptor, sbom: object, platform: string | undefined): Addition[] {
  const digest = subject.digest;
  const payload = simpleSigningPayload(request.repository, digest);
  const provenance = slsaProvenance(request.provenance(platform));
  const statement = (type: string, predicate: object) => ({
    type,
    bytes: Buffer.from(JSON.stringify(makeStatement([subjectOf(request.repository, digest)], type, predicate))),
  });
  const statements = [
    statement(SPDX_PREDICATE_TYPE, sbom),
    statement(SLSA_PROVENANCE_PREDICATE_TYPE, provenance),
    statement(SLSA_V02_PROVENANCE_PREDICATE_TYPE, slsaProvenanceV02(provenance)),
  ];
  const key = request.key;
  return [
    {
      digest,
      subject,
      kind: 'sig',
      layers: [signatureLayer(payload, signBytes(key, payload))],
      alreadyThere: (existing) => readSignatures(existing, key.publicKey).some((s) => s.payload.equals(payload)),
      replaces: (layer) => readSignatures([layer], key.publicKey).some((s) => s.digest === digest),
    },
    {
      digest,
      subject,
      kind: 'att',
      layers: statements.map((s) => attestationLayer(Buffer.from(JSON.stringify(signEnvelope(key, IN_TOTO_PAYLOAD_TYPE, s.bytes))), s.type)),
      alreadyThere: (existing) => {
        const ours = readAttestations(existing, key.publicKey);
        return statements.every((s) => ours.some((a) => a.predicateType === s.type && a.payload.equals(s.bytes)));
      },
      replaces: (layer) => readAttestations([layer], key.publicKey).some((a) => statements.some((s) => s.type === a.predicateType)),
    },
  ];
}

/** Pushes the manifest (existing layers kept, ours added) by digest; its tag for the tag phase, or none when nothing changes. */
async function storeAddition(store: ImageStore, addition: Addition, signal?: AbortSignal): Promise<TagWrite | undefined> {
  const tag = cosignTag(addition.digest, addition.kind);
  const current = await store.resolveTag(tag, signal);
  const existing = current ? await readCosignLayers(store, current, signal) : [];
  if (addition.alreadyThere(existing)) return undefined;
  const layers = [...existing.filter((layer) => !addition.replaces(layer)), ...addition.layers];
  const manifest = cosignManifest(
    layers.map((l) => l.descriptor),
    addition.subject,
    addition.kind,
  );
  const blobs = [manifest.config, ...layers];
  // Stores skip blobs they have; the source answers any range an upload asks for (chunks, resumes).
  for (const blob of blobs) await store.putBlob(blob.descriptor, bufferBlobSource(blob.bytes), signal);
  await store.putManifest(manifest.descriptor, manifest.bytes, undefined, signal);
  return { store, tag, index: manifest.descriptor, bytes: manifest.bytes };
}
