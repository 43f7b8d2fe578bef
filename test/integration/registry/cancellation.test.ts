import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../../src/errors.js';
import { bufferBlobSource } from '../../../src/registry/blob-source.js';
import { RegistryClient, type RegistryClientOptions } from '../../../src/registry/client.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { localRegistry } from '../../support/registry.js';
import { randomBlob, uniqueRepo } from './fixtures.js';

/** Long enough that only an abort ends the wait within the test's timeout. */
const FOREVER_MS = 60_000;

describe('one AbortSignal ends every registry request and wait', () => {
  let proxy: FaultProxy;
  const make = (options: RegistryClientOptions = {}): RegistryClient =>
    new RegistryClient(proxy.address, { retryBaseDelayMs: 20, chunkSize: 16 * 1024, ...options });

  beforeAll(async () => {
    proxy = await startFaultProxy(await localRegistry());
  });

  beforeEach(() => proxy.reset());

  afterAll(async () => {
    await proxy?.close();
  });

  /** Aborts `controller` once the proxy has seen a request matching `method` and `path`. */
  async function abortOnceSeen(controller: AbortController, method: string, path: RegExp, reason?: unknown): Promise<void> {
    while (proxy.count(method, path) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(reason);
  }

  it('a push held up by a slow registry rejects with InterruptedError when the client signal aborts', async () => {
    const controller = new AbortController();
    const client = make({ signal: controller.signal });
    const blob = randomBlob(64 * 1024);
    proxy.delay({ method: 'PUT', ms: FOREVER_MS });
    const push = client.pushBlob(uniqueRepo('abort-put'), blob.descriptor, bufferBlobSource(blob.bytes), { mode: 'monolithic' });
    await abortOnceSeen(controller, 'PUT', /\/blobs\/uploads\//, new InterruptedError('SIGINT'));
    await expect(push).rejects.toBeInstanceOf(InterruptedError);
    await expect(push).rejects.toThrow(/SIGINT/);
  });

  it('a chunked upload stops on an abort of one operation (withSignal), with a plain abort reason', async () => {
    const controller = new AbortController();
    const client = make().withSignal(controller.signal);
    const blob = randomBlob(64 * 1024);
    proxy.delay({ method: 'PATCH', ms: FOREVER_MS });
    const push = client.pushBlob(uniqueRepo('abort-patch'), blob.descriptor, bufferBlobSource(blob.bytes), { mode: 'chunked' });
    await abortOnceSeen(controller, 'PATCH', /\/blobs\/uploads\//);
    await expect(push).rejects.toBeInstanceOf(InterruptedError);
  });

  it('a backoff wait (Retry-After) ends on abort', async () => {
    const controller = new AbortController();
    const client = make({ signal: controller.signal });
    proxy.failNext({ method: 'HEAD', path: /\/blobs\//, status: 429, retryAfter: String(FOREVER_MS / 1000) });
    const probe = client.hasBlob(uniqueRepo('abort-backoff'), randomBlob(16).descriptor.digest);
    await abortOnceSeen(controller, 'HEAD', /\/blobs\//);
    await expect(probe).rejects.toBeInstanceOf(InterruptedError);
    expect(proxy.count('HEAD', /\/blobs\//)).toBe(1);
  });

  it('a wait for a slot of the host limit ends on abort', async () => {
    const client = make({ maxConcurrentRequests: 1 });
    const slot = await client.limiter.acquire(); // the only slot, as if another transfer held it
    const waiter = new AbortController();
    const waiting = client.withSignal(waiter.signal).hasBlob(uniqueRepo('abort-slot'), randomBlob(16).descriptor.digest);
    waiter.abort();
    await expect(waiting).rejects.toBeInstanceOf(InterruptedError);
    expect(proxy.count('HEAD')).toBe(0);
    slot();
    expect(client.limiter.inFlight).toBe(0);
  });

  it('tag operations still run after the client signal aborted (the tag phase puts tags back), an operation signal ends them too', async () => {
    const controller = new AbortController();
    controller.abort(new InterruptedError('SIGTERM'));
    const client = make({ signal: controller.signal });
    const repo = uniqueRepo('abort-tags');
    await expect(client.listTags(repo)).resolves.toEqual([]);
    await expect(client.headManifest(repo, 'v1')).resolves.toBeUndefined();
    const operation = new AbortController();
    operation.abort();
    await expect(client.withSignal(operation.signal).listTags(repo)).rejects.toBeInstanceOf(InterruptedError);
  });

  it('an already aborted signal sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const client = make({ signal: controller.signal });
    await expect(client.hasBlob(uniqueRepo('abort-early'), randomBlob(16).descriptor.digest)).rejects.toBeInstanceOf(InterruptedError);
    await expect(client.getManifest(uniqueRepo('abort-early'), randomBlob(16).descriptor.digest)).rejects.toBeInstanceOf(InterruptedError);
    expect(proxy.requests).toHaveLength(0);
  });
});
