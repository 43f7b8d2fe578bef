/** merge's pure half: grouping shard reports, naming what is missing, and the index it builds. */
import { describe, expect, it } from 'vitest';
import { parsePlatformList } from '../../../src/platform.js';
import { checkShards, indexForGroup, type ShardFile } from '../../../src/release/merge.js';
import { commonAnnotations } from '../../../src/release/merged-annotations.js';
import type { ReportedImage, ReportedJob, RunReport } from '../../../src/report/json-report.js';

const HUB = '127.0.0.1:5555/mesh';
const digest = (seed: string) => `sha256:${seed.repeat(64).slice(0, 64)}`;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function image(name: string, platform: string, seed: string, variant = 'default', hub = HUB): ReportedImage {
  return {
    image: name,
    variant,
    repository: `${hub}/${name}`,
    refs: [],
    digest: digest(`f${seed}`),
    mediaType: 'application/vnd.oci.image.index.v1+json',
    size: 300,
    platforms: [{ platform, digest: digest(seed), size: 500, mediaType: MANIFEST }],
  };
}

function shard(file: string, images: ReportedImage[], jobs: ReportedJob[] = [], hubs = [HUB]): ShardFile {
  const report: RunReport = {
    schemaVersion: 1,
    tool: 'meshbuild',
    version: 'abc',
    platforms: [],
    hubs,
    tags: ['abc'],
    startedAt: '',
    finishedAt: '',
    durationMs: 0,
    ok: true,
    jobs: [...images.map((i): ReportedJob => ({ id: `image:${i.image}`, kind: 'image-build', title: i.image, status: 'succeeded' })), ...jobs],
    images,
  };
  return { file, report };
}

const both = parsePlatformList('amd64,arm64');

describe('checkShards', () => {
  it('groups two platform shards into one group per image with both platforms', () => {
    const check = checkShards(
      [
        shard('shard-amd64.json', [image('pilot', 'linux/amd64', '1'), image('base', 'linux/amd64', '2')]),
        shard('shard-arm64.json', [image('pilot', 'linux/arm64', '3'), image('base', 'linux/arm64', '4')]),
      ],
      [],
      both,
    );
    expect(check.missing).toEqual([]);
    expect(check.conflicts).toEqual([]);
    expect(check.groups.map((g) => [g.image, g.repository, [...g.platforms.keys()]])).toEqual([
      ['pilot', `${HUB}/pilot`, ['linux/amd64', 'linux/arm64']],
      ['base', `${HUB}/base`, ['linux/amd64', 'linux/arm64']],
    ]);
  });

  it('names every image x platform x hub that no shard has', () => {
    const check = checkShards([shard('shard-amd64.json', [image('pilot', 'linux/amd64', '1'), image('app', 'linux/amd64', '2')])], [], both);
    expect(check.missing).toEqual([`pilot x linux/arm64 x ${HUB}: in no shard`, `app x linux/arm64 x ${HUB}: in no shard`]);
  });

  it('names an image whose job failed in every shard, with why', () => {
    const failed: ReportedJob = { id: 'image:proxyv2', kind: 'image-build', title: 'proxyv2', status: 'failed', error: { message: 'registry said 500' } };
    const check = checkShards(
      [shard('a.json', [image('pilot', 'linux/amd64', '1')], [failed]), shard('b.json', [image('pilot', 'linux/arm64', '2')])],
      [],
      both,
    );
    expect(check.missing).toEqual([`proxyv2 x linux/amd64, linux/arm64 x ${HUB}: in no shard (a.json: failed: registry said 500)`]);
  });

  it('takes the same manifest from two shards once, and reports two different ones', () => {
    const same = checkShards(
      [shard('a.json', [image('pilot', 'linux/amd64', '1')]), shard('b.json', [image('pilot', 'linux/amd64', '1'), image('pilot', 'linux/arm64', '2')])],
      [],
      both,
    );
    expect(same.conflicts).toEqual([]);
    expect(same.missing).toEqual([]);
    const different = checkShards(
      [shard('a.json', [image('pilot', 'linux/amd64', '1')]), shard('b.json', [image('pilot', 'linux/amd64', '9'), image('pilot', 'linux/arm64', '2')])],
      [],
      both,
    );
    expect(different.conflicts).toEqual([`pilot in ${HUB}/pilot linux/amd64: a.json has ${digest('1')}, b.json has ${digest('9')}`]);
  });

  it('checks only the hubs asked for, and each of them', () => {
    const other = '127.0.0.1:5555/other';
    const shards = [
      shard('a.json', [image('pilot', 'linux/amd64', '1'), image('pilot', 'linux/amd64', '1', 'default', other)], [], [HUB, other]),
      shard('b.json', [image('pilot', 'linux/arm64', '2')]),
    ];
    expect(checkShards(shards, [HUB], both).missing).toEqual([]);
    expect(checkShards(shards, [HUB], both).groups.map((g) => g.repository)).toEqual([`${HUB}/pilot`]);
    expect(checkShards(shards, [], both).missing).toEqual([`pilot x linux/arm64 x ${other}: in no shard`]);
  });

  it('keeps variants apart', () => {
    const check = checkShards(
      [
        shard('a.json', [image('pilot', 'linux/amd64', '1'), image('pilot', 'linux/amd64', '5', 'distroless')]),
        shard('b.json', [image('pilot', 'linux/arm64', '2')]),
      ],
      [],
      both,
    );
    expect(check.missing).toEqual([`pilot [distroless] x linux/arm64 x ${HUB}: in no shard`]);
  });
});

describe('indexForGroup', () => {
  it('lists the requested platforms first, in their order, then others sorted; the same bytes whatever the shard order', () => {
    const shards = [
      shard('c.json', [image('pilot', 'linux/arm/v7', '7')]),
      shard('b.json', [image('pilot', 'linux/arm64', '3')]),
      shard('a.json', [image('pilot', 'linux/amd64', '1')]),
    ];
    const [group] = checkShards(shards, [], both).groups;
    const index = indexForGroup(group!, both);
    expect(index.value.manifests.map((m) => [m.platform, m.digest])).toEqual([
      [{ architecture: 'amd64', os: 'linux' }, digest('1')],
      [{ architecture: 'arm64', os: 'linux' }, digest('3')],
      [{ architecture: 'arm', os: 'linux', variant: 'v7' }, digest('7')],
    ]);
    const [reversed] = checkShards([...shards].reverse(), [], both).groups;
    expect(indexForGroup(reversed!, both).descriptor.digest).toBe(index.descriptor.digest);
  });
});

describe('merged index annotations', () => {
  it('keeps what every shard index says alike, drops what they differ on', () => {
    const title = 'org.opencontainers.image.title';
    const base = 'org.opencontainers.image.base.digest';
    expect(
      commonAnnotations([
        { [title]: 'pilot', [base]: digest('1') },
        { [title]: 'pilot', [base]: digest('2') },
      ]),
    ).toEqual({ [title]: 'pilot' });
    expect(commonAnnotations([])).toEqual({});
  });

  it('checkShards keeps each shard index digest; indexForGroup writes the annotations', () => {
    const [group] = checkShards(
      [shard('a.json', [image('pilot', 'linux/amd64', '1')]), shard('b.json', [image('pilot', 'linux/arm64', '2')])],
      [],
      both,
    ).groups;
    expect(group!.shardIndexes).toEqual([digest('f1'), digest('f2')]);
    expect(indexForGroup(group!, both, { a: 'b' }).value.annotations).toEqual({ a: 'b' });
    expect(indexForGroup(group!, both, {}).value.annotations).toBeUndefined();
  });
});
