/**
 * The shipped graph on a checkout shaped like Istio's (test/support/istio-checkout.ts: Istio's
 * paths, Dockerfiles with its ARG/FROM pattern, istio.deps and Makefile.core.mk, no overlay), as a
 * user builds a real one: bases read from a base registry (scripts/stand-in-bases in the local
 * registry, named by Istio's ISTIO_BASE_REGISTRY), Envoy and ztunnel given as local builds per
 * architecture, both variants, pushed in one run; then `verify --run` on every image and platform.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../support/cli.js';
import { useTempDirs } from '../../support/temp-dirs.js';
import { istioLikeCheckout } from '../../support/istio-checkout.js';
import {
  entryPlatform,
  getBlob,
  getManifest,
  listTags,
  OCI_INDEX,
  requireDocker,
  uniqueNamespace,
  type IndexEntry,
  pushStandInBases,
} from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';

const TAG = '1.29.1';
const BASE_TAG = 'stand-in';
/** Istio 1.29.1's istio.deps pin for Envoy (test/fixtures/istio-like/istio.deps). */
const PROXY_SHA = 'fca9ef956bd748bedb43d4c381af3d498dcf0723';
const IMAGES = ['pilot', 'proxyv2', 'istioctl', 'install-cni', 'ztunnel', 'app', 'ext-authz'];
/** Which stand-in base each image's distroless variant starts from, as Istio's Dockerfiles name it. */
const DISTROLESS_BASE: Record<string, string> = { pilot: 'distroless', proxyv2: 'iptables', 'install-cni': 'iptables', ztunnel: 'iptables' };

interface PlatformImage {
  platform: string;
  layers: string[];
  env: string[];
}

async function platformImages(registry: string, repository: string, reference: string): Promise<PlatformImage[]> {
  const index = await getManifest(registry, repository, reference, OCI_INDEX);
  const result: PlatformImage[] = [];
  for (const entry of index.json.manifests as IndexEntry[]) {
    const manifest = await getManifest(registry, repository, entry.digest, entry.mediaType);
    const configDigest = (manifest.json.config as IndexEntry).digest;
    const config = JSON.parse((await getBlob(registry, repository, configDigest)).toString('utf8')) as { config?: { Env?: string[] } };
    result.push({
      platform: entryPlatform(entry),
      layers: (manifest.json.layers as IndexEntry[]).map((l) => l.digest),
      env: config.config?.Env ?? [],
    });
  }
  return result.sort((a, b) => a.platform.localeCompare(b.platform));
}

describe('meshbuild all on an Istio-shaped checkout, bases from a base registry', () => {
  const tempDir = useTempDirs('meshbuild-istio-checkout-');
  const checkout = istioLikeCheckout({ withGo: true });
  let registry: string;
  let hub: string;
  let bases: string;
  let run: CliResult;

  beforeAll(async () => {
    registry = await localRegistry();
    await requireDocker();
    const namespace = uniqueNamespace('istio-checkout');
    hub = `${registry}/${namespace}`;
    bases = `${registry}/${namespace}-bases`;
    await pushStandInBases(bases, BASE_TAG);

    // Local Envoy and ztunnel builds per architecture: the sample's stand-ins, as a user gives their own.
    const local = await tempDir();
    for (const arch of ['amd64', 'arm64']) {
      await mkdir(path.join(local, arch));
      const build = await execa('go', ['build', '-trimpath', '-o', path.join(local, arch) + path.sep, './tools/standin/envoy', './tools/standin/ztunnel'], {
        cwd: checkout,
        env: { CGO_ENABLED: '0', GOOS: 'linux', GOARCH: arch },
        reject: false,
        all: true,
      });
      if (build.exitCode !== 0) throw new Error(`go build of the local Envoy/ztunnel failed:\n${String(build.all)}`);
    }

    const out = await tempDir();
    run = await runCli(
      [
        'all',
        '--source',
        checkout,
        '--out',
        out,
        '--platforms',
        'amd64,arm64',
        '--variants',
        'default,distroless',
        '--hub',
        hub,
        '--tag',
        TAG,
        '--push',
        '--build-arg',
        `BASE_VERSION=${BASE_TAG}`,
        '--artifact',
        `envoy=${path.join(local, '{arch}', 'envoy')}`,
        '--artifact',
        `ztunnel=${path.join(local, '{arch}', 'ztunnel')}`,
      ],
      { env: { ISTIO_BASE_REGISTRY: bases } },
    );
  }, 1_200_000);

  it('publishes every image of the all group, both variants, in one run', async () => {
    expect(run.exitCode, run.stderr).toBe(0);
    for (const image of IMAGES) {
      expect((await listTags(registry, `${hub.slice(registry.length + 1)}/${image}`)).sort(), image).toEqual([TAG, `${TAG}-distroless`]);
      for (const tag of [TAG, `${TAG}-distroless`]) {
        const platforms = await platformImages(registry, `${hub.slice(registry.length + 1)}/${image}`, tag);
        expect(
          platforms.map((p) => p.platform),
          `${image}:${tag}`,
        ).toEqual(['linux/amd64', 'linux/arm64']);
      }
    }
  });

  it.each(IMAGES)('%s starts from the base its Dockerfile names for each variant, read from the base registry', async (image) => {
    const repository = (name: string) => `${hub.slice(registry.length + 1)}/${name}`;
    const baseRepository = (name: string) => `${bases.slice(registry.length + 1)}/${name}`;
    const cases: Array<[string, string]> = [[TAG, 'base']];
    if (DISTROLESS_BASE[image]) cases.push([`${TAG}-distroless`, DISTROLESS_BASE[image]]);
    for (const [tag, base] of cases) {
      const built = await platformImages(registry, repository(image), tag);
      const standIn = await platformImages(registry, baseRepository(base), BASE_TAG);
      for (const [i, platform] of built.entries()) {
        expect(platform.layers.slice(0, standIn[i]!.layers.length), `${image}:${tag} ${platform.platform} on ${base}`).toEqual(standIn[i]!.layers);
      }
    }
    // The base registry is only read: no tag of this run lands there.
    expect(await listTags(registry, baseRepository('base'))).toEqual([BASE_TAG]);
  });

  it("passes the build args Istio's docker-builder passes: the pinned Envoy build, the version", async () => {
    const repository = (name: string) => `${hub.slice(registry.length + 1)}/${name}`;
    for (const platform of await platformImages(registry, repository('proxyv2'), TAG)) {
      expect(platform.env, platform.platform).toContain(`ISTIO_META_ISTIO_PROXY_SHA=${PROXY_SHA}`);
    }
    for (const platform of await platformImages(registry, repository('ztunnel'), TAG)) {
      expect(platform.env, platform.platform).toContain(`ISTIO_META_ISTIO_VERSION=${TAG}`);
    }
  });

  it('verify --run starts every image on both platforms with its version command', async () => {
    const refs = IMAGES.flatMap((image) => [`${hub}/${image}:${TAG}`, `${hub}/${image}:${TAG}-distroless`]);
    const verify = await runCli(['verify', ...refs, '--platforms', 'amd64,arm64', '--run', '--source', checkout]);
    expect(verify.exitCode, verify.stderr + verify.stdout).toBe(0);
    expect(verify.stdout).toContain(`verify: ${refs.length} of ${refs.length} references passed`);
    expect(verify.stdout).toMatch(/run linux\/arm64: \/usr\/local\/bin\/pilot-agent version -> pilot-agent version 1\.29\.1 linux\/arm64/);
    expect(verify.stdout).toMatch(/run linux\/amd64: \/usr\/local\/bin\/install-cni version -> install-cni version 1\.29\.1 linux\/amd64/);
  });
});
