/**
 * gzipLayoutLayers: a layout as BuildKit exports it uncompressed (an index of two platform
 * manifests, one layer shared by both) turned into the gzipped image meshbuild ships, with the
 * project's own OCI code; no Docker.
 */
import { access, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipLayoutLayers, LayoutLayerGzip } from '../../../src/image/gzip-layout-layers.js';
import { OciLayout } from '../../../src/oci/layout.js';
import { describeBytes, encodeImageIndex } from '../../../src/oci/manifest.js';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';
import type { Descriptor, ImageIndex, ImageManifest } from '../../../src/oci/types.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-gzip-layers-');
const shared = Buffer.from('a layer both platforms share '.repeat(100));
const own = (arch: string) => Buffer.from(`the ${arch} binary `.repeat(1000));
const config = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [] } }));

async function exportedLayout(): Promise<{ dir: string; root: Descriptor }> {
  const dir = await tempDir();
  const layout = await OciLayout.create(dir);
  await layout.writeBlob(config);
  const manifests: Descriptor[] = [];
  for (const arch of ['amd64', 'arm64']) {
    await layout.writeBlob(shared);
    await layout.writeBlob(own(arch));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPE.ociManifest,
        config: describeBytes(config, MEDIA_TYPE.ociConfig),
        layers: [describeBytes(shared, MEDIA_TYPE.ociLayer), describeBytes(own(arch), MEDIA_TYPE.ociLayer)],
      }),
    );
    await layout.writeBlob(manifest);
    manifests.push({ ...describeBytes(manifest, MEDIA_TYPE.ociManifest), platform: { os: 'linux', architecture: arch } });
  }
  const index = encodeImageIndex({ manifests });
  await layout.writeBlob(index.bytes);
  await layout.putRef('img:1', index.descriptor);
  return { dir, root: index.descriptor };
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

describe('gzipLayoutLayers', () => {
  it('gzips every uncompressed layer once, rewrites manifests, index and index.json, keeps configs, drops the tars', async () => {
    const { dir, root } = await exportedLayout();
    const layout = await OciLayout.open(dir);
    const result = await gzipLayoutLayers(dir, root);
    expect(result.digest).not.toBe(root.digest);
    expect(await layout.resolveRef('img:1')).toMatchObject({ digest: result.digest, size: result.size });
    const index = JSON.parse((await layout.readBlob(result.digest)).toString()) as ImageIndex;
    expect(index.manifests.map((m) => m.platform?.architecture)).toEqual(['amd64', 'arm64']);
    const sharedDigests = new Set<string>();
    for (const [i, entry] of index.manifests.entries()) {
      const manifest = JSON.parse((await layout.readBlob(entry.digest)).toString()) as ImageManifest;
      expect(manifest.config).toEqual(describeBytes(config, MEDIA_TYPE.ociConfig));
      expect(manifest.layers.map((l) => l.mediaType)).toEqual([MEDIA_TYPE.ociLayerGzip, MEDIA_TYPE.ociLayerGzip]);
      expect(gunzipSync(await layout.readBlob(manifest.layers[0]!.digest))).toEqual(shared);
      expect(gunzipSync(await layout.readBlob(manifest.layers[1]!.digest))).toEqual(own(i === 0 ? 'amd64' : 'arm64'));
      sharedDigests.add(manifest.layers[0]!.digest);
    }
    expect(sharedDigests.size).toBe(1);
    expect(await exists(layout.blobPath(describeBytes(shared, MEDIA_TYPE.ociLayer).digest))).toBe(false);
  });

  it('gives the same digests for the same layers (deterministic gzip)', async () => {
    const one = await exportedLayout();
    const two = await exportedLayout();
    expect((await gzipLayoutLayers(one.dir, one.root)).digest).toBe((await gzipLayoutLayers(two.dir, two.root)).digest);
  });

  it('gzips early, before index.json names the root, to the same result', async () => {
    const plain = await exportedLayout();
    const early = await exportedLayout();
    // As a target's export leaves it: blobs written, index.json and oci-layout not yet.
    const index = await readFile(path.join(early.dir, 'index.json'));
    await rm(path.join(early.dir, 'index.json'));
    await rm(path.join(early.dir, 'oci-layout'));
    const blobs = OciLayout.beingWritten(early.dir);
    const before = (await blobs.blobDigests()).length;
    const gzip = new LayoutLayerGzip(early.dir);
    await gzip.prime();
    await gzip.settled();
    // Three layers (one shared, one per platform) gzipped before the root is known.
    expect((await blobs.blobDigests()).length).toBe(before + 3);
    await writeFile(path.join(early.dir, 'index.json'), index);
    await writeFile(path.join(early.dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    expect(await gzip.rewrite(early.root)).toEqual(await gzipLayoutLayers(plain.dir, plain.root));
    // The three tars removed; two manifests and the index written again.
    expect((await blobs.blobDigests()).length).toBe(before + 3 - 3 + 3);
  });

  it('gzips again at rewrite a layer it could not gzip early (a blob still being written)', async () => {
    const { dir, root } = await exportedLayout();
    const layer = describeBytes(own('arm64'), MEDIA_TYPE.ociLayer);
    const file = path.join(dir, 'blobs', 'sha256', layer.digest.slice(7));
    await writeFile(file, own('arm64').subarray(0, 10));
    const gzip = new LayoutLayerGzip(dir);
    await gzip.prime();
    await gzip.settled();
    await writeFile(file, own('arm64'));
    const result = await gzip.rewrite(root);
    const layout = await OciLayout.open(dir);
    const index = JSON.parse((await layout.readBlob(result.digest)).toString()) as ImageIndex;
    const manifest = JSON.parse((await layout.readBlob(index.manifests[1]!.digest)).toString()) as ImageManifest;
    expect(gunzipSync(await layout.readBlob(manifest.layers[1]!.digest))).toEqual(own('arm64'));
  });

  it('leaves an image without uncompressed layers as it is', async () => {
    const { dir, root } = await exportedLayout();
    const gzipped = await gzipLayoutLayers(dir, root);
    const before = await readFile(path.join(dir, 'index.json'), 'utf8');
    expect(await gzipLayoutLayers(dir, gzipped)).toEqual(gzipped);
    expect(await readFile(path.join(dir, 'index.json'), 'utf8')).toBe(before);
  });
});
