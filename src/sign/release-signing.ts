/**
 * Signing a release: each image pushed by digest (once per repository, whatever its variants)
 * gets its signatures and attestations, with provenance made from its build job (Dockerfile,
 * build args, every staged binary and artifact, its in-graph bases) and the source's git state.
 * Returns the `.sig`/`.att` tags for a tag phase that runs before the release's own tags.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../oci/digest.js';
import { httpsSourceUrl } from '../plan/source-url.js';
import { formatPlatform } from '../platform.js';
import type { TagWrite } from '../publish/tag-phase.js';
import { RegistryStore } from '../publish/registry-store.js';
import type { RegistryClient } from '../registry/client.js';
import { parseReference } from '../registry/reference.js';
import type { ReleaseTarget } from '../release/release-checks.js';
import { meshbuildVersion } from '../version.js';
import { signImage } from './sign-image.js';
import type { SigningKey } from './signing-key.js';
import type { ProvenanceInput, ProvenanceRequest } from './slsa-provenance.js';
import type { SbomBase } from './spdx-sbom.js';

export interface ReleaseSigning {
  key: SigningKey;
  version: string;
  sourceDir: string;
  /** The source's remote, as the plan read it (`readSourceOrigin`). */
  remote: string | undefined;
  /** The source's revision (`readGitStamp`), `unknown` outside a checkout. */
  revision: string;
  clientFor(registry: string): RegistryClient;
  signal: AbortSignal;
  print(line: string): void;
}

export interface SignedRelease {
  /** Manifests signed (indexes and platform manifests), over all repositories. */
  manifests: number;
  tags: TagWrite[];
}

export async function signRelease(targets: readonly ReleaseTarget[], signing: ReleaseSigning): Promise<SignedRelease> {
  const source = { repository: sourceRepository(signing.sourceDir, signing.remote), commit: signing.revision };
  const hashes = new Map<string, Promise<string | undefined>>();
  const fileDigest = (file: string) => {
    let digest = hashes.get(file);
    if (!digest) hashes.set(file, (digest = hashFile(file)));
    return digest;
  };
  const seen = new Set<string>();
  const result: SignedRelease = { manifests: 0, tags: [] };
  for (const target of targets) {
    const key = `${target.repository}@${target.built.index.digest}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const { job, built } = target;
    const inputs: Array<ProvenanceInput & { platform?: string }> = [];
    for (const entry of job.context) {
      const digest = await fileDigest(entry.from);
      if (digest)
        inputs.push({
          uri: `file:${entry.to}`,
          digest,
          ...(entry.platform ? { name: `${entry.to} (${formatPlatform(entry.platform)})`, platform: formatPlatform(entry.platform) } : {}),
        });
    }
    const dockerfile = await fileDigest(job.dockerfile);
    if (dockerfile) inputs.push({ uri: `file:${path.basename(job.dockerfile)}`, digest: dockerfile, name: 'Dockerfile' });
    const baseTargets = job.bases.map((base) => ({
      base,
      target: targets.find((t) => t.job.id === base.jobId && t.hub === target.hub) ?? targets.find((t) => t.job.id === base.jobId),
    }));
    const basesFor = (platform: string): SbomBase[] =>
      baseTargets.flatMap(({ base, target: built }) => {
        const digest = built?.built.platforms.find((p) => p.platform === platform)?.descriptor.digest;
        return digest ? [{ name: base.reference ?? built!.repository, digest }] : [];
      });
    for (const { base, target: built } of baseTargets) {
      if (built) inputs.push({ uri: `oci:${built.repository}@${built.built.index.digest}`, digest: built.built.index.digest, name: `base ${base.name}` });
    }
    const provenance = (platform?: string): ProvenanceRequest => ({
      meshbuildVersion: meshbuildVersion(),
      image: job.image,
      version: signing.version,
      platforms: platform ? [platform] : job.platforms.map(formatPlatform),
      builder: job.builder,
      dockerfile: path.basename(job.dockerfile),
      buildArgs: job.buildArgs,
      source,
      inputs: inputs.filter((i) => platform === undefined || i.platform === undefined || i.platform === platform).map(({ platform: _, ...input }) => input),
    });
    const reference = parseReference(target.repository);
    const signed = await signImage({
      store: new RegistryStore(signing.clientFor(reference.registry), reference.repository),
      repository: target.repository,
      root: built.index,
      key: signing.key,
      provenance,
      bases: basesFor,
      tool: `meshbuild-${meshbuildVersion()}`,
      signal: signing.signal,
    });
    signing.print(
      `signed ${key}: ${signed.subjects.length} manifests, Go binaries ${Object.entries(signed.binaries)
        .map(([p, n]) => `${p} ${n}`)
        .join(', ')}`,
    );
    result.manifests += signed.subjects.length;
    result.tags.push(...signed.tags);
  }
  return result;
}

async function hashFile(file: string): Promise<string | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() ? (await sha256File(file)).digest : undefined;
}

/** The source's remote in https form (as the images' `source` annotation), else a file URL of the folder. */
function sourceRepository(sourceDir: string, remote: string | undefined): string {
  const url = httpsSourceUrl(remote);
  return url !== undefined ? `git+${url}` : `file://${path.resolve(sourceDir)}`;
}
