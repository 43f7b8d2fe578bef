import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GROW_AFTER } from '../../../src/registry/concurrency-limiter.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { localRegistry } from '../../support/registry.js';
import { randomBlob, uniqueRepo } from './fixtures.js';

describe('the host limit follows how the registry copes', () => {
  let proxy: FaultProxy;

  beforeAll(async () => {
    proxy = await startFaultProxy(await localRegistry());
  });

  afterAll(async () => {
    await proxy?.close();
  });

  it('halves on 429 and 503 and grows back by one per run of successes, up to --registry-concurrency', async () => {
    const client = new RegistryClient(proxy.address, { maxConcurrentRequests: 4, retryBaseDelayMs: 5 });
    const repo = uniqueRepo('adaptive');
    const digest = randomBlob(16).descriptor.digest;
    proxy.failNext({ method: 'HEAD', status: 429, retryAfter: '0' });
    expect(await client.hasBlob(repo, digest)).toBe(false);
    expect(client.limiter.limit).toBe(2);
    proxy.failNext({ method: 'HEAD', status: 503 });
    expect(await client.hasBlob(repo, digest)).toBe(false);
    expect(client.limiter.limit).toBe(1);
    for (let i = 0; i < 3 * DEFAULT_GROW_AFTER; i += 1) await client.hasBlob(repo, digest);
    expect(client.limiter.limit).toBe(4);
    expect(client.limiter.maxLimit).toBe(4);
  });
});
