/**
 * Copying published images from registry to registry (`mirror`), through the transfer `push
 * --from` uses too (publish/transfer.ts). Each image is copied whole, every platform and
 * attestation, with its digests unchanged; what the destination has is skipped and, within one
 * registry, blobs are mounted rather than sent. Tags are the caller's tag phase, once every copy
 * is complete and checked, so a failure leaves no tag pointing at a partial copy.
 */
import { stepError, usageError } from '../errors.js';
import { parsePlatform, type Platform } from '../platform.js';
import type { CopyStats } from '../publish/copy-image.js';
import type { TagWrite } from '../publish/tag-phase.js';
import { RegistryStore } from '../publish/registry-store.js';
import type { RegistryClients } from '../registry/client-pool.js';
import { formatReference, parseHub, parseReference, referenceTarget, repositoryFromHub, type ImageReference } from '../registry/reference.js';
import type { RunReport } from '../report/json-report.js';
import { copySignatures } from '../sign/copy-signatures.js';
import { inspectReference, type VerifyReport } from './verify.js';
import type { ImageListing } from '../publish/image-listing.js';
import { copyAndCheck, tagWrites, type ImageTransfer } from '../publish/transfer.js';

/**
 * `<dst-hub>/<last path element of the source repository>[:tag]`: where `mirror` puts an image.
 * Throws a usage error for a bad source, hub or tag.
 */
export function mirrorDestination(source: string, dstHub: string, tag?: string): ImageReference {
  const name = parseReference(source).repository.split('/').pop()!;
  return repositoryFromHub(parseHub(dstHub), name, tag);
}

export interface MirrorOptions {
  /** Tag written in the destination. Default: the source's tag (none for a source named by digest). */
  tag?: string;
  /** Platforms the source must list. Default: whatever it lists. */
  platforms?: Platform[];
  clients: RegistryClients;
  signal?: AbortSignal;
}

export interface MirrorResult {
  source: string;
  /** `host/repo` of the copy. */
  repository: string;
  digest: string;
  tag: string | undefined;
  listing: ImageListing;
  stats: CopyStats;
  /** The destination had the image already. */
  alreadyThere: boolean;
  /** Verification of the copy (by digest) against the source's platforms. */
  verify: VerifyReport;
  /** True when the copy verified. */
  ok: boolean;
  /** The tag to write once every image of the run is copied and verified (none if it failed), `.sig`/`.att` tags included. */
  tags: TagWrite[];
  /** `.sig` and `.att` manifests copied with the image (cosign signatures and attestations). */
  signatures: { signatures: number; attestations: number };
}

/**
 * Copies `source` (a tag or digest reference) to `<dstHub>/<its name>` and verifies the copy by
 * digest; its tag is for the caller's tag phase, so a copy that fails verification is never tagged.
 * Throws for a missing source or a registry failure; a failed verification is `ok: false`.
 */
export async function mirrorImage(source: string, dstHub: string, options: MirrorOptions): Promise<MirrorResult> {
  const parsed = parseReference(source);
  const tag = options.tag ?? parsed.tag;
  const destination = mirrorDestination(source, dstHub, tag);
  const from = new RegistryStore(options.clients.for(parsed.registry), parsed.repository);
  const root = await from.resolveTag(referenceTarget(parsed));
  if (root === undefined)
    throw stepError(`${source} does not exist in registry ${parsed.registry}; nothing was copied`, { hint: 'check the repository and tag' });
  const sameRegistry = destination.registry === parsed.registry;
  const to = new RegistryStore(options.clients.for(destination.registry), destination.repository, sameRegistry ? [parsed.repository] : []);
  const transfer: ImageTransfer = {
    label: source,
    from,
    to,
    root,
    tags: tag === undefined ? [] : [tag],
    ...(options.platforms ? { platforms: options.platforms } : {}),
  };
  const copied = await copyAndCheck(transfer, options.signal);
  const repository = formatReference({ registry: destination.registry, repository: destination.repository });
  const verify = await inspectReference(`${repository}@${root.digest}`, {
    platforms: options.platforms ?? copied.listing.platforms.map((p) => p.platform),
    insecureRegistries: options.clients.insecureRegistries,
    clientFor: (registry) => options.clients.for(registry),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const signatures = verify.ok ? await copySignatures(from, to, root, options.signal) : { signatures: 0, attestations: 0, tags: [] };
  const tags = verify.ok ? [...signatures.tags, ...(await tagWrites([copied]))] : [];
  return {
    source,
    repository,
    digest: root.digest,
    tag,
    listing: copied.listing,
    stats: copied.stats,
    alreadyThere: copied.alreadyThere,
    verify,
    ok: verify.ok,
    tags,
    signatures: { signatures: signatures.signatures, attestations: signatures.attestations },
  };
}

export interface MirrorSource {
  reference: string;
  /** The platforms the report says the image has. */
  platforms: Platform[];
}

/** Every image reference of a meshbuild report (tags, or `repo@digest` for --push-by-digest runs). */
export function mirrorSourcesFromReport(report: RunReport, file: string): MirrorSource[] {
  const sources: MirrorSource[] = [];
  for (const image of report.images ?? []) {
    if (image.repository.startsWith('oci:') || image.repository.startsWith('tar:') || image.repository.startsWith('/') || image.repository.endsWith('.tar')) {
      throw usageError(`${file} lists ${image.image} in ${image.repository}, not in a registry: mirror copies between registries`, {
        hint: 'publish an OCI layout with meshbuild push --from DIR --hub HUB',
      });
    }
    const platforms = image.platforms.flatMap((p) => {
      const parsed = parsePlatform(p.platform);
      return parsed.ok ? [parsed.platform] : [];
    });
    const references = image.refs.length > 0 ? image.refs : [`${image.repository}@${image.digest}`];
    for (const reference of references) {
      parseReference(reference);
      if (!sources.some((s) => s.reference === reference)) sources.push({ reference, platforms });
    }
  }
  if (sources.length === 0) throw usageError(`${file} lists no images`, { hint: 'pass the --report of a run that pushed images (--push or --push-by-digest)' });
  return sources;
}
