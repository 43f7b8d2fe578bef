import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferBlobSource, fileBlobSource } from '../../../src/registry/blob-source.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { RegistryError } from '../../../src/registry/registry-error.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { localRegistry } from '../../support/registry.js';
import { randomBlob, readAll, sha256, uniqueRepo, writeRandomFile } from './fixtures.js';

const MiB = 1024 * 1024;

describe('blobs against the real registry', () => {
  let registry: string;
  let proxy: FaultProxy;
  let client: RegistryClient;
  let tmp: string;

  beforeAll(async () => {
    registry = await localRegistry();
    proxy = await startFaultProxy(registry);
    client = new RegistryClient(proxy.address, { chunkSize: MiB, retryBaseDelayMs: 10 });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-blobs-'));
  });

  afterAll(async () => {
    await proxy?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('pushes a blob monolithically (POST then one PUT) and reads it back', async () => {
    const repo = uniqueRepo('mono');
    const blob = randomBlob(MiB + 17);
    proxy.reset();
    expect(await client.hasBlob(repo, blob.descriptor.digest)).toBe(false);
    expect(await client.pushBlob(repo, blob.descriptor, bufferBlobSource(blob.bytes), { mode: 'monolithic' })).toBe('uploaded');
    expect(proxy.count('POST', /\/blobs\/uploads\/$/)).toBe(1);
    expect(proxy.count('PUT', /\/blobs\/uploads\//)).toBe(1);
    expect(proxy.count('PATCH')).toBe(0);
    expect(await client.hasBlob(repo, blob.descriptor.digest)).toBe(true);
    expect((await readAll(await client.getBlob(repo, blob.descriptor.digest))).equals(blob.bytes)).toBe(true);
    expect(await client.pushBlob(repo, blob.descriptor, bufferBlobSource(blob.bytes))).toBe('existed');
  });

  it('pushes a blob in chunks (PATCH with Content-Range) from a file', async () => {
    const repo = uniqueRepo('chunked');
    const file = path.join(tmp, 'chunked.bin');
    const descriptor = await writeRandomFile(file, 5 * MiB + 3);
    proxy.reset();
    expect(await client.pushBlob(repo, descriptor, fileBlobSource(file), { mode: 'chunked' })).toBe('uploaded');
    expect(proxy.count('PATCH')).toBe(6);
    expect(proxy.count('PUT')).toBe(1);
    const back = await readAll(await client.getBlob(repo, descriptor.digest));
    expect(back.length).toBe(descriptor.size);
    expect(sha256(back)).toBe(descriptor.digest);
  });

  it('chooses chunked above the threshold', async () => {
    const small = new RegistryClient(proxy.address, { chunkSize: MiB, chunkedUploadThreshold: 2 * MiB, retryBaseDelayMs: 10 });
    const repo = uniqueRepo('auto');
    const big = randomBlob(3 * MiB);
    const little = randomBlob(MiB);
    proxy.reset();
    await small.pushBlob(repo, big.descriptor, bufferBlobSource(big.bytes));
    expect(proxy.count('PATCH')).toBe(3);
    proxy.reset();
    await small.pushBlob(repo, little.descriptor, bufferBlobSource(little.bytes));
    expect(proxy.count('PATCH')).toBe(0);
  });

  it('refuses bytes that do not match the digest, without retrying, monolithic and chunked', async () => {
    const repo = uniqueRepo('mismatch');
    const blob = randomBlob(256 * 1024);
    const wrong = { ...blob.descriptor, digest: sha256(Buffer.from('something else')) };
    for (const mode of ['monolithic', 'chunked'] as const) {
      proxy.reset();
      const error = await client.pushBlob(repo, wrong, bufferBlobSource(blob.bytes), { mode }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/does not match its digest/);
      expect(proxy.count('POST', /\/blobs\/uploads\/$/)).toBe(1);
      expect(await client.hasBlob(repo, wrong.digest)).toBe(false);
    }
    const short = { ...blob.descriptor, size: blob.descriptor.size + 10 };
    const error = await client.pushBlob(repo, short, bufferBlobSource(blob.bytes), { mode: 'monolithic' }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/does not match its digest/);
  });

  it('mounts a blob across repositories', async () => {
    const from = uniqueRepo('mount-from');
    const to = uniqueRepo('mount-to');
    const blob = randomBlob(64 * 1024);
    await client.pushBlob(from, blob.descriptor, bufferBlobSource(blob.bytes));
    proxy.reset();
    expect(await client.mountBlob(to, blob.descriptor, from)).toBe('mounted');
    expect(proxy.count('PUT')).toBe(0);
    expect(await client.hasBlob(to, blob.descriptor.digest)).toBe(true);
  });

  it('uploads instead when the registry answers a mount with 202', async () => {
    const blob = randomBlob(64 * 1024);
    // The source repository lacks the blob: the registry opens a plain upload session.
    const to = uniqueRepo('mount-fallback');
    proxy.reset();
    expect(await client.mountBlob(to, blob.descriptor, uniqueRepo('empty'), bufferBlobSource(blob.bytes))).toBe('uploaded');
    expect(proxy.count('POST')).toBe(1);
    expect(proxy.count('PUT')).toBe(1);
    expect(await client.hasBlob(to, blob.descriptor.digest)).toBe(true);

    // The registry declines the mount although the source has the blob: copy it across.
    const copyTo = uniqueRepo('mount-copy');
    proxy.reset();
    proxy.declineMount();
    expect(await client.mountBlob(copyTo, blob.descriptor, to)).toBe('uploaded');
    expect(proxy.count('GET', /\/blobs\/sha256:/)).toBe(1);
    expect(sha256(await readAll(await client.getBlob(copyTo, blob.descriptor.digest)))).toBe(blob.descriptor.digest);
  });

  it('copying a declined mount works with one request slot per host', async () => {
    const blob = randomBlob(32 * 1024);
    const from = uniqueRepo('slot-from');
    const single = new RegistryClient(proxy.address, { maxConcurrentRequests: 1, retryBaseDelayMs: 10 });
    await single.pushBlob(from, blob.descriptor, bufferBlobSource(blob.bytes));
    proxy.reset();
    proxy.declineMount();
    expect(await single.mountBlob(uniqueRepo('slot-to'), blob.descriptor, from)).toBe('uploaded');
    // Restore the shared limit for later tests of this host.
    new RegistryClient(proxy.address, { maxConcurrentRequests: 8 });
  });

  it('follows redirects when reading a blob', async () => {
    const repo = uniqueRepo('redirect');
    const blob = randomBlob(100 * 1024);
    await client.pushBlob(repo, blob.descriptor, bufferBlobSource(blob.bytes));
    proxy.reset();
    proxy.redirect({ method: 'GET', path: /\/blobs\/sha256:/ });
    expect((await readAll(await client.getBlob(repo, blob.descriptor.digest))).equals(blob.bytes)).toBe(true);
    expect(proxy.requests.map((r) => r.status)).toEqual([307, 200]);
  });

  it('says clearly when a blob is not there', async () => {
    const error = await client.getBlob(uniqueRepo('missing'), sha256(Buffer.from('nope'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).exitCode).toBe(1);
    expect((error as RegistryError).message).toMatch(/not found on registry 127\.0\.0\.1:\d+/);
  });
});
