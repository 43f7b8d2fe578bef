/**
 * The buildx bake definition generated from a plan (pure): one target per image, or per image and
 * platform for a builder of several nodes, each base of the run linked as `target:<its target>`
 * under its name and the reference it stands for; and the plan the scheduler runs with a session.
 */
import { describe, expect, it } from 'vitest';
import { bakeArgs, bakeDefinition, bakeTargetName, type BakeImage } from '../../../src/image/bake-definition.js';
import { buildxSessionJobs, withSessionNeeds } from '../../../src/image/buildx-session-plan.js';
import { createPlan } from '../../../src/plan/plan.js';
import type { ImageBuildJob } from '../../../src/plan/types.js';
import { loadShippedGraph, planRequest } from './shipped-graph.js';

const plan = createPlan(loadShippedGraph(), planRequest({ targets: ['pilot', 'istioctl'], builder: 'buildx' }));
const jobs = buildxSessionJobs(plan);
const images = (extra: Partial<BakeImage> = {}): BakeImage[] =>
  jobs.map((job) => ({ job, contextDir: job.contextDir, contexts: {}, outputDir: `/out/.tmp/${job.image}`, ...extra }));
const job = (id: string) => jobs.find((j) => j.id === id)!;

describe('bake definition from a plan', () => {
  it('has one target per image, bases first, each with its context, Dockerfile, platforms, args and OCI-layout output', () => {
    const { file, targets } = bakeDefinition(images(), { perPlatform: false });
    expect(file.group.default.targets).toEqual(['base', 'distroless', 'pilot', 'istioctl']);
    expect(targets.map((t) => [t.name, t.jobId, t.bases])).toEqual([
      ['base', 'image:base', []],
      ['distroless', 'image:distroless', []],
      ['pilot', 'image:pilot', ['base', 'distroless']],
      ['istioctl', 'image:istioctl', ['base']],
    ]);
    const pilot = job('image:pilot');
    expect(file.target.pilot).toEqual({
      context: pilot.contextDir,
      dockerfile: pilot.dockerfile,
      platforms: ['linux/amd64', 'linux/arm64'],
      args: pilot.buildArgs,
      // Each base once, by the reference the FROM lines name (bake links only one name per target).
      contexts: {
        'gcr.io/istio-release/base': 'target:base',
        'gcr.io/istio-release/distroless': 'target:distroless',
      },
      labels: pilot.metadata.labels,
      annotations: [
        ...Object.entries(pilot.metadata.indexAnnotations).map(([k, v]) => `index:${k}=${v}`),
        ...Object.entries(pilot.metadata.manifestAnnotations).map(([k, v]) => `manifest:${k}=${v}`),
      ].sort(),
      output: ['type=oci,dest=/out/.tmp/pilot/layout,tar=false,rewrite-timestamp=true,compression=uncompressed'],
    });
    // A base built in the same session has no digest yet: base.name only.
    expect(file.target.pilot!.labels['org.opencontainers.image.base.name']).toBe('base:1.2.3');
    expect(file.target.pilot!.labels).not.toHaveProperty('org.opencontainers.image.base.digest');
    expect(targets.find((t) => t.name === 'pilot')!.layoutDir).toBe('/out/.tmp/pilot/layout');
    expect(file.target.base!.contexts).toBeUndefined();
  });

  it('per platform, each target builds one platform and links the base target of the same platform', () => {
    const { file, targets } = bakeDefinition(images(), { perPlatform: true });
    expect(file.group.default.targets).toEqual([
      'base__linux_amd64',
      'base__linux_arm64',
      'distroless__linux_amd64',
      'distroless__linux_arm64',
      'pilot__linux_amd64',
      'pilot__linux_arm64',
      'istioctl__linux_amd64',
      'istioctl__linux_arm64',
    ]);
    expect(file.target.pilot__linux_arm64!.platforms).toEqual(['linux/arm64']);
    // One platform: buildx refuses index annotations; meshbuild writes them on the index it joins.
    expect(file.target.pilot__linux_arm64!.annotations!.every((a) => a.startsWith('manifest:'))).toBe(true);
    expect(file.target.pilot__linux_arm64!.contexts).toMatchObject({
      'gcr.io/istio-release/base': 'target:base__linux_arm64',
    });
    expect(file.target.pilot__linux_amd64!.output).toEqual([
      'type=oci,dest=/out/.tmp/pilot/layout-0,tar=false,rewrite-timestamp=true,compression=uncompressed',
    ]);
    expect(targets.filter((t) => t.jobId === 'image:pilot').map((t) => t.layoutDir)).toEqual(['/out/.tmp/pilot/layout-0', '/out/.tmp/pilot/layout-1']);
  });

  it('keeps the contexts the job hands in (registry bases, natively built bases) beside the target links', () => {
    const withOwn = images().map((i) =>
      i.job.id === 'image:istioctl' ? { ...i, contexts: { 'docker.io/library/busybox': 'oci-layout:///out/.tmp/b@sha256:aa' } } : i,
    );
    const { file } = bakeDefinition(withOwn, { perPlatform: false });
    expect(file.target.istioctl!.contexts).toEqual({
      'docker.io/library/busybox': 'oci-layout:///out/.tmp/b@sha256:aa',
      'gcr.io/istio-release/base': 'target:base',
    });
  });

  it('a base outside the session is left to the contexts the job hands in', () => {
    const { file } = bakeDefinition(
      images().filter((i) => i.job.id === 'image:istioctl'),
      { perPlatform: false },
    );
    expect(file.target.istioctl!.contexts).toBeUndefined();
  });

  it('--load outputs into the engine under every name, in one target even per platform', () => {
    const { file, targets } = bakeDefinition(images({ loadNames: ['a:1', 'b:1'] }).slice(0, 1), { perPlatform: true });
    expect(file.target.base!.output).toEqual(['type=image,"name=a:1,b:1"']);
    expect(targets[0]!.layoutDir).toBeUndefined();
    // The engine's image store takes labels, not annotations.
    expect(file.target.base!.annotations).toBeUndefined();
    expect(file.target.base!.labels['org.opencontainers.image.title']).toBe('base');
  });

  it('a base that stands for no reference is linked by its name', () => {
    const plain = images().map((i) => ({ ...i, job: { ...i.job, bases: i.job.bases.map(({ name, jobId }) => ({ name, jobId })) } }));
    expect(bakeDefinition(plain, { perPlatform: false }).file.target.istioctl!.contexts).toEqual({ base: 'target:base' });
  });

  it('target names are letters, digits, _ and - (variant jobs included)', () => {
    const variantJob = { ...job('image:pilot'), id: 'image:pilot:distroless' } as ImageBuildJob;
    expect(bakeTargetName(variantJob)).toBe('pilot_distroless');
    expect(bakeTargetName(variantJob, { os: 'linux', architecture: 'arm', variant: 'v7' })).toMatch(/^pilot_distroless__[a-zA-Z0-9_-]+$/);
  });

  it('bake arguments: the file, the metadata file, attestations, rawjson progress, the targets', () => {
    expect(bakeArgs('/t/bake.json', '/t/m.json', ['base', 'pilot'], { attest: false, builderName: 'multi' })).toEqual([
      'buildx',
      'bake',
      '--builder',
      'multi',
      '--file',
      '/t/bake.json',
      '--metadata-file',
      '/t/m.json',
      '--provenance=false',
      '--sbom=false',
      '--progress',
      'rawjson',
      'base',
      'pilot',
    ]);
  });
});

describe('the plan the scheduler runs with a session', () => {
  it('images of the session do not wait for each other; everything else keeps its needs', () => {
    const run = withSessionNeeds(plan, jobs);
    const needs = (id: string) => run.jobs.find((j) => j.id === id)!.needs;
    expect(job('image:pilot').needs).toContain('image:base');
    expect(needs('image:pilot')).toEqual(job('image:pilot').needs.filter((n) => !n.startsWith('image:')));
    const others = run.jobs.filter((j) => j.kind !== 'image-build');
    expect(others.length).toBeGreaterThan(0);
    for (const other of others) expect(other).toBe(plan.jobs.find((j) => j.id === other.id));
    expect(plan.jobs.find((j) => j.id === 'image:pilot')!.needs).toContain('image:base');
  });

  it("an image waits for what its session base waits for (a native base, Go binaries), whose results the base's fingerprint reads", () => {
    const native = { ...job('image:base'), id: 'image:native-root', builder: 'native' as const, needs: ['go:linux_amd64'] };
    const base = { ...job('image:base'), needs: ['image:native-root'] };
    const pilot = job('image:pilot');
    const run = withSessionNeeds({ ...plan, jobs: [native, base, pilot] }, [base, pilot]);
    const needs = (id: string) => run.jobs.find((j) => j.id === id)!.needs;
    expect(needs('image:base')).toEqual(['image:native-root']);
    expect(needs('image:pilot')).toContain('image:native-root');
    expect(needs('image:pilot')).not.toContain('image:base');
    expect(needs('image:native-root')).toEqual(['go:linux_amd64']);
  });
});
