/**
 * `meshbuild all --platforms amd64,arm64 --push`: one run against the real Docker Engine, buildx,
 * Go and the local registry, then every image checked from the registry's side: an index that
 * lists exactly linux/amd64 and linux/arm64, per-platform configs, the ELF machine of each
 * image's binaries, the binaries running under `docker run --platform`, and the JSON report.
 * Built from a git checkout of the sample (with a remote): every index and manifest carries the
 * five metadata annotations, and each config the same labels.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSpawnedCli, STACK_FRAME, type CliResult } from '../../support/cli.js';
import {
  docker,
  elfMachine,
  entryPlatform,
  EXPECTED_ELF_MACHINE,
  getBlob,
  getManifest,
  OCI_INDEX,
  readFileFromImage,
  removeLocalImages,
  requireDocker,
  SHIPPED_BASES,
  SHIPPED_IMAGES,
  uniqueNamespace,
  type IndexEntry,
  versionRunArgs,
} from '../../support/images.js';
import { expectFiveAnnotations, gitCheckout, readPushedMetadata, type GitCheckout } from '../../support/image-metadata.js';
import { localRegistry } from '../../support/registry.js';

const TAG = '1.0.0-it';
const ARCHES = ['amd64', 'arm64'];

interface ReportImage {
  image: string;
  variant: string;
  repository: string;
  refs: string[];
  digest: string;
  mediaType: string;
  size: number;
  platforms: Array<{ platform: string; digest: string; size: number }>;
}

interface Report {
  schemaVersion: number;
  ok: boolean;
  platforms: string[];
  tags: string[];
  jobs: Array<{ id: string; kind: string; status: string; durationMs?: number }>;
  images: ReportImage[];
}

describe('meshbuild all --platforms amd64,arm64 --push', () => {
  let registry: string;
  let namespace: string;
  let tmp: string;
  let run: CliResult;
  let report: Report;
  const pulled: string[] = [];
  let checkout: GitCheckout;

  beforeAll(async () => {
    registry = await localRegistry();
    await requireDocker();
    namespace = uniqueNamespace('push');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-images-push-'));
    checkout = await gitCheckout(path.join(tmp, 'source'), 'git@github.com:example/mesh.git', { copySample: true });
    run = await runSpawnedCli([
      'all',
      '--source',
      checkout.dir,
      '--builder',
      'buildx',
      '--platforms',
      'amd64,arm64',
      '--hub',
      `${registry}/${namespace}`,
      '--tag',
      TAG,
      '--push',
      '--report',
      path.join(tmp, 'report.json'),
      '--out',
      path.join(tmp, 'out'),
    ]);
    if (run.exitCode !== 0) throw new Error(`meshbuild all failed (exit ${run.exitCode}):\n${run.stderr}`);
    report = JSON.parse(await readFile(path.join(tmp, 'report.json'), 'utf8')) as Report;
  }, 900_000);

  afterAll(async () => {
    await removeLocalImages(pulled);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('exits 0 without a stack trace', () => {
    expect(run.exitCode).toBe(0);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  describe.each(Object.entries(SHIPPED_IMAGES))('%s', (image, binaries) => {
    const repository = () => `${namespace}/${image}`;

    it('is an OCI index listing exactly linux/amd64 and linux/arm64', async () => {
      const index = await getManifest(registry, repository(), TAG, OCI_INDEX);
      expect(index.mediaType).toBe(OCI_INDEX);
      expect(index.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      const entries = index.json.manifests as IndexEntry[];
      expect(entries.map(entryPlatform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    });

    it('the index and each manifest carry source, revision, version, created and title; the config the same labels', async () => {
      expectFiveAnnotations(await readPushedMetadata(registry, repository(), TAG), checkout, image, TAG, 'https://github.com/example/mesh');
    });

    it.each(ARCHES)('has a linux/%s manifest whose config and binaries are for that architecture', async (arch) => {
      const index = await getManifest(registry, repository(), TAG, OCI_INDEX);
      const entry = (index.json.manifests as IndexEntry[]).find((m) => entryPlatform(m) === `linux/${arch}`)!;
      const manifest = await getManifest(registry, repository(), entry.digest, entry.mediaType);
      expect(manifest.digest).toBe(entry.digest);
      expect(manifest.bytes.length).toBe(entry.size);
      const configDescriptor = manifest.json.config as IndexEntry;
      const config = JSON.parse((await getBlob(registry, repository(), configDescriptor.digest)).toString('utf8')) as { architecture: string; os: string };
      expect(config.architecture).toBe(arch);
      expect(config.os).toBe('linux');

      const layers = (manifest.json.layers as IndexEntry[]).map((layer) => () => getBlob(registry, repository(), layer.digest));
      for (const binary of binaries) {
        const found = await readFileFromImage(layers, binary);
        expect(found, `${binary} in ${image} linux/${arch}`).toBeDefined();
        expect(elfMachine(found!.bytes), `${binary} in ${image} linux/${arch}`).toBe(EXPECTED_ELF_MACHINE[arch]);
      }
    });

    it.each(ARCHES)('runs as linux/%s under docker run --platform', async (arch) => {
      const ref = `${registry}/${repository()}:${TAG}`;
      pulled.push(ref);
      const result = await docker(['run', '--rm', '--platform', `linux/${arch}`, ...versionRunArgs(image, ref)]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toContain(`version ${TAG} linux/${arch}`);
    });

    it('is in the report with its ref, the index digest the registry serves, and each platform', async () => {
      const index = await getManifest(registry, repository(), TAG, OCI_INDEX);
      const entries = report.images.filter((i) => i.image === image);
      expect(entries).toHaveLength(1);
      const entry = entries[0]!;
      expect(entry.variant).toBe('default');
      expect(entry.refs).toEqual([`${registry}/${namespace}/${image}:${TAG}`]);
      expect(entry.digest).toBe(index.digest);
      expect(entry.mediaType).toBe(OCI_INDEX);
      expect(entry.size).toBe(index.bytes.length);
      const listed = index.json.manifests as IndexEntry[];
      expect(entry.platforms.map((p) => p.platform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
      for (const platform of entry.platforms) {
        const served = listed.find((m) => entryPlatform(m) === platform.platform)!;
        expect(platform.digest).toBe(served.digest);
        expect(platform.size).toBe(served.size);
        expect(platform.size).toBeGreaterThan(0);
      }
    });
  });

  it('writes a report with schemaVersion 1 and every job succeeded with its duration', () => {
    expect(report.schemaVersion).toBe(1);
    expect(report.ok).toBe(true);
    expect(report.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(report.tags).toEqual([TAG]);
    const imageJobs = report.jobs
      .filter((j) => j.kind === 'image-build')
      .map((j) => j.id)
      .sort();
    expect(imageJobs).toEqual([...Object.keys(SHIPPED_IMAGES), ...SHIPPED_BASES].map((name) => `image:${name}`).sort());
    expect(report.jobs.some((j) => j.kind === 'go-build')).toBe(true);
    expect(report.jobs.some((j) => j.kind === 'publish')).toBe(true);
    for (const job of report.jobs) {
      expect(job.status, job.id).toBe('succeeded');
      expect(typeof job.durationMs, job.id).toBe('number');
      expect(job.durationMs!, job.id).toBeGreaterThanOrEqual(0);
    }
  });

  it('publishes the in-graph bases as multi-arch indexes too', async () => {
    for (const base of SHIPPED_BASES) {
      const index = await getManifest(registry, `${namespace}/${base}`, TAG, OCI_INDEX);
      expect((index.json.manifests as IndexEntry[]).map(entryPlatform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
      expect(report.images.find((i) => i.image === base)?.digest).toBe(index.digest);
      expectFiveAnnotations(await readPushedMetadata(registry, `${namespace}/${base}`, TAG), checkout, base, TAG, 'https://github.com/example/mesh');
    }
  });
});
