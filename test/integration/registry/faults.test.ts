import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';
import { bufferBlobSource } from '../../../src/registry/blob-source.js';
import { RegistryClient, type RegistryClientOptions } from '../../../src/registry/client.js';
import { RegistryError } from '../../../src/registry/registry-error.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { freePort, localRegistry } from '../../support/registry.js';
import { platformImage, randomBlob, readAll, sha256, uniqueRepo } from './fixtures.js';

const MiB = 1024 * 1024;
const UPLOAD_PUT = /\/blobs\/uploads\/[^?]+\?.*digest=/;
const UPLOAD_START = /\/blobs\/uploads\/$/;

describe('faults between client and registry end in a successful push', () => {
  let registry: string;
  let proxy: FaultProxy;
  let log: string[];
  let client: RegistryClient;
  const make = (options: RegistryClientOptions = {}): RegistryClient =>
    new RegistryClient(proxy.address, { retryBaseDelayMs: 20, retryMaxDelayMs: 200, chunkSize: MiB, debug: (line) => log.push(line), ...options });

  beforeAll(async () => {
    registry = await localRegistry();
    proxy = await startFaultProxy(registry);
  });

  beforeEach(() => {
    proxy.reset();
    log = [];
    client = make();
  });

  afterAll(async () => {
    await proxy?.close();
  });

  async function expectStored(repo: string, blob: { bytes: Buffer; descriptor: { digest: string } }): Promise<void> {
    expect(await client.hasBlob(repo, blob.descriptor.digest)).toBe(true);
    expect(sha256(await readAll(await client.getBlob(repo, blob.descriptor.digest)))).toBe(blob.descriptor.digest);
  }

  it('retries 500 on the upload PUT with a fresh stream', async () => {
    const repo = uniqueRepo('fault-500');
    const blob = randomBlob(MiB);
    proxy.failNext({ method: 'PUT', path: UPLOAD_PUT, status: 500, count: 2 });
    expect(await client.pushBlob(repo, blob.descriptor, bufferBlobSource(blob.bytes), { mode: 'monolithic' })).toBe('uploaded');
    expect(proxy.count('PUT', UPLOAD_PUT)).toBe(3);
    await expectStored(repo, blob);
  });

  it('retries 503 on starting an upload and on HEAD', async () => {
    const repo = uniqueRepo('fault-503');
    const blob = randomBlob(64 * 1024);
    proxy.failNext({ method: 'HEAD', status: 503, count: 2 });
    proxy.failNext({ method: 'POST', path: UPLOAD_START, status: 503, count: 3 });
    expect(await client.pushBlob(repo, blob.descriptor, bufferBlobSource(blob.bytes))).toBe('uploaded');
    expect(proxy.count('POST', UPLOAD_START)).toBe(4);
    await expectStored(repo, blob);
  });

  it('waits as long as Retry-After says on 429 (seconds and HTTP date)', async () => {
    const repo = uniqueRepo('fault-429');
    const image = platformImage('amd64');
    await client.pushBlob(repo, image.config.descriptor, bufferBlobSource(image.config.bytes));
    await client.pushBlob(repo, image.layer.descriptor, bufferBlobSource(image.layer.bytes));
    proxy.failNext({ method: 'PUT', path: /\/manifests\//, status: 429, retryAfter: '1' });
    // The wait the client chose (its log), not a stopwatch: elapsed time measures the machine too.
    const waits = () => log.flatMap((line) => /waiting (\d+) ms/.exec(line)?.[1] ?? []).map(Number);
    await client.putManifest(repo, 'v1', image.manifest, image.mediaType);
    expect(proxy.count('PUT', /\/manifests\//)).toBe(2);
    expect(waits()).toEqual([1000]);

    // An HTTP date two seconds ahead (whole seconds: it is at least ~1 s away).
    log.length = 0;
    proxy.failNext({ method: 'GET', path: /\/manifests\//, status: 429, retryAfter: new Date(Date.now() + 2000).toUTCString() });
    expect((await client.getManifest(repo, 'v1')).mediaType).toBe(MEDIA_TYPE.ociManifest);
    expect(waits()).toHaveLength(1);
    expect(waits()[0]).toBeGreaterThanOrEqual(900);

    // A Retry-After beyond the cap is cut down to it.
    log.length = 0;
    const capped = make({ maxRetryAfterMs: 100 });
    proxy.failNext({ method: 'GET', path: /\/manifests\//, status: 429, retryAfter: '3600' });
    expect((await capped.getManifest(repo, 'v1')).mediaType).toBe(MEDIA_TYPE.ociManifest);
    expect(waits()).toEqual([100]);
  });

  it('starts a monolithic upload over when the connection drops mid-body', async () => {
    const repo = uniqueRepo('fault-drop');
    const blob = randomBlob(4 * MiB);
    proxy.dropUpload({ method: 'PUT', path: UPLOAD_PUT, afterBytes: MiB, count: 2 });
    expect(await client.pushBlob(repo, blob.descriptor, bufferBlobSource(blob.bytes), { mode: 'monolithic' })).toBe('uploaded');
    expect(proxy.requests.filter((r) => r.outcome === 'dropped')).toHaveLength(2);
    expect(proxy.count('PUT', UPLOAD_PUT)).toBe(3);
    await expectStored(repo, blob);
  });

  it('recovers a chunked upload when a chunk is dropped mid-body or answered 500', async () => {
    const repo = uniqueRepo('fault-chunk');
    const blob = randomBlob(4 * MiB + 5);
    proxy.dropUpload({ method: 'PATCH', afterBytes: MiB / 2, count: 1 });
    proxy.failNext({ method: 'PATCH', status: 500, count: 1 });
    expect(await client.pushBlob(repo, blob.descriptor, bufferBlobSource(blob.bytes), { mode: 'chunked' })).toBe('uploaded');
    expect(proxy.requests.filter((r) => r.outcome === 'dropped')).toHaveLength(1);
    // The registry drops a session whose chunk was cut short: the client starts over.
    expect(log.some((line) => /lost; starting over/.test(line))).toBe(true);
    await expectStored(repo, blob);
  });

  it('resumes a chunked upload at the offset the registry reports', async () => {
    const repo = uniqueRepo('fault-resume');
    const blob = randomBlob(4 * MiB);
    proxy.failNext({ method: 'PATCH', status: 503, skip: 2, count: 2 });
    expect(await client.pushBlob(repo, blob.descriptor, bufferBlobSource(blob.bytes), { mode: 'chunked' })).toBe('uploaded');
    expect(log.filter((line) => line.includes(`resuming ${blob.descriptor.digest} at ${2 * MiB}`))).toHaveLength(2);
    expect(proxy.count('POST', UPLOAD_START)).toBe(1);
    expect(proxy.count('PATCH')).toBe(6);
    await expectStored(repo, blob);
  });

  it('retries a request that times out', async () => {
    const repo = uniqueRepo('fault-slow');
    const blob = randomBlob(1024);
    await client.pushBlob(repo, blob.descriptor, bufferBlobSource(blob.bytes));
    const impatient = make({ timeoutMs: 300 });
    proxy.reset();
    proxy.delay({ method: 'HEAD', ms: 1000, count: 1 });
    expect(await impatient.hasBlob(repo, blob.descriptor.digest)).toBe(true);
    expect(proxy.count('HEAD')).toBe(2);
    expect(log.some((line) => /ETIMEDOUT/.test(line))).toBe(true);
  });

  it('ends a persistent 500 in one clear error', async () => {
    const repo = uniqueRepo('fault-persistent');
    const image = platformImage('arm64');
    await client.pushBlob(repo, image.config.descriptor, bufferBlobSource(image.config.bytes));
    await client.pushBlob(repo, image.layer.descriptor, bufferBlobSource(image.layer.bytes));
    proxy.failNext({ method: 'PUT', path: /\/manifests\//, status: 500, count: 1000 });
    const error = await client.putManifest(repo, 'v1', image.manifest, image.mediaType).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    const failure = error as RegistryError;
    expect(failure.exitCode).toBe(1);
    expect(failure.message).toBe(`registry ${proxy.address} answered 500 Internal Server Error to push manifest ${repo}:v1 after 5 attempts`);
    expect(failure.detail).toContain('injected 500');
    expect(proxy.count('PUT', /\/manifests\//)).toBe(5);

    proxy.reset();
    proxy.failNext({ method: 'PUT', path: UPLOAD_PUT, status: 500, count: 1000 });
    const blob = randomBlob(1024);
    const upload = await client.pushBlob(repo, blob.descriptor, bufferBlobSource(blob.bytes)).catch((e: unknown) => e);
    expect(upload).toBeInstanceOf(RegistryError);
    expect((upload as RegistryError).message).toMatch(/answered 500 Internal Server Error to push blob sha256:[0-9a-f]{12} to .* after 5 attempts/);
    expect(proxy.count('PUT', UPLOAD_PUT)).toBe(5);
  });

  it('says when no registry is running at the address', async () => {
    const port = await freePort();
    const nowhere = new RegistryClient(`127.0.0.1:${port}`, { retryBaseDelayMs: 5, maxAttempts: 2 });
    const error = await nowhere.hasBlob('mesh/pilot', sha256(Buffer.from('x'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toContain(
      `cannot reach registry 127.0.0.1:${port}: connection refused, so no registry is running at that address`,
    );
    expect((error as RegistryError).hint).toContain('scripts/env-up');
    expect((error as RegistryError).exitCode).toBe(1);
  });

  it('shares one concurrency limit among the clients of a host', async () => {
    const repo = uniqueRepo('limit');
    const blobs = Array.from({ length: 6 }, () => randomBlob(16 * 1024));
    // Held long enough that, without a shared limit, all six would reach the proxy before one returns.
    proxy.delay({ method: 'HEAD', ms: 150, count: 6 });
    // At each answer (logged before its slot is given back): how many HEADs the proxy had seen.
    const arrivedAtAnswer: number[] = [];
    const debug = (line: string) => {
      log.push(line);
      if (/^HEAD \S+ -> \d+/.test(line)) arrivedAtAnswer.push(proxy.count('HEAD'));
    };
    const a = make({ maxConcurrentRequests: 2, debug });
    const b = make({ maxConcurrentRequests: 2, debug });
    await Promise.all(blobs.map((blob, i) => (i % 2 === 0 ? a : b).hasBlob(repo, blob.descriptor.digest)));
    expect(arrivedAtAnswer).toHaveLength(6);
    // Two in flight at most across both clients: by the i-th answer (from 0), at most i + 2 had arrived.
    arrivedAtAnswer.forEach((arrived, i) => expect(arrived, `HEADs seen by answer ${i + 1}: ${arrivedAtAnswer.join(', ')}`).toBeLessThanOrEqual(i + 2));
    make({ maxConcurrentRequests: 8 });
  });
});
