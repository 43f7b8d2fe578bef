/**
 * Image metadata: remote URLs in https form, --label / --annotation parsing, how defaults and the
 * user's values merge, the base an image's last stage starts from, what the plan carries, and the
 * flags that are refused (--attest with the native builder, an unparsable SOURCE_DATE_EPOCH).
 */
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, MeshbuildError } from '../../../src/errors.js';
import { finalStageOf } from '../../../src/image/final-base.js';
import { parseDockerfile } from '../../../src/image/dockerfile.js';
import { imageMetadata, parseAnnotationFlags, parseLabelFlags, withBaseDigest } from '../../../src/plan/image-metadata.js';
import { createPlan } from '../../../src/plan/plan.js';
import { httpsSourceUrl } from '../../../src/plan/source-url.js';
import type { ImageBuildJob, Plan } from '../../../src/plan/types.js';
import { runCli } from '../../support/cli.js';
import { loadShippedGraph, planRequest } from './shipped-graph.js';

const OCI = 'org.opencontainers.image';
const AMD64 = { os: 'linux', architecture: 'amd64' };
const COMMIT = 'a'.repeat(40);
const DIGEST = `sha256:${'b'.repeat(64)}`;

function usage(run: () => unknown): MeshbuildError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MeshbuildError);
    expect((error as MeshbuildError).exitCode).toBe(EXIT_USAGE);
    return error as MeshbuildError;
  }
  throw new Error('expected a usage error');
}

describe('httpsSourceUrl', () => {
  it.each([
    ['git@github.com:istio/istio.git', 'https://github.com/istio/istio'],
    ['git@github.com:istio/istio', 'https://github.com/istio/istio'],
    ['ssh://git@github.com/istio/istio.git', 'https://github.com/istio/istio'],
    ['ssh://git@gitlab.example.com:2222/group/sub/repo.git', 'https://gitlab.example.com/group/sub/repo'],
    ['git+ssh://git@GitHub.com/istio/istio.git/', 'https://github.com/istio/istio'],
    ['git://github.com/istio/istio.git', 'https://github.com/istio/istio'],
    ['https://github.com/istio/istio.git', 'https://github.com/istio/istio'],
    ['https://user:s3cret@github.com/istio/istio.git', 'https://github.com/istio/istio'],
    ['https://git.example.com:8443/mesh', 'https://git.example.com:8443/mesh'],
    ['http://127.0.0.1:3000/me/mesh.git', 'http://127.0.0.1:3000/me/mesh'],
  ])('%s -> %s', (remote, expected) => {
    expect(httpsSourceUrl(remote)).toBe(expected);
  });

  it.each([undefined, '', '/srv/git/mesh.git', '../mesh', 'file:///srv/git/mesh.git', 'C:\\repos\\mesh', 'https://github.com/'])('none for %s', (remote) => {
    expect(httpsSourceUrl(remote)).toBeUndefined();
  });
});

describe('--label and --annotation', () => {
  it('parse KEY=VALUE; an annotation without a prefix goes on the index and the manifests', () => {
    expect(parseLabelFlags(['a=1', 'org.example/b=x=y', 'empty='])).toEqual({ a: '1', 'org.example/b': 'x=y', empty: '' });
    expect(parseAnnotationFlags(['both=1', 'index:i=2', 'manifest:m=3'])).toEqual({
      indexAnnotations: { both: '1', i: '2' },
      manifestAnnotations: { both: '1', m: '3' },
    });
  });

  it.each([
    ['--label', () => parseLabelFlags(['novalue'])],
    ['--label', () => parseLabelFlags(['=value'])],
    ['--annotation', () => parseAnnotationFlags(['index:'])],
    ['--annotation', () => parseAnnotationFlags(['bad key=1'])],
  ])('a value that is not KEY=VALUE is exit 2 naming %s', (flag, run) => {
    const error = usage(run);
    expect(error.message).toContain(flag);
    expect(error.hint).toContain('KEY=VALUE');
  });
});

describe('imageMetadata', () => {
  const run = { source: 'https://github.com/me/mesh', revision: COMMIT, version: '1.2.3', epoch: 1700000000 };
  const defaults = {
    [`${OCI}.source`]: 'https://github.com/me/mesh',
    [`${OCI}.revision`]: COMMIT,
    [`${OCI}.version`]: '1.2.3',
    [`${OCI}.created`]: '2023-11-14T22:13:20Z',
    [`${OCI}.title`]: 'pilot',
  };

  it('puts source, revision, version, created and title on the index, the manifests and the config', () => {
    const metadata = imageMetadata('pilot', run, undefined, new Set());
    expect(metadata).toEqual({ indexAnnotations: defaults, manifestAnnotations: defaults, labels: defaults });
  });

  it("names the base, blanks the base's description unless the Dockerfile sets its own, and adds base.digest once known", () => {
    const base = { name: 'reg/mesh/base:1.2.3', from: 'gcr.io/istio-release/base:latest' };
    const metadata = imageMetadata('pilot', run, base, new Set());
    expect(metadata.indexAnnotations[`${OCI}.base.name`]).toBe('reg/mesh/base:1.2.3');
    expect(metadata.labels[`${OCI}.description`]).toBe('');
    expect(imageMetadata('pilot', run, base, new Set([`${OCI}.description`])).labels).not.toHaveProperty(`${OCI}.description`);
    const complete = withBaseDigest(metadata, DIGEST);
    for (const record of [complete.indexAnnotations, complete.manifestAnnotations, complete.labels]) expect(record[`${OCI}.base.digest`]).toBe(DIGEST);
    expect(withBaseDigest(imageMetadata('pilot', run, undefined, new Set()), DIGEST).labels).not.toHaveProperty(`${OCI}.base.digest`);
  });

  it('leaves source and revision out without a remote or a commit; the user’s values win', () => {
    const extra = { labels: { [`${OCI}.title`]: 'Pilot' }, indexAnnotations: { 'com.example.team': 'mesh' }, manifestAnnotations: {} };
    const metadata = imageMetadata('pilot', { version: 'dev', epoch: 0, extra }, undefined, new Set());
    expect(metadata.indexAnnotations).toEqual({
      [`${OCI}.version`]: 'dev',
      [`${OCI}.created`]: '1970-01-01T00:00:00Z',
      [`${OCI}.title`]: 'pilot',
      'com.example.team': 'mesh',
    });
    expect(metadata.manifestAnnotations).not.toHaveProperty('com.example.team');
    expect(metadata.labels[`${OCI}.title`]).toBe('Pilot');
  });
});

describe('finalStageOf', () => {
  const parse = (text: string) => parseDockerfile(text, 'Dockerfile');

  it('follows stages to the image the last stage starts from, with build args and TARGETARCH', () => {
    const dockerfile = parse(
      'ARG BASE=debug\nARG REG=gcr.io/istio-release\nFROM ${REG}/base:1 AS debug\nLABEL org.opencontainers.image.description="d"\nFROM ${REG}/distroless-${TARGETARCH}:1 AS distroless\nFROM ${BASE}\nCOPY a /a\n',
    );
    expect(finalStageOf(dockerfile, {}, AMD64)).toEqual({ base: 'gcr.io/istio-release/base:1', labelKeys: new Set([`${OCI}.description`]) });
    expect(finalStageOf(dockerfile, { BASE: 'distroless', REG: 'r' }, AMD64)).toEqual({ base: 'r/distroless-amd64:1', labelKeys: new Set() });
  });

  it('has no base for scratch, and reads both LABEL forms', () => {
    expect(finalStageOf(parse('FROM scratch\nLABEL a=1 "b"="2"\nLABEL old value\n'), {}, AMD64)).toEqual({ labelKeys: new Set(['a', 'b', 'old']) });
  });
});

describe('the plan', () => {
  const graph = loadShippedGraph();
  const imageJob = (plan: Plan, id: string) => plan.jobs.find((j): j is ImageBuildJob => j.kind === 'image-build' && j.id === id)!;
  const origin = { remote: 'git@github.com:me/mesh.git', commit: COMMIT, commitTime: 1700000000 };

  it('carries every image’s metadata, with an in-graph base named by its first reference', () => {
    const plan = createPlan(
      graph,
      planRequest({
        targets: ['pilot'],
        hubs: ['reg.example/mesh'],
        output: { kind: 'registry', tags: true },
        origin,
        extraMetadata: { labels: { team: 'mesh' }, indexAnnotations: {}, manifestAnnotations: {} },
      }),
    );
    expect(plan.sourceDateEpoch).toBe(1700000000);
    const pilot = imageJob(plan, 'image:pilot').metadata;
    expect(pilot.manifestAnnotations).toEqual({
      [`${OCI}.source`]: 'https://github.com/me/mesh',
      [`${OCI}.revision`]: COMMIT,
      [`${OCI}.version`]: '1.2.3',
      [`${OCI}.created`]: '2023-11-14T22:13:20Z',
      [`${OCI}.title`]: 'pilot',
      [`${OCI}.base.name`]: 'reg.example/mesh/base:1.2.3',
    });
    expect(pilot.labels.team).toBe('mesh');
    expect(pilot.base).toEqual({ name: 'reg.example/mesh/base:1.2.3', from: 'gcr.io/istio-release/base:latest' });
    expect(imageJob(plan, 'image:base').metadata.base).toBeUndefined();
  });

  it('takes its time from SOURCE_DATE_EPOCH over the commit time, and 0 with neither', () => {
    expect(createPlan(graph, planRequest({ targets: ['pilot'], origin, sourceDateEpoch: 42 })).sourceDateEpoch).toBe(42);
    const none = createPlan(graph, planRequest({ targets: ['pilot'] }));
    expect(none.sourceDateEpoch).toBe(0);
    expect(imageJob(none, 'image:pilot').metadata.indexAnnotations[`${OCI}.created`]).toBe('1970-01-01T00:00:00Z');
  });

  it('--attest makes auto choose buildx for every image', () => {
    const plan = createPlan(graph, planRequest({ targets: ['pilot'], attest: true }));
    expect(imageJob(plan, 'image:pilot').builder).toBe('buildx');
    expect(imageJob(plan, 'image:pilot').builderReason).toBe('auto: --attest needs buildx');
  });
});

describe('refused flags', () => {
  it('--attest with --builder native is exit 2 naming the flag and buildx', async () => {
    const cli = await runCli(['build', 'pilot', '--builder', 'native', '--attest', '--dry-run', '--tag', '1.0.0']);
    expect(cli.exitCode).toBe(EXIT_USAGE);
    expect(cli.stderr).toContain('--attest');
    expect(cli.stderr).toContain('--builder buildx');
  });

  it('an unparsable SOURCE_DATE_EPOCH is exit 2 naming the variable', async () => {
    const cli = await runCli(['plan', 'pilot', '--tag', '1.0.0'], { env: { SOURCE_DATE_EPOCH: 'yesterday' } });
    expect(cli.exitCode).toBe(EXIT_USAGE);
    expect(cli.stderr).toContain('SOURCE_DATE_EPOCH "yesterday"');
  });

  it('plan --json shows the metadata and the time SOURCE_DATE_EPOCH gives', async () => {
    const cli = await runCli(['plan', 'pilot', '--json', '--tag', '1.0.0', '--label', 'team=mesh', '--annotation', 'index:tier=gold'], {
      env: { SOURCE_DATE_EPOCH: '1700000000' },
    });
    expect(cli.exitCode, cli.stderr).toBe(0);
    const plan = JSON.parse(cli.stdout) as Plan;
    expect(plan.sourceDateEpoch).toBe(1700000000);
    const pilot = imageJob(plan);
    expect(pilot.metadata.labels).toMatchObject({ team: 'mesh', [`${OCI}.title`]: 'pilot', [`${OCI}.created`]: '2023-11-14T22:13:20Z' });
    expect(pilot.metadata.indexAnnotations.tier).toBe('gold');
    expect(pilot.metadata.manifestAnnotations).not.toHaveProperty('tier');
  });

  function imageJob(plan: Plan): ImageBuildJob {
    return plan.jobs.find((j): j is ImageBuildJob => j.kind === 'image-build' && j.image === 'pilot')!;
  }
});
