/**
 * Uploads stream each blob once: one read, hashed on the way, one request when the registry takes
 * it, chunks (each read from its own offset) only when it asks for them, blobs a sibling repository
 * holds mounted, and a source that fails mid-way leaves no upload session behind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileBlobSource, type OpenBlobStream } from '../../../src/registry/blob-source.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { copyImage } from '../../../src/publish/copy-image.js';
import { LayoutStore } from '../../../src/publish/layout-store.js';
import { RegistryStore } from '../../../src/publish/registry-store.js';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';
import type { Descriptor } from '../../../src/oci/types.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { localRegistry } from '../../support/registry.js';
import { platformImage, sha256, uniqueRepo, writeRandomFile } from './fixtures.js';

const MiB = 1024 * 1024;

/** An opener that counts the bytes it hands out. */
function counting(open: OpenBlobStream): { open: OpenBlobStream; read: () => number } {
  let read = 0;
  return {
    open: async (start, end) => {
      const stream = await open(start, end);
      stream.on('data', (chunk: Buffer) => (read += chunk.length));
      return stream;
    },
    read: () => read,
  };
}

/** The registry's own digest of a blob, from the HEAD answer. */
async function registryDigest(registry: string, repo: string, digest: string): Promise<string | null> {
  const response = await fetch(`http://${registry}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  return response.status === 200 ? response.headers.get('docker-content-digest') : null;
}

describe('streamed blob uploads against the real registry', () => {
  let registry: string;
  let proxy: FaultProxy;
  let tmp: string;

  beforeAll(async () => {
    registry = await localRegistry();
    proxy = await startFaultProxy(registry);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-streamed-'));
  });

  afterAll(async () => {
    await proxy?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('sends a 150 MiB blob in one request, reading and sending each byte once', async () => {
    const client = new RegistryClient(proxy.address, { retryBaseDelayMs: 10 });
    const file = path.join(tmp, 'large.bin');
    const descriptor = await writeRandomFile(file, 150 * MiB + 7);
    const source = counting(fileBlobSource(file));
    const repo = uniqueRepo('large');
    let progress = 0;
    proxy.reset();
    expect(await client.pushBlob(repo, descriptor, source.open, { onProgress: (sent) => (progress = sent) })).toBe('uploaded');
    expect(proxy.count('PATCH')).toBe(0);
    expect(proxy.count('PUT')).toBe(1);
    expect(proxy.bodyBytes()).toBe(descriptor.size);
    expect(source.read()).toBe(descriptor.size);
    expect(progress).toBe(descriptor.size);
    expect(await registryDigest(registry, repo, descriptor.digest)).toBe(descriptor.digest);
    await rm(file);
  });

  it('sends chunks when the registry refuses the whole body (413), each read once from its offset', async () => {
    const client = new RegistryClient(proxy.address, { retryBaseDelayMs: 10, chunkSize: MiB });
    const file = path.join(tmp, 'chunks.bin');
    const descriptor = await writeRandomFile(file, 5 * MiB + 3);
    const source = counting(fileBlobSource(file));
    const repo = uniqueRepo('too-large');
    proxy.reset();
    proxy.failNext({ method: 'PUT', minLength: 1, status: 413 });
    expect(await client.pushBlob(repo, descriptor, source.open)).toBe('uploaded');
    expect(proxy.count('PATCH')).toBe(6);
    expect(proxy.bodyBytes('PATCH')).toBe(descriptor.size);
    // The refused attempt read at most the whole blob once; the chunks read each byte once more.
    expect(source.read()).toBeLessThanOrEqual(2 * descriptor.size);
    expect(source.read()).toBeGreaterThanOrEqual(descriptor.size);
    expect(await registryDigest(registry, repo, descriptor.digest)).toBe(descriptor.digest);
  });

  it('reads each chunk of a layout blob from its offset, unchecked by the layout (the upload hashes it)', async () => {
    const client = new RegistryClient(proxy.address, { retryBaseDelayMs: 10, chunkSize: MiB, chunkedUploadThreshold: MiB });
    const layout = await LayoutStore.at(path.join(tmp, 'layout'));
    const file = path.join(tmp, 'layer.bin');
    const layer = await writeRandomFile(file, 4 * MiB + 11);
    await layout.layout.writeBlobFromFile(file, { digest: layer.digest });
    const source = counting((start, end) => layout.openBlob(layer, undefined, { start, ...(end !== undefined ? { end } : {}), verify: false }));
    const repo = uniqueRepo('layout-chunks');
    proxy.reset();
    expect(await new RegistryStore(client, repo).putBlob(layer, source.open).then(() => 'ok')).toBe('ok');
    expect(proxy.count('PATCH')).toBe(5);
    expect(source.read()).toBe(layer.size);
    expect(await registryDigest(registry, repo, layer.digest)).toBe(layer.digest);
  });

  it('mounts the layers a sibling repository holds instead of sending them', async () => {
    const client = new RegistryClient(proxy.address, { retryBaseDelayMs: 10 });
    const layout = await LayoutStore.at(path.join(tmp, 'mount-layout'));
    const image = platformImage('amd64');
    await layout.layout.writeBlob(image.layer.bytes, { digest: image.layer.descriptor.digest });
    await layout.layout.writeBlob(image.config.bytes, { digest: image.config.descriptor.digest });
    const root: Descriptor = { mediaType: MEDIA_TYPE.ociManifest, digest: sha256(image.manifest), size: image.manifest.length };
    await layout.layout.writeBlob(image.manifest, { digest: root.digest });
    const base = uniqueRepo('mount-base');
    const derived = uniqueRepo('mount-derived');
    await copyImage(layout, new RegistryStore(client, base), root);
    proxy.reset();
    const stats = await copyImage(layout, new RegistryStore(client, derived, [base]), root);
    expect(stats.blobsSent).toBe(2);
    expect(proxy.count('POST', /[?&]mount=/)).toBe(2);
    expect(proxy.count('PUT', /\/blobs\/uploads\//)).toBe(0);
    expect(proxy.count('PATCH')).toBe(0);
    expect(proxy.bodyBytes('PUT', /\/blobs\//)).toBe(0);
    expect(await registryDigest(registry, derived, image.layer.descriptor.digest)).toBe(image.layer.descriptor.digest);
  });

  it('cancels the upload session when the source fails mid-way, monolithic and chunked', async () => {
    const client = new RegistryClient(proxy.address, { retryBaseDelayMs: 10, chunkSize: 64 * 1024 });
    const size = 512 * 1024;
    const descriptor: Descriptor = { mediaType: MEDIA_TYPE.ociLayerGzip, size, digest: sha256(Buffer.alloc(size, 1)) };
    // The bytes are readable up to 100 KiB into the blob, from any offset; past that the read fails.
    const failing: OpenBlobStream = (start) =>
      Readable.from(
        (async function* () {
          if (start < 100 * 1024) yield Buffer.alloc(100 * 1024 - start, 1);
          throw new Error('disk read failed');
        })(),
      );
    for (const mode of ['monolithic', 'chunked'] as const) {
      const repo = uniqueRepo(`read-fails-${mode}`);
      proxy.reset();
      const error = await client.pushBlob(repo, descriptor, failing, { mode }).catch((e: unknown) => e);
      expect(String((error as Error).message)).toMatch(/disk read failed/);
      expect(proxy.count('DELETE', /\/blobs\/uploads\//)).toBe(1);
      expect(await registryDigest(registry, repo, descriptor.digest)).toBeNull();
    }
  });
});
