/**
 * An image whose Dockerfile starts as Istio's do (`ARG ISTIO_BASE_REGISTRY`, `FROM
 * ${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION}`) built on the graph's own `base`, which declares
 * `standsFor: '{arg:ISTIO_BASE_REGISTRY}/base:{arg:BASE_VERSION}'`: in one run, with no tag
 * written first, by each builder, pushed to the local registry. BASE_VERSION comes from the
 * Istio-shaped checkout's Makefile.core.mk, ISTIO_BASE_REGISTRY from --build-arg, and names a
 * repository that does not exist: the base can only have come from the run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, type CliResult } from '../../support/cli.js';
import { entryPlatform, getManifest, manifestStatus, OCI_INDEX, requireDocker, uniqueNamespace, type IndexEntry } from '../../support/images.js';
import { startFaultProxy } from '../../support/fault-proxy.js';
import { localRegistry } from '../../support/registry.js';

const ISTIO_LIKE = path.join(REPO_ROOT, 'test', 'fixtures', 'istio-like');
const TARGETS = path.join(REPO_ROOT, 'test', 'fixtures', 'images', 'stands-for');
/** BASE_VERSION in test/fixtures/istio-like/Makefile.core.mk. */
const BASE_VERSION = '1.29-2026-02-27T19-00-52';
const TAG = '1.0.0-stands-for';

interface PlatformLayers {
  platform: string;
  layers: string[];
}

async function platformLayers(registry: string, repository: string): Promise<PlatformLayers[]> {
  const index = await getManifest(registry, repository, TAG, OCI_INDEX);
  const entries = (index.json.manifests as IndexEntry[]).filter((m) => entryPlatform(m) !== 'unknown/unknown');
  const result: PlatformLayers[] = [];
  for (const entry of entries) {
    const manifest = await getManifest(registry, repository, entry.digest, entry.mediaType);
    result.push({ platform: entryPlatform(entry), layers: (manifest.json.layers as Array<{ digest: string }>).map((l) => l.digest) });
  }
  return result.sort((a, b) => a.platform.localeCompare(b.platform));
}

describe.each(['native', 'buildx'])('FROM ${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION} with --builder %s', (builder) => {
  let registry: string;
  let namespace: string;
  let tmp: string;
  let run: CliResult;

  beforeAll(async () => {
    registry = await localRegistry();
    if (builder === 'buildx') await requireDocker();
    namespace = uniqueNamespace(`stands-for-${builder}`);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-stands-for-'));
    run = await runCli([
      'all',
      '--targets',
      TARGETS,
      '--source',
      ISTIO_LIKE,
      '--builder',
      builder,
      '--platforms',
      'amd64,arm64',
      '--hub',
      `${registry}/${namespace}`,
      '--tag',
      TAG,
      '--push',
      '--build-arg',
      `ISTIO_BASE_REGISTRY=${registry}/${namespace}-bases`,
      '--out',
      path.join(tmp, 'out'),
    ]);
    if (run.exitCode !== 0) throw new Error(`meshbuild all --builder ${builder} failed (exit ${run.exitCode}):\n${run.stderr}`);
  }, 600_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("builds app on the run's own base: every platform's layers start with the base's", async () => {
    const base = await platformLayers(registry, `${namespace}/base`);
    const app = await platformLayers(registry, `${namespace}/app`);
    expect(app.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(base.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    for (const [i, platform] of app.entries()) {
      expect(base[i]!.layers.length).toBeGreaterThan(0);
      expect(platform.layers.slice(0, base[i]!.layers.length)).toEqual(base[i]!.layers);
      expect(platform.layers.length).toBe(base[i]!.layers.length + 1);
    }
  });

  it('never reads the reference the base stands for from a registry (it does not exist there)', async () => {
    expect(await manifestStatus(registry, `${namespace}-bases/base`, BASE_VERSION)).toBe(404);
  });
});

describe('FROM ${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION} that no image of the graph stands for, --builder native', () => {
  let registry: string;
  let namespace: string;
  let tmp: string;

  beforeAll(async () => {
    registry = await localRegistry();
    namespace = uniqueNamespace('registry-base');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-registry-base-'));
  });

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const build = (targets: string, hub: string, extra: string[], env: Record<string, string> = {}) =>
    runCli(
      [
        'all',
        '--targets',
        targets,
        '--source',
        ISTIO_LIKE,
        '--builder',
        'native',
        '--platforms',
        'amd64,arm64',
        '--hub',
        hub,
        '--tag',
        TAG,
        '--push',
        ...extra,
        '--out',
        path.join(tmp, hub.replace(/\W/g, '_')),
      ],
      { env },
    );

  it('reads the base from the registry through its own client, every platform', async () => {
    // A base pushed by an earlier run (tagged TAG), then an image whose FROM names it.
    const bases = await build(TARGETS, `${registry}/${namespace}-bases`, []);
    expect(bases.exitCode, bases.stderr).toBe(0);
    // ISTIO_BASE_REGISTRY as Istio's environment variable, BASE_VERSION by flag over the env's.
    const run = await build(
      path.join(REPO_ROOT, 'test', 'fixtures', 'images', 'registry-base'),
      `${registry}/${namespace}`,
      ['--build-arg', `BASE_VERSION=${TAG}`],
      {
        ISTIO_BASE_REGISTRY: `${registry}/${namespace}-bases`,
        BASE_VERSION: 'overridden-by-the-flag',
      },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const base = await platformLayers(registry, `${namespace}-bases/base`);
    const app = await platformLayers(registry, `${namespace}/app`);
    expect(app.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    for (const [i, platform] of app.entries()) expect(platform.layers.slice(0, -1)).toEqual(base[i]!.layers);
  }, 600_000);

  it("mounts the base's layers from its repository in the same registry instead of sending them again", async () => {
    const proxy = await startFaultProxy(registry);
    try {
      const bases = `${proxy.address}/${namespace}-mount-bases`;
      const pushed = await build(TARGETS, bases, []);
      expect(pushed.exitCode, pushed.stderr).toBe(0);
      proxy.reset();
      const run = await build(path.join(REPO_ROOT, 'test', 'fixtures', 'images', 'registry-base'), `${proxy.address}/${namespace}-mount`, [
        '--build-arg',
        `BASE_VERSION=${TAG}`,
        '--build-arg',
        `ISTIO_BASE_REGISTRY=${bases}`,
      ]);
      expect(run.exitCode, run.stderr).toBe(0);
      const baseLayers = new Set((await platformLayers(registry, `${namespace}-mount-bases/base`)).flatMap((p) => p.layers));
      expect(baseLayers.size).toBeGreaterThan(0);
      for (const digest of baseLayers) {
        const mounts = proxy.requests.filter((r) => r.method === 'POST' && r.url.includes(`mount=${encodeURIComponent(digest)}`) && r.status === 201);
        expect(mounts.length, `${digest} mounted`).toBeGreaterThan(0);
        expect(proxy.requests.filter((r) => r.method === 'PUT' && r.url.includes(encodeURIComponent(digest)) && r.bodyBytes > 0)).toEqual([]);
        expect(proxy.requests.filter((r) => r.method === 'PATCH' && r.bodyBytes > 0 && r.url.includes(digest))).toEqual([]);
      }
      const app = await platformLayers(registry, `${namespace}-mount/app`);
      expect(app.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    } finally {
      await proxy.close();
    }
  }, 600_000);
});
