import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bufferBlobSource } from '../../../src/registry/blob-source.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { MAX_SESSION_RESTARTS, UploadSessionLostError } from '../../../src/registry/upload-session.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { localRegistry } from '../../support/registry.js';
import { randomBlob, readAll, sha256, uniqueRepo } from './fixtures.js';

const CHUNK = 16 * 1024;
const UPLOAD_STATUS = /\/blobs\/uploads\/./;

describe('a registry that loses chunked upload sessions', () => {
  let proxy: FaultProxy;
  let client: RegistryClient;

  beforeAll(async () => {
    proxy = await startFaultProxy(await localRegistry());
  });

  beforeEach(() => {
    proxy.reset();
    client = new RegistryClient(proxy.address, { retryBaseDelayMs: 5, retryMaxDelayMs: 20, chunkSize: CHUNK });
  });

  afterAll(async () => {
    await proxy?.close();
  });

  /**
   * In each of the next `sessions` sessions the first chunk is taken and the second fails (500);
   * asked where the upload stands, the registry no longer knows it (404), so the client starts over.
   */
  function loseSessions(sessions: number): void {
    for (let i = 0; i < sessions; i += 1) proxy.failNext({ method: 'PATCH', status: 500, skip: 1, count: 1 });
    proxy.failNext({ method: 'GET', path: UPLOAD_STATUS, status: 404, count: Number.POSITIVE_INFINITY });
  }

  it('gives up after a bounded number of restarts with an error naming the blob and registry, though each session made progress', async () => {
    const blob = randomBlob(4 * CHUNK);
    loseSessions(40);
    const push = client.pushBlob(uniqueRepo('session-lost'), blob.descriptor, bufferBlobSource(blob.bytes), { mode: 'chunked' });
    await expect(push).rejects.toBeInstanceOf(UploadSessionLostError);
    await expect(push).rejects.toThrow(blob.descriptor.digest);
    await expect(push).rejects.toThrow(proxy.address);
    expect(proxy.count('POST', /\/blobs\/uploads\/$/)).toBe(MAX_SESSION_RESTARTS + 1);
    expect(proxy.count('PATCH')).toBe(2 * (MAX_SESSION_RESTARTS + 1));
  });

  it('still finishes when the session is lost fewer times than the bound', async () => {
    const repo = uniqueRepo('session-some');
    const blob = randomBlob(4 * CHUNK);
    loseSessions(MAX_SESSION_RESTARTS - 1);
    expect(await client.pushBlob(repo, blob.descriptor, bufferBlobSource(blob.bytes), { mode: 'chunked' })).toBe('uploaded');
    expect(proxy.count('POST', /\/blobs\/uploads\/$/)).toBe(MAX_SESSION_RESTARTS);
    expect(sha256(await readAll(await client.getBlob(repo, blob.descriptor.digest)))).toBe(blob.descriptor.digest);
  });
});
