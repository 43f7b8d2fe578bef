/**
 * scripts/stand-in-bases: stand-ins for Istio's base, distroless and iptables images from each
 * architecture's Debian packages, pushed to the local registry with meshbuild itself. Checked from
 * the registry's side (both platforms, each binary with its platform's ELF machine, the CA bundle)
 * and by running them under `docker run --platform` (qemu for the foreign one): base's shell and
 * Debian's useradd, as Istio's Dockerfiles RUN it on their Ubuntu base; iptables.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../support/cli.js';
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
  uniqueNamespace,
  type IndexEntry,
  pushStandInBases,
} from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';

const TAG = 'stand-in';
const ARCHES = ['amd64', 'arm64'];
/** Per image: files that must be ELF binaries of the platform. */
const BINARIES: Record<string, string[]> = {
  base: ['usr/bin/busybox', 'usr/sbin/useradd'],
  distroless: [],
  iptables: ['usr/sbin/xtables-legacy-multi', 'usr/sbin/xtables-nft-multi'],
};

describe('scripts/stand-in-bases', () => {
  let registry: string;
  let namespace: string;
  const pulled: string[] = [];

  beforeAll(async () => {
    registry = await localRegistry();
    await requireDocker();
    namespace = uniqueNamespace('stand-in-bases');
    await pushStandInBases(`${registry}/${namespace}`, TAG);
  }, 900_000);

  afterAll(async () => {
    await removeLocalImages(pulled);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });
  let tmp: string | undefined;

  describe.each(Object.keys(BINARIES))('%s', (image) => {
    it.each(ARCHES)('linux/%s: in the index, its binaries of that machine, a CA bundle', async (arch) => {
      const repository = `${namespace}/${image}`;
      const index = await getManifest(registry, repository, TAG, OCI_INDEX);
      expect((index.json.manifests as IndexEntry[]).map(entryPlatform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
      const entry = (index.json.manifests as IndexEntry[]).find((m) => entryPlatform(m) === `linux/${arch}`)!;
      const manifest = await getManifest(registry, repository, entry.digest, entry.mediaType);
      const layers = (manifest.json.layers as IndexEntry[]).map((layer) => () => getBlob(registry, repository, layer.digest));
      for (const binary of BINARIES[image]!) {
        const found = await readFileFromImage(layers, binary);
        expect(found, `${binary} in ${image} linux/${arch}`).toBeDefined();
        expect(elfMachine(found!.bytes), `${binary} in ${image} linux/${arch}`).toBe(EXPECTED_ELF_MACHINE[arch]);
      }
      const bundle = await readFileFromImage(layers, 'etc/ssl/certs/ca-certificates.crt');
      expect(bundle?.bytes.toString('utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    });
  });

  it.each(ARCHES)('base runs a shell as linux/%s', async (arch) => {
    const ref = `${registry}/${namespace}/base:${TAG}`;
    pulled.push(ref);
    const result = await docker([
      'run',
      '--rm',
      '--pull',
      'always',
      '--platform',
      `linux/${arch}`,
      ref,
      'sh',
      '-c',
      'uname -m; test -s /etc/ssl/certs/ca-certificates.crt && echo certs',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n')).toEqual([arch === 'amd64' ? 'x86_64' : 'aarch64', 'certs']);
  });

  it.each(ARCHES)('base runs useradd -m --uid 1338 application as linux/%s (passwd, glibc and their libraries are there)', async (arch) => {
    const ref = `${registry}/${namespace}/base:${TAG}`;
    pulled.push(ref);
    const result = await docker([
      'run',
      '--rm',
      '--pull',
      'always',
      '--platform',
      `linux/${arch}`,
      ref,
      'sh',
      '-c',
      'useradd -m --uid 1338 application && id application && grep ^application: /etc/passwd /etc/group && ls -dn /home/application',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'uid=1338(application) gid=1338(application) groups=1338(application)',
      '/etc/passwd:application:x:1338:1338::/home/application:/bin/sh',
      '/etc/group:application:x:1338:',
      expect.stringMatching(/^drwx\S+\s+\d+\s+1338\s+1338\s.*\/home\/application$/),
    ]);
  });

  it.each(ARCHES)('distroless has no shell and no useradd as linux/%s', async (arch) => {
    const repository = `${namespace}/distroless`;
    const index = await getManifest(registry, repository, TAG, OCI_INDEX);
    const entry = (index.json.manifests as IndexEntry[]).find((m) => entryPlatform(m) === `linux/${arch}`)!;
    const manifest = await getManifest(registry, repository, entry.digest, entry.mediaType);
    const layers = (manifest.json.layers as IndexEntry[]).map((layer) => () => getBlob(registry, repository, layer.digest));
    for (const file of ['bin/sh', 'usr/bin/sh', 'usr/bin/busybox', 'usr/sbin/useradd']) expect(await readFileFromImage(layers, file), file).toBeUndefined();
  });

  it.each(ARCHES)('iptables runs iptables-legacy as linux/%s (its libraries and ELF interpreter are there)', async (arch) => {
    const ref = `${registry}/${namespace}/iptables:${TAG}`;
    pulled.push(ref);
    const result = await docker([
      'run',
      '--rm',
      '--pull',
      'always',
      '--platform',
      `linux/${arch}`,
      '--entrypoint',
      '/usr/sbin/iptables-legacy',
      ref,
      '--version',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^iptables v1\.\d+\.\d+ \(legacy\)/);
  });

  it("Istio 1.29.1's Dockerfile.pilot, unchanged, builds on them natively (ISTIO_BASE_REGISTRY and BASE_VERSION from Istio's variables), both variants", async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-istio-pilot-'));
    const targets = path.join(tmp, 'targets');
    await mkdir(targets);
    await copyFile(
      path.join(REPO_ROOT, 'test', 'fixtures', 'dockerfiles', 'istio-1.29.1', 'pilot_docker_Dockerfile.pilot'),
      path.join(targets, 'Dockerfile.pilot'),
    );
    await writeFile(
      path.join(targets, 'images.yaml'),
      [
        'binaries:',
        '  pilot-discovery: { package: ./server }',
        'images:',
        '  pilot: { dockerfile: Dockerfile.pilot, binaries: [pilot-discovery] }',
        'groups: { all: [pilot] }',
        'variants:',
        '  default: {}',
        '  distroless: { args: { BASE_DISTRIBUTION: distroless } }',
        '',
      ].join('\n'),
    );
    const hub = `${registry}/${namespace}-istio`;
    const run = await runCli(
      [
        'all',
        '--targets',
        targets,
        // Stand-in binaries and no overlay: a source with base images of its own (the sample's)
        // would stand in for the registry's.
        '--source',
        path.join(REPO_ROOT, 'test', 'fixtures', 'images', 'stand-in-binaries'),
        '--builder',
        'native',
        '--platforms',
        'amd64,arm64',
        '--variants',
        'default,distroless',
        '--hub',
        hub,
        '--tag',
        TAG,
        '--push',
        '--out',
        path.join(tmp, 'out'),
      ],
      { env: { ISTIO_BASE_REGISTRY: `${registry}/${namespace}`, BASE_VERSION: TAG } },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    for (const arch of ARCHES) {
      const ref = `${hub}/pilot:${TAG}`;
      pulled.push(ref, `${ref}-distroless`);
      const shell = await docker(['run', '--rm', '--pull', 'always', '--platform', `linux/${arch}`, '--entrypoint', 'sh', ref, '-c', 'id -u; uname -m']);
      expect(shell.exitCode, shell.stderr).toBe(0);
      expect(shell.stdout.split('\n')).toEqual(['1337', arch === 'amd64' ? 'x86_64' : 'aarch64']);
      const distroless = await docker(['run', '--rm', '--pull', 'always', '--platform', `linux/${arch}`, `${ref}-distroless`, '--version']);
      expect(distroless.exitCode, distroless.stderr).toBe(0);
      expect(distroless.stdout).toContain(`linux/${arch}`);
      // Built on distroless: no shell there.
      expect((await docker(['run', '--rm', '--platform', `linux/${arch}`, '--entrypoint', 'sh', `${ref}-distroless`])).exitCode).not.toBe(0);
    }
  }, 600_000);
});
