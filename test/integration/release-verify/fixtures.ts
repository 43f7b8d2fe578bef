/**
 * Real images for the verify / mirror / push tests: the bundled sample built by the CLI with the
 * native builder (pushed to a unique namespace, or written to an OCI layout), and images made on
 * purpose with the project's OCI pieces: an arm64 entry that carries the amd64 binary, an index
 * with an attestation entry, a single-platform manifest.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { expect } from 'vitest';
import { buildLayer } from '../../../src/oci/layer.js';
import { describeBytes, encodeImageConfig, encodeImageIndex, encodeImageManifest } from '../../../src/oci/manifest.js';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';
import type { Descriptor, ImageIndex, OciPlatform } from '../../../src/oci/types.js';
import { bufferBlobSource, fileBlobSource } from '../../../src/registry/blob-source.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { runCli, type CliResult } from '../../support/cli.js';

export const TAG = 't1';
export const IMAGES = ['app', 'base', 'distroless', 'ext-authz', 'install-cni', 'iptables', 'istioctl', 'pilot', 'proxyv2', 'ztunnel'];
export const AMD64: OciPlatform = { os: 'linux', architecture: 'amd64' };
export const ARM64: OciPlatform = { os: 'linux', architecture: 'arm64' };

/** A temp folder, and a function that removes it. */
export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `meshbuild-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

function expectSucceeded(result: CliResult, what: string): void {
  expect(result.exitCode, `${what} failed:\n${result.stderr}\n${result.stdout}`).toBe(0);
}

/** Builds the sample for amd64 and arm64 with the native builder and pushes it to `registry/namespace`. */
export async function buildAndPush(registry: string, namespace: string, outDir: string): Promise<{ hub: string; report: string }> {
  const hub = `${registry}/${namespace}`;
  const report = path.join(outDir, 'report.json');
  const result = await runCli([
    'all',
    '--builder',
    'native',
    '--platforms',
    'amd64,arm64',
    '--hub',
    hub,
    '--tag',
    TAG,
    '--push',
    '--out',
    outDir,
    '--report',
    report,
  ]);
  expectSucceeded(result, 'meshbuild all --push');
  return { hub, report };
}

/** Builds the sample for amd64 and arm64 into `<outDir>/images` (an OCI layout, refs `image:t1`). */
export async function buildLayout(outDir: string): Promise<string> {
  const result = await runCli(['all', '--builder', 'native', '--platforms', 'amd64,arm64', '--tag', TAG, '--out', outDir]);
  expectSucceeded(result, 'meshbuild all (OCI layout)');
  return path.join(outDir, 'images');
}

async function pushImageManifest(client: RegistryClient, repo: string, bytes: Buffer, descriptor: Descriptor): Promise<void> {
  await client.putManifest(repo, descriptor.digest, bytes, descriptor.mediaType);
}

/**
 * Pushes `registry/repo:tag`: an index whose amd64 and arm64 entries both hold one layer with
 * `binary` (an amd64 build of pilot-discovery) at /usr/local/bin/pilot-discovery: the arm64
 * entry is the exec-format-error trap. With `arm64Config`, the arm64 entry's config says that.
 */
export async function pushWrongArchImage(
  registry: string,
  repo: string,
  tag: string,
  binary: string,
  workDir: string,
  arm64Config: OciPlatform = ARM64,
): Promise<string> {
  const client = new RegistryClient(registry);
  const layer = await buildLayer(
    [{ type: 'file', path: 'usr/local/bin/pilot-discovery', source: binary }],
    path.join(workDir, `layer-${randomBytes(4).toString('hex')}`),
  );
  await client.pushBlob(repo, layer.descriptor, fileBlobSource(layer.path));
  const manifests: Descriptor[] = [];
  for (const platform of [AMD64, ARM64]) {
    const config = encodeImageConfig({
      platform: platform === ARM64 ? arm64Config : platform,
      diffIds: [layer.diffId],
      config: { Entrypoint: ['/usr/local/bin/pilot-discovery'], User: '1337:1337' },
    });
    await client.pushBlob(repo, config.descriptor, bufferBlobSource(config.bytes));
    const manifest = encodeImageManifest({ config: config.descriptor, layers: [layer.descriptor], platform });
    await pushImageManifest(client, repo, manifest.bytes, manifest.descriptor);
    manifests.push(manifest.descriptor);
  }
  const index = encodeImageIndex({ manifests });
  await client.putManifest(repo, tag, index.bytes, index.descriptor.mediaType);
  return `${registry}/${repo}:${tag}`;
}

/**
 * Pushes `registry/repo:newTag`: the index `registry/repo:tag` plus an attestation entry
 * (unknown/unknown, `vnd.docker.reference.type: attestation-manifest`) as buildx writes them.
 */
export async function pushAttestedIndex(registry: string, repo: string, tag: string, newTag: string): Promise<{ reference: string; digest: string }> {
  const client = new RegistryClient(registry);
  const good = (await client.getManifest(repo, tag)).parsed as ImageIndex;
  const statement = Buffer.from(
    JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', predicateType: 'https://slsa.dev/provenance/v0.2', subject: [], predicate: {} }),
  );
  const layer = describeBytes(statement, 'application/vnd.in-toto+json', { annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' } });
  await client.pushBlob(repo, layer, bufferBlobSource(statement));
  const config = encodeImageConfig({ platform: { os: 'unknown', architecture: 'unknown' }, diffIds: [layer.digest] });
  await client.pushBlob(repo, config.descriptor, bufferBlobSource(config.bytes));
  const manifest = encodeImageManifest({ config: config.descriptor, layers: [layer], platform: { os: 'unknown', architecture: 'unknown' } });
  await pushImageManifest(client, repo, manifest.bytes, manifest.descriptor);
  const attestation: Descriptor = {
    ...manifest.descriptor,
    annotations: { 'vnd.docker.reference.digest': good.manifests[0]!.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
  };
  const index = encodeImageIndex({ manifests: [...good.manifests, attestation] });
  await client.putManifest(repo, newTag, index.bytes, MEDIA_TYPE.ociIndex);
  return { reference: `${registry}/${repo}:${newTag}`, digest: index.descriptor.digest };
}

/** Tags the amd64 manifest of `registry/repo:tag` alone as `newTag`: a single-platform image. */
export async function tagSinglePlatform(registry: string, repo: string, tag: string, newTag: string): Promise<string> {
  const client = new RegistryClient(registry);
  const index = (await client.getManifest(repo, tag)).parsed as ImageIndex;
  const amd64 = index.manifests.find((m) => m.platform?.architecture === 'amd64')!;
  const manifest = await client.getManifest(repo, amd64.digest);
  await client.putManifest(repo, newTag, manifest.bytes, manifest.mediaType);
  return `${registry}/${repo}:${newTag}`;
}

/** Removes the images of `registry/namespace` that `verify --run` pulled into the engine. */
export async function removeEngineImages(registry: string, namespace: string): Promise<void> {
  const docker = new Docker();
  const prefix = `${registry}/${namespace}/`;
  for (const image of await docker.listImages({ all: true })) {
    const names = [...(image.RepoDigests ?? []), ...(image.RepoTags ?? [])];
    if (names.some((name) => name.startsWith(prefix)))
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
}

/** Containers `verify --run` started (it labels them); it must have removed every one. */
export async function verifyContainers(): Promise<number> {
  const docker = new Docker();
  return (await docker.listContainers({ all: true, filters: { label: ['dev.meshbuild.verify=true'] } })).length;
}
