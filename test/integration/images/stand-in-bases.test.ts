/**
 * scripts/stand-in-bases: stand-ins for Istio's base, distroless and iptables images from each
 * architecture's Debian packages, pushed to the local registry with meshbuild itself. Checked from
 * the registry's side (both platforms, each binary with its platform's ELF machine, the CA bundle)
 * and by running them under `docker run --platform` (qemu for the foreign one).
 */
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/cli.js';
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
} from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';

const TAG = 'stand-in';
const ARCHES = ['amd64', 'arm64'];
/** Per image: files that must be ELF binaries of the platform. */
const BINARIES: Record<string, string[]> = {
  base: ['usr/bin/busybox'],
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
    const run = await execa(path.join(REPO_ROOT, 'scripts', 'stand-in-bases'), [`${registry}/${namespace}`, TAG], { reject: false, all: true });
    if (run.exitCode !== 0) throw new Error(`scripts/stand-in-bases failed (exit ${String(run.exitCode)}):\n${String(run.all)}`);
  }, 900_000);

  afterAll(async () => {
    await removeLocalImages(pulled);
  });

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
});
