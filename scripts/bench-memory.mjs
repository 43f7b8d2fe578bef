#!/usr/bin/env node
/**
 * How much memory streaming takes, on this machine (figures, not pass/fail; they were test
 * assertions once, which timed out under load and measured the machine as much as the code):
 *
 *   (a) buildLayer on a 50 MiB incompressible file: peak RSS growth while the gzip'd layer is written
 *   (b) pushing a 64 MiB blob from a file to $MESHBUILD_REGISTRY, monolithic and chunked (16 MiB)
 *   (c) reading that blob back as a stream
 *
 * Each figure is the peak above the start of RSS and of live Buffer memory (arrayBuffers), sampled
 * every 20 ms after a full garbage collection (so memory held on to counts, garbage V8 has not
 * collected yet does not). The baseline in the same run is the size of the data: a step that
 * buffered its input whole would show a ratio of 1.0 or more; streaming shows a small fraction.
 * (b) and (c) need the registry (eval "$(scripts/env-up | tail -n 1)"); --layer-only skips them.
 */
import { benchmark, root } from './bench-support.mjs';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const { fail, log, ensureDist } = benchmark('bench-memory');
const MiB = 1024 * 1024;
const layerOnly = process.argv.includes('--layer-only');

setFlagsFromString('--expose-gc');
/** V8's full collection, reachable without restarting Node with --expose-gc. */
const collectGarbage = runInNewContext('gc');

/** Runs `task` sampling memory; returns the peaks above the start, in bytes. */
async function memoryGrowth(task) {
  collectGarbage();
  const start = process.memoryUsage();
  const peak = { rss: start.rss, arrayBuffers: start.arrayBuffers };
  const sample = () => {
    const now = process.memoryUsage();
    peak.rss = Math.max(peak.rss, now.rss);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, now.arrayBuffers);
  };
  const timer = setInterval(() => {
    collectGarbage();
    sample();
  }, 20);
  try {
    await task();
  } finally {
    clearInterval(timer);
  }
  sample();
  return { rss: peak.rss - start.rss, arrayBuffers: peak.arrayBuffers - start.arrayBuffers };
}

/** Writes `size` random bytes to `file` a MiB at a time (never whole in memory); returns its sha256 digest. */
async function writeRandomFile(file, size) {
  const hash = createHash('sha256');
  const handle = await open(file, 'w');
  for (let offset = 0; offset < size; offset += MiB) {
    const chunk = randomBytes(MiB);
    hash.update(chunk);
    await handle.write(chunk);
  }
  await handle.close();
  return `sha256:${hash.digest('hex')}`;
}

const dist = (file) => import(pathToFileURL(path.join(root, 'dist', file)).href);
const rows = [];
const record = (name, dataSize, growth) => rows.push({ name, dataSize, ...growth });

await ensureDist();
const { buildLayer } = await dist('oci/layer.js');
const work = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-bench-memory-'));
try {
  // (a) a layer from a 50 MiB file, after a warm-up so zlib's one-time allocations are not counted.
  const big = path.join(work, 'envoy');
  await writeRandomFile(big, 50 * MiB);
  await buildLayer([{ type: 'file', path: 'warm-up', content: randomBytes(4 * MiB) }], path.join(work, 'warm-up.tgz'));
  log('building a layer from a 50 MiB file');
  record(
    'buildLayer, 50 MiB file',
    50 * MiB,
    await memoryGrowth(() => buildLayer([{ type: 'file', path: 'usr/local/bin/envoy', source: big }], path.join(work, 'layer.tgz'))),
  );

  if (!layerOnly) {
    const registry = process.env.MESHBUILD_REGISTRY;
    if (!registry) fail('MESHBUILD_REGISTRY is not set: run eval "$(scripts/env-up | tail -n 1)" (or pass --layer-only)');
    const { RegistryClient } = await dist('registry/client.js');
    const { bufferBlobSource, fileBlobSource } = await dist('registry/blob-source.js');
    const { MEDIA_TYPE } = await dist('oci/media-types.js');
    const client = new RegistryClient(registry, { chunkSize: 16 * MiB });
    const file = path.join(work, 'layer.bin');
    const descriptor = { mediaType: MEDIA_TYPE.ociLayerGzip, size: 64 * MiB, digest: await writeRandomFile(file, 64 * MiB) };
    const repo = (label) => `meshbuild-bench/memory-${label}-${randomBytes(4).toString('hex')}`;
    const warm = randomBytes(MiB);
    await client.pushBlob(
      repo('warm'),
      { mediaType: MEDIA_TYPE.ociLayerGzip, size: MiB, digest: `sha256:${createHash('sha256').update(warm).digest('hex')}` },
      bufferBlobSource(warm),
    );
    for (const mode of ['monolithic', 'chunked']) {
      log(`pushing a 64 MiB blob (${mode})`);
      const target = repo(mode);
      record(`push 64 MiB blob, ${mode}`, descriptor.size, await memoryGrowth(() => client.pushBlob(target, descriptor, fileBlobSource(file), { mode })));
      if (!(await client.hasBlob(target, descriptor.digest))) fail(`the ${mode} push did not store ${descriptor.digest}`);
    }
    const readRepo = repo('read');
    await client.pushBlob(readRepo, descriptor, fileBlobSource(file));
    log('reading the 64 MiB blob back');
    let bytes = 0;
    record(
      'read 64 MiB blob as a stream',
      descriptor.size,
      await memoryGrowth(async () => {
        for await (const chunk of await client.getBlob(readRepo, descriptor.digest)) bytes += chunk.length;
      }),
    );
    if (bytes !== descriptor.size) fail(`read ${bytes} bytes of ${descriptor.size}`);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;
console.log('step                               data       rss growth   ratio   buffers growth   ratio');
for (const row of rows) {
  console.log(
    `${row.name.padEnd(34)} ${mib(row.dataSize).padStart(9)}  ${mib(row.rss).padStart(11)}  ${(row.rss / row.dataSize).toFixed(2).padStart(6)}  ${mib(row.arrayBuffers).padStart(15)}  ${(row.arrayBuffers / row.dataSize).toFixed(2).padStart(6)}`,
  );
}
console.log('(ratio: growth / data size; 1.0 or more means the data was held whole)');
