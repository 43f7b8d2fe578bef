/**
 * `meshbuild all --builder native` into an OCI layout: two clean runs (fresh --out each) give
 * byte-identical index digests for every image, one of them with no Docker daemon reachable;
 * layers in a layout are gzipped; and skopeo reads the layout and copies it into the registry.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runSpawnedCli, STACK_FRAME, type CliResult } from '../../support/cli.js';
import { entryPlatform, getManifest, OCI_INDEX, uniqueNamespace, type IndexEntry } from '../../support/images.js';
import { readLayoutImage, requireStack } from './native-support.js';

const TAG = '1.0.0-repro';
const IMAGES = ['base', 'distroless', 'iptables', 'pilot', 'proxyv2', 'istioctl', 'install-cni', 'ztunnel', 'app', 'ext-authz'];
const NO_DAEMON = 'unix:///nonexistent.sock';

/** ref name -> digest, from the layout's index.json. */
async function refDigests(layoutDir: string): Promise<Record<string, string>> {
  const index = JSON.parse(await readFile(path.join(layoutDir, 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
  };
  return Object.fromEntries(index.manifests.map((m) => [m.annotations?.['org.opencontainers.image.ref.name'] ?? '', m.digest]));
}

describe('meshbuild all --builder native into an OCI layout', () => {
  let registry: string;
  let tmp: string;
  let first: CliResult;
  let second: CliResult;
  const layouts = { first: '', second: '' };

  beforeAll(async () => {
    registry = await requireStack({ docker: false, skopeo: true });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-native-repro-'));
    const args = (out: string) => ['all', '--builder', 'native', '--platforms', 'amd64,arm64', '--tag', TAG, '--out', out];
    layouts.first = path.join(tmp, 'first', 'images');
    layouts.second = path.join(tmp, 'second', 'images');
    first = await runCli(args(path.join(tmp, 'first')), { env: { SOURCE_DATE_EPOCH: undefined } });
    // The second run is a real process that cannot reach any Docker daemon.
    second = await runSpawnedCli(args(path.join(tmp, 'second')), { env: { SOURCE_DATE_EPOCH: undefined, DOCKER_HOST: NO_DAEMON } });
  }, 900_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('both runs succeed without a stack trace', () => {
    expect(first.exitCode, first.stderr).toBe(0);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(first.stderr).not.toMatch(STACK_FRAME);
    expect(second.stderr).not.toMatch(STACK_FRAME);
  });

  it('the second run really had no Docker daemon to talk to', async () => {
    const probe = await execa('docker', ['version', '--format', '{{.Server.Version}}'], { env: { DOCKER_HOST: NO_DAEMON }, reject: false });
    expect(probe.exitCode).not.toBe(0);
    expect(second.stderr).not.toMatch(/docker|buildx/i);
  });

  it('writes out/images with one ref per image, each an index of linux/amd64 and linux/arm64', async () => {
    const digests = await refDigests(layouts.first);
    expect(Object.keys(digests).sort()).toEqual(IMAGES.map((i) => `${i}:${TAG}`).sort());
    for (const image of IMAGES) {
      const built = await readLayoutImage(layouts.first, `${image}:${TAG}`);
      expect([...built.keys()].sort(), image).toEqual(['linux/amd64', 'linux/arm64']);
      for (const [platform, one] of built) {
        expect(one.config.architecture, `${image} ${platform}`).toBe(platform.split('/')[1]);
        // Layers written to a layout are gzipped (only loopback registries get them uncompressed).
        expect(one.layerMediaTypes.length, `${image} ${platform}`).toBeGreaterThan(0);
        for (const mediaType of one.layerMediaTypes) expect(mediaType, `${image} ${platform}`).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
      }
    }
  });

  it('two clean runs give byte-identical index digests for every image', async () => {
    const a = await refDigests(layouts.first);
    const b = await refDigests(layouts.second);
    expect(Object.keys(a).length).toBe(IMAGES.length);
    expect(b).toEqual(a);
    expect(await readFile(path.join(layouts.second, 'index.json'))).toEqual(await readFile(path.join(layouts.first, 'index.json')));
  });

  it('skopeo inspect reads the layout without complaint', async () => {
    const digests = await refDigests(layouts.first);
    const inspect = await execa('skopeo', ['inspect', `oci:${layouts.first}:pilot:${TAG}`], { reject: false });
    expect(inspect.exitCode, inspect.stderr).toBe(0);
    expect(inspect.stderr).toBe('');
    const info = JSON.parse(inspect.stdout) as { Digest: string; Os: string; Architecture: string; Layers: string[] };
    expect(info.Digest).toBe(digests[`pilot:${TAG}`]);
    expect(info.Os).toBe('linux');
    expect(info.Layers.length).toBeGreaterThan(0);

    const raw = await execa('skopeo', ['inspect', '--raw', `oci:${layouts.first}:pilot:${TAG}`]);
    const index = JSON.parse(raw.stdout) as { mediaType: string; manifests: IndexEntry[] };
    expect(index.mediaType).toBe(OCI_INDEX);
    expect(index.manifests.map(entryPlatform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('skopeo copy --all puts it into the registry as a manifest list of both platforms, digest unchanged', async () => {
    const namespace = uniqueNamespace('native-skopeo');
    const digests = await refDigests(layouts.first);
    const copy = await execa(
      'skopeo',
      ['copy', '--all', '--dest-tls-verify=false', `oci:${layouts.first}:pilot:${TAG}`, `docker://${registry}/${namespace}/pilot:${TAG}`],
      { reject: false },
    );
    expect(copy.exitCode, copy.stderr).toBe(0);
    const pushed = await getManifest(registry, `${namespace}/pilot`, TAG);
    expect(pushed.mediaType).toBe(OCI_INDEX);
    expect((pushed.json.manifests as IndexEntry[]).map(entryPlatform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    expect(pushed.digest).toBe(digests[`pilot:${TAG}`]);
  });
});
