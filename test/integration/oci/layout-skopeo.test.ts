/**
 * The layout as other tools see it: skopeo must read what meshbuild writes (inspect, copy), and
 * meshbuild must read what skopeo writes. skopeo is required: a missing skopeo fails this file.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildLayer } from '../../../src/oci/layer.js';
import { OciLayout } from '../../../src/oci/layout.js';
import { encodeImageConfig, encodeImageIndex, encodeImageManifest, type EncodedBlob } from '../../../src/oci/manifest.js';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';
import { readFileFromTar } from '../../../src/oci/tar-reader.js';
import type { ImageIndex, ImageManifest } from '../../../src/oci/types.js';
import { useTempDirs } from '../../support/temp-dirs.js';
import { localRegistry } from '../../support/registry.js';

const tempDir = useTempDirs('meshbuild-oci-');
const REF = '1.24.0';
const ARCHES = ['amd64', 'arm64'] as const;

interface BuiltImage {
  dir: string;
  index: EncodedBlob<ImageIndex>;
  manifests: Record<string, EncodedBlob<ImageManifest>>;
  layerDigests: Record<string, string>;
}

let image: BuiltImage;

async function skopeo(args: string[]): Promise<string> {
  return (await execa('skopeo', args)).stdout;
}

/** A two-platform image: one layer, a config and a manifest per platform, and an index, in a fresh layout. */
async function buildTwoPlatformImage(): Promise<BuiltImage> {
  const work = await tempDir();
  const layout = await OciLayout.create(join(work, 'layout'));
  const manifests: Record<string, EncodedBlob<ImageManifest>> = {};
  const layerDigests: Record<string, string> = {};
  for (const architecture of ARCHES) {
    const layer = await buildLayer(
      [
        { type: 'file', path: '/etc/meshbuild/platform', content: `linux/${architecture}\n` },
        { type: 'file', path: '/usr/local/bin/hello', content: '#!/bin/sh\necho hello\n', executable: true },
      ],
      join(work, `layer-${architecture}.tgz`),
    );
    await layout.writeBlobFromFile(layer.path, { digest: layer.descriptor.digest });
    const platform = { os: 'linux', architecture };
    const config = encodeImageConfig({
      platform,
      diffIds: [layer.diffId],
      config: { Entrypoint: ['/usr/local/bin/hello'], Env: ['PATH=/usr/local/bin:/usr/bin:/bin'] },
    });
    await layout.writeBlob(config.bytes);
    const manifest = encodeImageManifest({ config: config.descriptor, layers: [layer.descriptor], platform });
    await layout.writeBlob(manifest.bytes);
    manifests[architecture] = manifest;
    layerDigests[architecture] = layer.descriptor.digest;
  }
  const index = encodeImageIndex({ manifests: ARCHES.map((arch) => manifests[arch]!.descriptor) });
  await layout.writeBlob(index.bytes);
  await layout.putRef(REF, index.descriptor);
  return { dir: layout.dir, index, manifests, layerDigests };
}

beforeAll(async () => {
  const version = await execa('skopeo', ['--version']).catch((error: unknown) => {
    throw new Error(`skopeo is required for these tests and could not be run (${String(error)}); install it (apt-get install skopeo) or run scripts/env-up`);
  });
  expect(version.stdout).toMatch(/^skopeo version/);
  image = await buildTwoPlatformImage();
});

describe('an OCI layout written by meshbuild, read by skopeo', () => {
  it('inspect --raw returns the index exactly as written', async () => {
    const raw = await skopeo(['inspect', '--raw', `oci:${image.dir}:${REF}`]);
    expect(Buffer.from(raw).equals(image.index.bytes)).toBe(true);
  });

  it('inspect resolves each platform to its manifest, config and layer', async () => {
    expect(image.layerDigests.amd64).not.toBe(image.layerDigests.arm64);
    for (const architecture of ARCHES) {
      const out = JSON.parse(await skopeo(['--override-os', 'linux', '--override-arch', architecture, 'inspect', `oci:${image.dir}:${REF}`])) as Record<
        string,
        unknown
      >;
      expect(out).toMatchObject({
        // skopeo reports the digest of what the ref names (the index); the layers show which manifest it chose.
        Digest: image.index.descriptor.digest,
        Architecture: architecture,
        Os: 'linux',
        Layers: [image.layerDigests[architecture]],
        Env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
      });
    }
  });

  it('inspect --config shows the config meshbuild wrote', async () => {
    const config = JSON.parse(await skopeo(['--override-arch', 'arm64', 'inspect', '--config', `oci:${image.dir}:${REF}`])) as {
      architecture: string;
      rootfs: { diff_ids: string[] };
    };
    expect(config.architecture).toBe('arm64');
    expect(config.rootfs.diff_ids).toHaveLength(1);
  });

  it('copy --all into another layout verifies every blob; meshbuild reads the copy back', async () => {
    const target = join(await tempDir(), 'copy');
    await execa('skopeo', ['copy', '--all', '--preserve-digests', `oci:${image.dir}:${REF}`, `oci:${target}:copied`]);
    const copy = await OciLayout.open(target);
    expect(await copy.listRefs()).toEqual(['copied']);
    const resolved = await copy.resolveRef('copied');
    expect(resolved?.digest).toBe(image.index.descriptor.digest);
    const index = await copy.readJsonBlob<ImageIndex>(resolved!.digest);
    const arm64 = index.manifests.find((d) => d.platform?.architecture === 'arm64')!;
    const manifest = await copy.readJsonBlob<ImageManifest>(arm64.digest);
    expect(manifest.layers[0]?.mediaType).toBe(MEDIA_TYPE.ociLayerGzip);
    const platformFile = await readFileFromTar(await copy.openBlob(manifest.layers[0]!.digest), '/etc/meshbuild/platform');
    expect(platformFile?.toString()).toBe('linux/arm64\n');
  });

  // The registry is part of the test environment (scripts/env-up): without one this fails loudly.
  it('copy --all to a registry keeps the index digest', async () => {
    const registry = await localRegistry();
    const repo = `meshbuild-oci-test/layout-${process.pid}`;
    await execa('skopeo', ['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci:${image.dir}:${REF}`, `docker://${registry}/${repo}:${REF}`]);
    const response = await fetch(`http://${registry}/v2/${repo}/manifests/${REF}`, { headers: { Accept: MEDIA_TYPE.ociIndex } });
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-content-digest')).toBe(image.index.descriptor.digest);
    expect(Buffer.from(await response.arrayBuffer()).equals(image.index.bytes)).toBe(true);
  });
});
