/**
 * CI fan-out end to end: two shard processes (amd64, arm64) push by digest and write reports;
 * merge joins them into one index per image with both platforms and tags them all; a merge that
 * lacks a shard names what is missing and leaves the tag absent. The merged index carries the
 * metadata annotations the shards' own indexes agree on.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseReport, type RunReport } from '../../../src/report/json-report.js';
import { runCli, runSpawnedCli } from '../../support/cli.js';
import { getManifest, listTags, OCI_INDEX, uniqueNamespace } from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';
import { ALL_IMAGES, expectExit, indexEntries, repositoryOf, useTempDirs } from './fixtures.js';

const tempDir = useTempDirs('merge');

describe('matrix -> shards -> merge', () => {
  let registry: string;
  let namespace: string;
  let hub: string;
  let work: string;
  const shards: Record<string, string> = {};
  const reports: Record<string, RunReport> = {};

  beforeAll(async () => {
    registry = await localRegistry();
    namespace = uniqueNamespace('merge');
    hub = `${registry}/${namespace}`;
    work = await tempDir();
    const matrix = await runCli(['matrix', '--platforms', 'amd64,arm64']);
    expectExit(matrix, 0, 'matrix');
    const jobs = (JSON.parse(matrix.stdout) as { include: Array<{ platforms: string; shard: string; target: string }> }).include;
    expect(jobs.map((j) => j.shard)).toEqual(['amd64', 'arm64']);
    // One process per matrix job, at the same time, as two runners would.
    const results = await Promise.all(
      jobs.map((job) => {
        shards[job.shard] = path.join(work, `shard-${job.shard}.json`);
        return runSpawnedCli([
          'build',
          job.target,
          '--platforms',
          job.platforms,
          '--hub',
          hub,
          '--push-by-digest',
          '--builder',
          'native',
          '--tag',
          'ci-build',
          '--report',
          shards[job.shard]!,
          '--out',
          path.join(work, `out-${job.shard}`),
        ]);
      }),
    );
    for (const [i, result] of results.entries()) expectExit(result, 0, `shard ${jobs[i]!.shard}`);
    for (const [shard, file] of Object.entries(shards)) reports[shard] = parseReport(await readFile(file, 'utf8'), file);
  }, 600_000);

  it('the shards pushed by digest only: no tag anywhere', async () => {
    for (const image of ALL_IMAGES) expect(await listTags(registry, repositoryOf(namespace, image)), image).toEqual([]);
    expect(reports.arm64!.images.map((i) => i.image).sort()).toEqual(ALL_IMAGES);
  });

  it('a merge without the arm64 shard fails naming each image x platform, and writes no tag', async () => {
    const result = await runCli(['merge', shards.amd64!, '--tag', 'partial', '--platforms', 'amd64,arm64']);
    expectExit(result, 1, 'merge with one shard');
    expect(result.stderr).toContain(`error: ${ALL_IMAGES.length} image x platform x hub missing from the shards; no tag was written`);
    for (const image of ALL_IMAGES) expect(result.stderr).toContain(`| ${image} x linux/arm64 x ${hub}: in no shard`);
    for (const image of ALL_IMAGES) expect(await listTags(registry, repositoryOf(namespace, image)), image).not.toContain('partial');
  });

  it('merging both shards gives one index per image with both platforms, under every tag', async () => {
    const result = await runCli(['merge', shards.amd64!, shards.arm64!, '--tag', '1.0.0,stable', '--report', path.join(work, 'merged.json')]);
    expectExit(result, 0, 'merge');
    expect(result.stdout).toContain(`merged ${ALL_IMAGES.length} images from 2 shards: ${ALL_IMAGES.length * 2} tags written, 0 already in place`);
    for (const image of ALL_IMAGES) {
      const repository = repositoryOf(namespace, image);
      expect((await listTags(registry, repository)).sort(), image).toEqual(['1.0.0', 'stable']);
      const entries = await indexEntries(registry, repository, '1.0.0');
      const fromShard = (shard: string) => reports[shard]!.images.find((i) => i.image === image)!.platforms[0]!.digest;
      expect(entries, image).toEqual([
        { platform: 'linux/amd64', digest: fromShard('amd64') },
        { platform: 'linux/arm64', digest: fromShard('arm64') },
      ]);
      expect(await indexEntries(registry, repository, 'stable')).toEqual(entries);
    }
    for (const image of ALL_IMAGES) {
      const repository = repositoryOf(namespace, image);
      const annotations = (await getManifest(registry, repository, '1.0.0', OCI_INDEX)).json.annotations as Record<string, string> | undefined;
      const shardIndex = (shard: string) => reports[shard]!.images.find((i) => i.image === image)!.digest;
      const own = (await getManifest(registry, repository, shardIndex('amd64'), OCI_INDEX)).json.annotations as Record<string, string>;
      expect(annotations, image).toMatchObject({
        'org.opencontainers.image.title': image,
        'org.opencontainers.image.version': 'ci-build',
        'org.opencontainers.image.revision': own['org.opencontainers.image.revision'],
        'org.opencontainers.image.created': own['org.opencontainers.image.created'],
      });
      expect(annotations?.['org.opencontainers.image.revision'], image).toMatch(/^[0-9a-f]{40}$/);
      // Each shard built the base for its own platform only: their base digests differ, and none is kept.
      expect(annotations, image).not.toHaveProperty('org.opencontainers.image.base.digest');
    }
    const merged = parseReport(await readFile(path.join(work, 'merged.json'), 'utf8'), 'merged.json');
    expect(merged.images.find((i) => i.image === 'pilot')?.refs.sort()).toEqual([`${hub}/pilot:1.0.0`, `${hub}/pilot:stable`]);

    const again = await runCli(['merge', shards.arm64!, shards.amd64!, '--tag', '1.0.0,stable']);
    expectExit(again, 0, 'the same merge again');
    expect(again.stdout, 'shard order does not change the index').toContain(`0 tags written, ${ALL_IMAGES.length * 2} already in place`);
  });

  it('a report of another schema version is refused (exit 2)', async () => {
    const file = path.join(work, 'future.json');
    const text = (await readFile(shards.amd64!, 'utf8')).replace('"schemaVersion": 1', '"schemaVersion": 99');
    await writeFile(file, text);
    const result = await runCli(['merge', file, shards.arm64!, '--tag', 'x']);
    expectExit(result, 2, 'merge of a future report');
    expect(result.stderr).toMatch(/has report schema version 99; this meshbuild reads version 1/);
  });
});
