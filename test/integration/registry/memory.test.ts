import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';
import type { Descriptor } from '../../../src/oci/types.js';
import { bufferBlobSource, fileBlobSource } from '../../../src/registry/blob-source.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { localRegistry } from '../../support/registry.js';
import { randomBlob, uniqueRepo } from './fixtures.js';

const MiB = 1024 * 1024;

v8.setFlagsFromString('--expose-gc');
/** A full collection first, so that garbage from setting up does not pad the starting RSS. */
const collectGarbage = vm.runInNewContext('gc') as () => void;

interface Growth {
  /** Peak RSS above the RSS at the start. */
  rss: number;
  /** Peak of live Buffer/ArrayBuffer memory above the start: what RSS shows unless the allocator reuses freed memory. */
  arrayBuffers: number;
}

/**
 * Runs `task` while sampling memory every 50 ms; returns how far the peaks rose above the start.
 * The sampler collects garbage before each sample, so what counts is memory the push holds on to,
 * not chunks already sent and waiting for V8 (which lets up to ~64 MiB of external garbage pile
 * up before collecting on its own). Live Buffer memory is checked besides RSS because the C
 * allocator may serve a big buffer from memory freed earlier in this process, which RSS misses.
 */
async function memoryGrowth(task: () => Promise<void>): Promise<Growth> {
  collectGarbage();
  const start = process.memoryUsage();
  const peak = { rss: start.rss, arrayBuffers: start.arrayBuffers };
  const sample = (): void => {
    const now = process.memoryUsage();
    peak.rss = Math.max(peak.rss, now.rss);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, now.arrayBuffers);
  };
  const timer = setInterval(() => {
    collectGarbage();
    sample();
  }, 50);
  try {
    await task();
  } finally {
    clearInterval(timer);
  }
  sample();
  return { rss: peak.rss - start.rss, arrayBuffers: peak.arrayBuffers - start.arrayBuffers };
}

describe('layers stream with flat memory', () => {
  let client: RegistryClient;
  let tmp: string;
  let file: string;
  let descriptor: Descriptor;

  beforeAll(async () => {
    client = new RegistryClient(await localRegistry(), { chunkSize: 16 * MiB });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-memory-'));
    file = path.join(tmp, 'layer.bin');
    // Made by child processes, so that no 64 MiB of freed buffers sit in this process's heap
    // where a buffering implementation could reuse them unseen.
    await execa('head', ['-c', String(64 * MiB), '/dev/urandom'], { stdout: { file } });
    const { stdout } = await execa('sha256sum', [file]);
    descriptor = { mediaType: MEDIA_TYPE.ociLayerGzip, size: 64 * MiB, digest: `sha256:${stdout.split(' ')[0] ?? ''}` };
    // Warm up code paths and sockets so that what is measured is the streaming itself.
    const warm = randomBlob(MiB);
    await client.pushBlob(uniqueRepo('warm'), warm.descriptor, bufferBlobSource(warm.bytes));
  });

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it.each(['monolithic', 'chunked'] as const)('pushes a 64 MiB blob from a file (%s) with RSS growth far below 64 MiB', async (mode) => {
    const repo = uniqueRepo(`memory-${mode}`);
    const growth = await memoryGrowth(async () => {
      expect(await client.pushBlob(repo, descriptor, fileBlobSource(file), { mode })).toBe('uploaded');
    });
    expect(await client.hasBlob(repo, descriptor.digest)).toBe(true);
    expect(growth.rss).toBeLessThan(24 * MiB);
    expect(growth.arrayBuffers).toBeLessThan(24 * MiB);
  });

  it('reads a 64 MiB blob back as a stream with RSS growth far below 64 MiB', async () => {
    const repo = uniqueRepo('memory-read');
    await client.pushBlob(repo, descriptor, fileBlobSource(file));
    let bytes = 0;
    const growth = await memoryGrowth(async () => {
      for await (const chunk of await client.getBlob(repo, descriptor.digest)) bytes += (chunk as Buffer).length;
    });
    expect(bytes).toBe(descriptor.size);
    // Reads show more: Node frees received socket buffers lazily (after a background sweep),
    // even when every chunk is consumed at once. Still half the blob at most.
    expect(growth.rss).toBeLessThan(32 * MiB);
    expect(growth.arrayBuffers).toBeLessThan(32 * MiB);
  });
});
