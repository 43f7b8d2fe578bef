/**
 * Checks a published image before anyone pulls it: its index lists every platform asked for,
 * each platform's config says that platform, every ELF binary in each platform's layers was built
 * for it (an amd64 binary in the arm64 image is an `exec format error` waiting to happen), and,
 * with `run`, each platform's executable answers its version command (under qemu where foreign)
 * and, where its output names a platform, names its own.
 */
import type { KeyObject } from 'node:crypto';
import { stepError } from '../errors.js';
import type { Descriptor, ImageIndex, ImageManifest } from '../oci/types.js';
import { formatPlatform, samePlatform, type Platform } from '../platform.js';
import type { ImageStore } from '../publish/image-store.js';
import { RegistryStore } from '../publish/registry-store.js';
import { RegistryClient } from '../registry/client.js';
import { formatReference, parseReference, referenceTarget } from '../registry/reference.js';
import { verifySignatures } from '../sign/verify-signatures.js';
import { listImage, normalizeOciPlatform, parseJson, readConfig, type ListedPlatform } from '../publish/image-listing.js';
import { canCheckElf, scanLayerForForeignBinaries } from './elf-scan.js';
import { runVersion } from './verify-run.js';

export interface VerifyOptions {
  /** Platforms the image must have; empty: every platform its index lists. */
  platforms: Platform[];
  /** Start each platform's executable with `versionArgs` through the Docker Engine. Default false. */
  run?: boolean;
  /** Arguments `run` passes to the image's executable (its version command). Default `["--version"]`. */
  versionArgs?: readonly string[];
  /** Registry hosts that may be reached over plain HTTP besides loopback ones. Default none. */
  insecureRegistries?: string[];
  /** Also check the signature and SBOM + provenance attestations of every manifest with this public key. Default: not checked. */
  publicKey?: KeyObject;
  signal?: AbortSignal;
}

export interface VerifyFinding {
  reference: string;
  platform?: string;
  file?: string;
  problem: string;
}

export interface VerifyResult {
  reference: string;
  /** Digest of what the reference names (the index, or a single-platform manifest). */
  digest: string;
  /** Platforms the index lists, attestation entries left out. */
  platforms: string[];
  /** Attestation entries (unknown/unknown, `vnd.docker.reference.type: attestation-manifest`). */
  attestations: string[];
  problems: VerifyFinding[];
  ok: boolean;
}

/** What `run` saw for one platform. */
export interface RunCheck {
  platform: string;
  command: string[];
  exitCode: number;
  output: string;
}

/** A VerifyResult with what the command line shows besides: runs, binaries checked, single-platform. */
export interface VerifyReport extends VerifyResult {
  /** False when the reference names a single-platform manifest rather than an index. */
  isIndex: boolean;
  /** ELF binaries whose machine was checked, over all platforms. */
  binaries: number;
  runs: RunCheck[];
  /** With `publicKey`: manifests whose signature verified, and attestations that did. */
  signatures?: { signed: number; attestations: number };
}

export interface InspectOptions extends VerifyOptions {
  /** The client for a registry host. Default: a new one honouring `insecureRegistries`. */
  clientFor?: (registry: string) => RegistryClient;
}

/** Verifies `reference` (`host/repo:tag` or `host/repo@sha256:...`) in its registry. */
export async function verifyReference(reference: string, options: VerifyOptions): Promise<VerifyResult> {
  const { reference: ref, digest, platforms, attestations, problems, ok } = await inspectReference(reference, options);
  return { reference: ref, digest, platforms, attestations, problems, ok };
}

/** As {@link verifyReference}, with the details a summary shows. Throws a usage error for a bad reference. */
export async function inspectReference(reference: string, options: InspectOptions): Promise<VerifyReport> {
  const parsed = parseReference(reference);
  const client = options.clientFor?.(parsed.registry) ?? new RegistryClient(parsed.registry, { insecureRegistries: options.insecureRegistries ?? [] });
  const store = new RegistryStore(client, parsed.repository);
  const root = await store.resolveTag(referenceTarget(parsed));
  if (root === undefined) {
    throw stepError(`${reference} does not exist in registry ${parsed.registry}`, {
      hint: 'check the repository and tag, and that the image was pushed there',
    });
  }
  const repository = formatReference({ registry: parsed.registry, repository: parsed.repository });
  return inspectImage(store, root, reference, { ...options, runnable: (digest) => `${repository}@${digest}`, registry: parsed.registry });
}

export interface ImageCheckOptions extends VerifyOptions {
  /** The reference the engine pulls a platform manifest by. */
  runnable: (digest: string) => string;
  registry: string;
}

async function inspectImage(store: ImageStore, root: Descriptor, reference: string, options: ImageCheckOptions): Promise<VerifyReport> {
  const listing = await listImage(store, root);
  const report: VerifyReport = {
    reference,
    digest: root.digest,
    platforms: listing.platforms.map((p) => p.name),
    attestations: listing.attestations,
    problems: [],
    ok: false,
    isIndex: listing.isIndex,
    binaries: 0,
    runs: [],
  };
  const problem = (finding: Omit<VerifyFinding, 'reference'>) => report.problems.push({ reference, ...finding });
  if (listing.platforms.length === 0) problem({ problem: 'the index lists no platform (only attestations)' });
  const wanted = options.platforms.length > 0 ? options.platforms : listing.platforms.map((p) => p.platform);
  for (const platform of wanted) {
    if (options.signal?.aborted) throw options.signal.reason;
    const name = formatPlatform(platform);
    const entry = listing.platforms.find((p) => samePlatform(p.platform, platform));
    if (entry === undefined) {
      problem({
        platform: name,
        problem: listing.isIndex
          ? `the index does not list ${name} (it lists ${report.platforms.join(', ') || 'no platform'})`
          : `single-platform image (${report.platforms.join(', ')}), not an index: ${name} nodes would run its binaries and fail with exec format error`,
      });
      continue;
    }
    await checkPlatform(store, entry, platform, report, problem, options);
  }
  if (options.publicKey) {
    const subjects = [{ descriptor: root }, ...listing.platforms.map((p) => ({ descriptor: p.descriptor, platform: p.name }))];
    const check = await verifySignatures(
      store,
      listing.isIndex ? subjects : [{ descriptor: root, platform: listing.platforms[0]?.name }],
      options.publicKey,
      options.signal,
    );
    report.signatures = { signed: check.signed, attestations: check.attestations };
    for (const finding of check.problems) problem(finding);
  }
  report.ok = report.problems.length === 0;
  return report;
}

async function checkPlatform(
  store: ImageStore,
  entry: ListedPlatform,
  platform: Platform,
  report: VerifyReport,
  problem: (finding: Omit<VerifyFinding, 'reference'>) => void,
  options: ImageCheckOptions,
): Promise<void> {
  const name = formatPlatform(platform);
  const document = parseJson<ImageManifest | ImageIndex>(await store.readManifest(entry.descriptor), `${store.name}@${entry.descriptor.digest}`);
  if ('manifests' in document || !Array.isArray((document as ImageManifest).layers)) {
    problem({ platform: name, problem: `the ${name} entry ${entry.descriptor.digest} is not an image manifest` });
    return;
  }
  const manifest = document as ImageManifest;
  const config = await readConfig(store, manifest);
  const configured = normalizeOciPlatform(config);
  if (!samePlatform(configured, platform)) {
    problem({ platform: name, problem: `the index lists ${name} but its image config says ${formatPlatform(configured)}` });
  }
  if (canCheckElf(platform)) {
    for (const layer of manifest.layers) {
      if (/zstd/.test(layer.mediaType)) {
        problem({ platform: name, problem: `layer ${layer.digest} is zstd-compressed, which verify cannot read: its binaries were not checked` });
        continue;
      }
      if (layer.urls !== undefined && layer.urls.length > 0) continue; // non-distributable: not in this registry
      const stream = await store.openBlob(layer);
      try {
        const scan = await scanLayerForForeignBinaries(stream, platform, {
          what: `layer ${layer.digest} of ${report.reference} (${name})`,
          signal: options.signal,
        });
        report.binaries += scan.binaries;
        for (const foreign of scan.foreign) {
          problem({
            platform: name,
            file: foreign.file,
            problem: `exec format error waiting to happen: ${foreign.file} is ${foreign.machine} but the image is ${name}`,
          });
        }
      } finally {
        stream.destroy();
      }
    }
  }
  if (options.run) {
    const outcome = await runVersion(options.runnable(entry.descriptor.digest), platform, config, options);
    if (outcome.run) report.runs.push(outcome.run);
    if (outcome.problem !== undefined) problem({ platform: name, problem: outcome.problem });
  }
}
