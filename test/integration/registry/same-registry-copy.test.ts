import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';
import type { Descriptor, ImageManifest } from '../../../src/oci/types.js';
import { copyImage } from '../../../src/publish/copy-image.js';
import { RegistryStore } from '../../../src/publish/registry-store.js';
import { bufferBlobSource } from '../../../src/registry/blob-source.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { localRegistry } from '../../support/registry.js';
import { indexOf, randomBlob, sha256, uniqueRepo } from './fixtures.js';

const LAYERS_PER_PLATFORM = 3;

/** Pushes an index of two platform images, each a config and three 1 MiB layers (8 blobs; larger than stream buffers, so a source GET is still open while its upload runs); returns its descriptor. */
async function pushSourceImage(client: RegistryClient, repo: string): Promise<{ root: Descriptor; blobs: number }> {
  const children: Descriptor[] = [];
  let blobs = 0;
  for (const architecture of ['amd64', 'arm64']) {
    const layers = Array.from({ length: LAYERS_PER_PLATFORM }, () => randomBlob(1024 * 1024));
    const configBytes = Buffer.from(
      JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.descriptor.digest) } }),
    );
    const config: Descriptor = { mediaType: MEDIA_TYPE.ociConfig, size: configBytes.length, digest: sha256(configBytes) };
    await client.pushBlob(repo, config, bufferBlobSource(configBytes));
    for (const layer of layers) await client.pushBlob(repo, layer.descriptor, bufferBlobSource(layer.bytes));
    blobs += 1 + layers.length;
    const manifest: ImageManifest = { schemaVersion: 2, mediaType: MEDIA_TYPE.ociManifest, config, layers: layers.map((l) => l.descriptor) };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const digest = await client.putManifest(repo, sha256(bytes), bytes, MEDIA_TYPE.ociManifest);
    children.push({ mediaType: MEDIA_TYPE.ociManifest, digest, size: bytes.length, platform: { os: 'linux', architecture } });
  }
  const index = indexOf(MEDIA_TYPE.ociIndex, children);
  const digest = await client.putManifest(repo, sha256(index), index, MEDIA_TYPE.ociIndex);
  return { root: { mediaType: MEDIA_TYPE.ociIndex, digest, size: index.length }, blobs };
}

describe('copying between two repositories of one registry', () => {
  let proxy: FaultProxy;

  beforeAll(async () => {
    proxy = await startFaultProxy(await localRegistry());
  });

  beforeEach(() => proxy.reset());

  afterAll(async () => {
    await proxy?.close();
  });

  it('completes at --registry-concurrency 1 with every mount declined (each blob streamed GET -> upload on one slot)', { timeout: 60_000 }, async () => {
    const client = new RegistryClient(proxy.address, { maxConcurrentRequests: 1, retryBaseDelayMs: 10 });
    const source = uniqueRepo('copy-src');
    const target = uniqueRepo('copy-dst');
    const { root, blobs } = await pushSourceImage(client, source);
    expect(blobs).toBeGreaterThanOrEqual(5);
    proxy.reset();
    proxy.declineMount({ count: Number.POSITIVE_INFINITY });

    const stats = await copyImage(new RegistryStore(client, source), new RegistryStore(client, target, [source]), root);

    expect(stats.blobsSent).toBe(blobs);
    expect(proxy.count('POST', /[?&]mount=/)).toBe(blobs);
    expect(proxy.count('GET', new RegExp(`/v2/${source}/blobs/`))).toBe(blobs);
    expect(client.limiter.inFlight).toBe(0);
    const copied = await client.getManifest(target, root.digest);
    expect(copied.descriptor.digest).toBe(root.digest);
    for (const child of (copied.parsed as { manifests: Descriptor[] }).manifests) {
      const manifest = (await client.getManifest(target, child.digest)).parsed as ImageManifest;
      for (const blob of [manifest.config, ...manifest.layers]) expect(await client.hasBlob(target, blob.digest)).toBe(true);
    }
  });
});
