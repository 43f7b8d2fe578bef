import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../../src/errors.js';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';
import type { Descriptor, ImageManifest } from '../../../src/oci/types.js';
import { copyImage } from '../../../src/publish/copy-image.js';
import { RegistryStore } from '../../../src/publish/registry-store.js';
import { bufferBlobSource } from '../../../src/registry/blob-source.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { RegistryError } from '../../../src/registry/registry-error.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { localRegistry } from '../../support/registry.js';
import { randomBlob, sha256, uniqueRepo } from './fixtures.js';

/** Long enough that only an abort ends the wait within the test's timeout. */
const FOREVER_MS = 60_000;

interface SourceImage {
  root: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
}

/** A config and four layers pushed straight to the registry (not through the proxy). */
async function pushSource(client: RegistryClient, repo: string): Promise<SourceImage> {
  const layers = Array.from({ length: 4 }, () => randomBlob(64 * 1024));
  for (const layer of layers) await client.pushBlob(repo, layer.descriptor, bufferBlobSource(layer.bytes));
  const configBytes = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.descriptor.digest) } }),
  );
  const config: Descriptor = { mediaType: MEDIA_TYPE.ociConfig, size: configBytes.length, digest: sha256(configBytes) };
  await client.pushBlob(repo, config, bufferBlobSource(configBytes));
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MEDIA_TYPE.ociManifest, config, layers: layers.map((l) => l.descriptor) };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = await client.putManifest(repo, sha256(bytes), bytes, MEDIA_TYPE.ociManifest);
  return { root: { mediaType: MEDIA_TYPE.ociManifest, digest, size: bytes.length }, config, layers: layers.map((l) => l.descriptor) };
}

/** Matches the closing PUT of `digest`'s upload. */
const putOf = (digest: string): RegExp => new RegExp(`digest=sha256%3A${digest.slice('sha256:'.length)}`);

describe('parallel blob transfers of one copy', () => {
  let proxy: FaultProxy;
  let direct: RegistryClient;
  let viaProxy: RegistryClient;

  beforeAll(async () => {
    const registry = await localRegistry();
    proxy = await startFaultProxy(registry);
    direct = new RegistryClient(registry);
  });

  beforeEach(() => {
    proxy.reset();
    viaProxy = new RegistryClient(proxy.address, { retryBaseDelayMs: 10, maxConcurrentRequests: 8 });
  });

  afterAll(async () => {
    await proxy?.close();
  });

  it('the first failure aborts the sibling transfers and is the error thrown', async () => {
    const source = uniqueRepo('siblings-src');
    const image = await pushSource(direct, source);
    const failing = image.layers[0]!;
    proxy.failNext({ method: 'PUT', path: putOf(failing.digest), status: 400, count: 1 });
    proxy.delay({ method: 'PUT', path: /\/blobs\/uploads\//, ms: FOREVER_MS });
    const target = uniqueRepo('siblings-dst');
    const copy = copyImage(new RegistryStore(direct, source), new RegistryStore(viaProxy, target), image.root);
    await expect(copy).rejects.toBeInstanceOf(RegistryError);
    await expect(copy).rejects.not.toBeInstanceOf(InterruptedError);
    await expect(copy).rejects.toThrow(/400/);
    for (const blob of [image.config, ...image.layers]) expect(await direct.hasBlob(target, blob.digest)).toBe(false);
    expect(viaProxy.limiter.inFlight).toBe(0);
  });

  it('with keepGoing the siblings finish, and the first failure is still thrown', async () => {
    const source = uniqueRepo('keepgoing-src');
    const image = await pushSource(direct, source);
    const failing = image.layers[0]!;
    proxy.failNext({ method: 'PUT', path: putOf(failing.digest), status: 400, count: 1 });
    const target = uniqueRepo('keepgoing-dst');
    const copy = copyImage(new RegistryStore(direct, source), new RegistryStore(viaProxy, target), image.root, { keepGoing: true });
    await expect(copy).rejects.toBeInstanceOf(RegistryError);
    for (const blob of [image.config, ...image.layers.slice(1)]) expect(await direct.hasBlob(target, blob.digest)).toBe(true);
    expect(await direct.hasBlob(target, failing.digest)).toBe(false);
  });

  it('an abort of the parent signal ends the copy with InterruptedError', async () => {
    const source = uniqueRepo('parent-src');
    const image = await pushSource(direct, source);
    proxy.delay({ method: 'PUT', path: /\/blobs\/uploads\//, ms: FOREVER_MS });
    const controller = new AbortController();
    const copy = copyImage(new RegistryStore(direct, source), new RegistryStore(viaProxy, uniqueRepo('parent-dst')), image.root, { signal: controller.signal });
    while (proxy.count('PUT') === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(new InterruptedError('SIGINT'));
    await expect(copy).rejects.toBeInstanceOf(InterruptedError);
  });

  it('asks the destination once per blob: the HEAD before the copy stands for the upload', async () => {
    const source = uniqueRepo('siblings-src');
    const image = await pushSource(direct, source);
    const target = uniqueRepo('siblings-dst');
    await copyImage(new RegistryStore(direct, source), new RegistryStore(viaProxy, target), image.root);
    for (const blob of [image.config, ...image.layers]) {
      expect(proxy.count('HEAD', new RegExp(`/${target}/blobs/${blob.digest}$`))).toBe(1);
      expect(proxy.count('PUT', putOf(blob.digest))).toBe(1);
    }
  });
});
