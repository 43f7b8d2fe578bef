/**
 * `meshbuild all --builder native --push` to the local registry, checked from the registry's side
 * as the buildx push is (test/integration/images/push-multi-arch.test.ts): each manifest list
 * lists exactly linux/amd64 and linux/arm64, each config names its architecture, each main binary
 * (read out of the layers with the project's tar reader) has that architecture's ELF machine,
 * and the image runs under `docker run --platform`. Layers pushed to a loopback registry are
 * uncompressed tar. Built from a git checkout of the sample (with a remote), every index and
 * manifest carries the five metadata annotations and each config `created` at the commit time.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, STACK_FRAME, type CliResult } from '../../support/cli.js';
import {
  docker,
  elfMachine,
  entryPlatform,
  EXPECTED_ELF_MACHINE,
  getBlob,
  getManifest,
  listTags,
  OCI_INDEX,
  OCI_MANIFEST,
  readFileFromImage,
  removeLocalImages,
  SHIPPED_BASES,
  SHIPPED_IMAGES,
  uniqueNamespace,
  type IndexEntry,
  versionRunArgs,
} from '../../support/images.js';
import { COMMIT_CREATED, expectFiveAnnotations, gitCheckout, readPushedMetadata, type GitCheckout } from '../../support/image-metadata.js';
import { requireStack } from './native-support.js';

const TAG = '1.0.0-native';
const ARCHES = ['amd64', 'arm64'];
const UNCOMPRESSED_LAYER = 'application/vnd.oci.image.layer.v1.tar';

interface Report {
  ok: boolean;
  images: Array<{ image: string; refs: string[]; digest: string; platforms: Array<{ platform: string; digest: string }> }>;
}

describe('meshbuild all --builder native --platforms amd64,arm64 --push', () => {
  let registry: string;
  let namespace: string;
  let tmp: string;
  let run: CliResult;
  let report: Report;
  let checkout: GitCheckout;
  const pulled: string[] = [];

  beforeAll(async () => {
    registry = await requireStack();
    namespace = uniqueNamespace('native-push');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-native-push-'));
    checkout = await gitCheckout(path.join(tmp, 'source'), 'git@github.com:example/mesh.git', { copySample: true });
    run = await runCli([
      'all',
      '--source',
      checkout.dir,
      '--builder',
      'native',
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
    if (run.exitCode !== 0) throw new Error(`meshbuild all --builder native --push failed (exit ${run.exitCode}):\n${run.stderr}`);
    report = JSON.parse(await readFile(path.join(tmp, 'report.json'), 'utf8')) as Report;
  }, 900_000);

  afterAll(async () => {
    await removeLocalImages(pulled);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('exits 0 without a stack trace, every image built natively', () => {
    expect(run.exitCode).toBe(0);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stderr).not.toMatch(/buildx/);
    expect(run.stderr).toMatch(/done {3}native pilot linux\/amd64,linux\/arm64/);
    expect(report.ok).toBe(true);
  });

  describe.each(Object.entries(SHIPPED_IMAGES))('%s', (image, binaries) => {
    const repository = () => `${namespace}/${image}`;

    it('is tagged once, an OCI index listing exactly linux/amd64 and linux/arm64, with the digest the report gives', async () => {
      expect(await listTags(registry, repository())).toEqual([TAG]);
      const index = await getManifest(registry, repository(), TAG, OCI_INDEX);
      expect(index.mediaType).toBe(OCI_INDEX);
      const entries = index.json.manifests as IndexEntry[];
      expect(entries.map(entryPlatform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
      for (const entry of entries) expect(entry.mediaType).toBe(OCI_MANIFEST);
      const reported = report.images.find((i) => i.image === image)!;
      expect(reported.digest).toBe(index.digest);
      expect(reported.refs).toEqual([`${registry}/${namespace}/${image}:${TAG}`]);
    });

    it.each(ARCHES)('linux/%s: config architecture, uncompressed layers, binaries with the ELF machine of the platform', async (arch) => {
      const index = await getManifest(registry, repository(), TAG, OCI_INDEX);
      const entry = (index.json.manifests as IndexEntry[]).find((m) => entryPlatform(m) === `linux/${arch}`)!;
      const manifest = await getManifest(registry, repository(), entry.digest, entry.mediaType);
      expect(manifest.digest).toBe(entry.digest);
      const config = JSON.parse((await getBlob(registry, repository(), (manifest.json.config as IndexEntry).digest)).toString('utf8')) as {
        architecture: string;
        os: string;
        created?: string;
      };
      expect(config.architecture).toBe(arch);
      expect(config.os).toBe('linux');
      expect(config.created).toBe(COMMIT_CREATED);

      const layerDescriptors = manifest.json.layers as IndexEntry[];
      for (const layer of layerDescriptors) expect(layer.mediaType, layer.digest).toBe(UNCOMPRESSED_LAYER);
      const layers = layerDescriptors.map((layer) => () => getBlob(registry, repository(), layer.digest));
      for (const binary of binaries) {
        const found = await readFileFromImage(layers, binary);
        expect(found, `${binary} in ${image} linux/${arch}`).toBeDefined();
        expect(elfMachine(found!.bytes), `${binary} in ${image} linux/${arch}`).toBe(EXPECTED_ELF_MACHINE[arch]);
      }
    });

    it('the index and each manifest carry source, revision, version, created and title; the config the same labels', async () => {
      expectFiveAnnotations(await readPushedMetadata(registry, repository(), TAG), checkout, image, TAG, 'https://github.com/example/mesh');
    });

    it.each(ARCHES)('runs as linux/%s under docker run --platform', async (arch) => {
      const ref = `${registry}/${repository()}:${TAG}`;
      pulled.push(ref);
      const result = await docker(['run', '--rm', '--platform', `linux/${arch}`, ...versionRunArgs(image, ref)]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toContain(`version ${TAG} linux/${arch}`);
    });
  });

  it('publishes the in-graph bases as multi-arch indexes, their layers referenced by the images built on them', async () => {
    const baseIndex = await getManifest(registry, `${namespace}/base`, TAG, OCI_INDEX);
    for (const base of SHIPPED_BASES) {
      const index = await getManifest(registry, `${namespace}/${base}`, TAG, OCI_INDEX);
      expect((index.json.manifests as IndexEntry[]).map(entryPlatform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
      expectFiveAnnotations(await readPushedMetadata(registry, `${namespace}/${base}`, TAG), checkout, base, TAG, 'https://github.com/example/mesh');
    }
    for (const arch of ARCHES) {
      const baseEntry = (baseIndex.json.manifests as IndexEntry[]).find((m) => entryPlatform(m) === `linux/${arch}`)!;
      const baseLayers = ((await getManifest(registry, `${namespace}/base`, baseEntry.digest, baseEntry.mediaType)).json.layers as IndexEntry[]).map(
        (l) => l.digest,
      );
      const pilotIndex = await getManifest(registry, `${namespace}/pilot`, TAG, OCI_INDEX);
      const pilotEntry = (pilotIndex.json.manifests as IndexEntry[]).find((m) => entryPlatform(m) === `linux/${arch}`)!;
      const pilotLayers = ((await getManifest(registry, `${namespace}/pilot`, pilotEntry.digest, pilotEntry.mediaType)).json.layers as IndexEntry[]).map(
        (l) => l.digest,
      );
      expect(pilotLayers.slice(0, baseLayers.length)).toEqual(baseLayers);
      expect(pilotLayers.length).toBe(baseLayers.length + 1);
    }
  });
});
