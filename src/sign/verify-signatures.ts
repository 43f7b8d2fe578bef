/**
 * `verify --key`: every manifest of an image (the index and each platform's) must carry a
 * signature and its attestations (SPDX SBOM, SLSA v1 and v0.2 provenance) that verify with the public key and
 * name that manifest's digest, and each platform's SBOM must list exactly the Go binaries found in
 * its layers, with their digests.
 */
import type { KeyObject } from 'node:crypto';
import type { Descriptor, ImageManifest } from '../oci/types.js';
import type { ImageStore } from '../publish/image-store.js';
import { readAttestations, readCosignLayers, readSignatures } from './cosign-read.js';
import { cosignTag } from './cosign-layout.js';
import { goBinariesInImage } from './image-binaries.js';
import { SLSA_PROVENANCE_PREDICATE_TYPE, SLSA_V02_PROVENANCE_PREDICATE_TYPE, SPDX_PREDICATE_TYPE, type Statement } from './in-toto.js';
import type { SpdxDocument } from './spdx-sbom.js';

export interface SignedSubject {
  descriptor: Descriptor;
  /** `linux/arm64`; absent for the index. */
  platform?: string;
}

export interface SignatureFinding {
  platform?: string;
  file?: string;
  problem: string;
}

export interface SignatureCheck {
  /** Manifests whose signature verified. */
  signed: number;
  /** Attestations that verified (three per manifest when all is well: SBOM, SLSA v1, SLSA v0.2). */
  attestations: number;
  problems: SignatureFinding[];
}

const WANTED = [
  { type: SPDX_PREDICATE_TYPE, what: 'SBOM (SPDX)' },
  { type: SLSA_PROVENANCE_PREDICATE_TYPE, what: 'provenance (SLSA v1)' },
  { type: SLSA_V02_PROVENANCE_PREDICATE_TYPE, what: 'provenance (SLSA v0.2)' },
] as const;

export async function verifySignatures(
  store: ImageStore,
  subjects: readonly SignedSubject[],
  publicKey: KeyObject,
  signal?: AbortSignal,
): Promise<SignatureCheck> {
  const check: SignatureCheck = { signed: 0, attestations: 0, problems: [] };
  for (const subject of subjects) {
    const digest = subject.descriptor.digest;
    const where = subject.platform ? { platform: subject.platform } : {};
    const problem = (text: string, file?: string) => check.problems.push({ ...where, ...(file ? { file } : {}), problem: text });
    const what = subject.platform ? `the ${subject.platform} manifest ${digest}` : `the index ${digest}`;

    const signatures = readSignatures(await layersAt(store, cosignTag(digest, 'sig'), signal), publicKey);
    if (signatures.some((s) => s.digest === digest)) check.signed++;
    else problem(`${what} has no signature that verifies with the key (${cosignTag(digest, 'sig')})`);

    const attestations = readAttestations(await layersAt(store, cosignTag(digest, 'att'), signal), publicKey).filter((a) => names(a.statement, digest));
    for (const wanted of WANTED) {
      if (attestations.some((a) => a.predicateType === wanted.type)) check.attestations++;
      else problem(`${what} has no ${wanted.what} attestation that verifies with the key (${cosignTag(digest, 'att')})`);
    }
    const sbom = attestations.find((a) => a.predicateType === SPDX_PREDICATE_TYPE)?.statement.predicate as SpdxDocument | undefined;
    if (subject.platform && sbom) {
      const manifest = JSON.parse((await store.readManifest(subject.descriptor, signal)).toString('utf8')) as ImageManifest;
      for (const finding of compareBinaries(sbom, await goBinariesInImage(store, manifest, signal))) problem(finding.problem, finding.file);
    }
  }
  return check;
}

/** Differences between the Go binaries an SBOM lists and those in the layers. */
export function compareBinaries(sbom: SpdxDocument, found: ReadonlyArray<{ file: string; digest: string }>): Array<{ file: string; problem: string }> {
  const listed = new Map<string, string | undefined>();
  for (const pkg of sbom.packages ?? []) {
    if (pkg.primaryPackagePurpose === 'APPLICATION' && pkg.packageFileName)
      listed.set(pkg.packageFileName, pkg.checksums?.find((c) => c.algorithm === 'SHA256')?.checksumValue);
  }
  const problems: Array<{ file: string; problem: string }> = [];
  for (const binary of found) {
    const sum = listed.get(binary.file);
    if (!listed.has(binary.file)) problems.push({ file: binary.file, problem: `the SBOM does not list ${binary.file}, a Go binary in the layers` });
    else if (sum !== binary.digest.replace(/^sha256:/, ''))
      problems.push({ file: binary.file, problem: `the SBOM lists ${binary.file} with another digest than the file in the layers` });
  }
  for (const file of listed.keys()) {
    if (!found.some((b) => b.file === file)) problems.push({ file, problem: `the SBOM lists ${file}, which is not a Go binary in the layers` });
  }
  return problems;
}

function names(statement: Statement, digest: string): boolean {
  const hex = digest.replace(/^sha256:/, '');
  return statement.subject.some((s) => s.digest?.sha256 === hex);
}

async function layersAt(store: ImageStore, tag: string, signal?: AbortSignal) {
  const descriptor = await store.resolveTag(tag, signal);
  return descriptor ? readCosignLayers(store, descriptor, signal) : [];
}
