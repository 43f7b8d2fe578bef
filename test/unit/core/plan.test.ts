/**
 * The planner is a pure function: these tests build the graph once (shipped targets + the
 * sample's overlay) and call createPlan with different requests, all in memory.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, MeshbuildError } from '../../../src/errors.js';
import { createPlan } from '../../../src/plan/plan.js';
import { formatPlatform, parsePlatformList, platformDirName } from '../../../src/platform.js';
import type { FetchJob, GoBuildJob, ImageBuildJob, ImageOutput, Job, Plan } from '../../../src/plan/types.js';
import { runCli } from '../../support/cli.js';
import { istioLikeCheckout } from '../../support/istio-checkout.js';
import { SHIPPED_TARGETS, loadShippedGraph, planRequest } from './shipped-graph.js';

const graph = loadShippedGraph();
const OUT = '/work/out';
const REGISTRY = { kind: 'registry', tags: true } as ImageOutput;
/** The sample's binaries by Istio's tag sets (the sample's Envoy stand-in builds with the agent's). */
const STANDARD_BINARIES = ['client', 'extauthz', 'istioctl', 'pilot-discovery', 'server'];
const AGENT_BINARIES = ['envoy', 'install-cni', 'istio-cni', 'pilot-agent', 'ztunnel'];

const goJobs = (plan: Plan) => plan.jobs.filter((j): j is GoBuildJob => j.kind === 'go-build');
const imageJobs = (plan: Plan) => plan.jobs.filter((j): j is ImageBuildJob => j.kind === 'image-build');
const job = (plan: Plan, id: string): Job => {
  const found = plan.jobs.find((j) => j.id === id);
  if (!found) throw new Error(`no job ${id} in ${plan.jobs.map((j) => j.id).join(', ')}`);
  return found;
};
const variantRefs = (build: ImageBuildJob) => Object.fromEntries(build.variants.map((v) => [v.variant, v.refs]));

describe('createPlan', () => {
  it('batches go builds: one job per platform and tag set, every binary of the graph in one', () => {
    const plan = createPlan(graph, planRequest());
    const builds = goJobs(plan);
    expect(builds.map((j) => [j.id, j.tags.join(','), j.binaries.map((b) => b.name)])).toEqual([
      ['go:linux_amd64', 'vtprotobuf,disable_pgv', STANDARD_BINARIES],
      ['go:linux_arm64', 'vtprotobuf,disable_pgv', STANDARD_BINARIES],
      ['go:linux_amd64#2', 'agent,disable_pgv,grpcnotrace,retrynotrace', AGENT_BINARIES],
      ['go:linux_arm64#2', 'agent,disable_pgv,grpcnotrace,retrynotrace', AGENT_BINARIES],
    ]);
    for (const build of builds) {
      expect(build.ldflags).toMatch(/^-s -w -X istio\.io\/istio\/pkg\/version\.buildVersion=1\.2\.3 /);
      expect(build.cgo).toBe(false);
      expect(build.sourceDir).toBe(graph.sourceDir);
    }
    expect(plan.jobs.filter((j) => j.kind === 'fetch')).toEqual([]);
  });

  it("runs a platform's go batches one after another (so the second finds the packages they share compiled), platforms side by side", () => {
    const order = goJobs(createPlan(graph, planRequest())).map((j) => [j.id, j.needs, j.after]);
    expect(order).toEqual([
      ['go:linux_amd64', [], undefined],
      ['go:linux_arm64', [], undefined],
      ['go:linux_amd64#2', [], ['go:linux_amd64']],
      ['go:linux_arm64#2', [], ['go:linux_arm64']],
    ]);
  });

  it('puts each binary at out/<os>_<arch>/<name>, with .exe on Windows', () => {
    const plan = createPlan(graph, planRequest({ targets: ['binary:istioctl', 'pilot'], binariesOnly: true, output: null }));
    const outputs = goJobs(plan).flatMap((j) => j.binaries.map((b) => ({ platform: j.platform, ...b })));
    for (const { platform, name, output } of outputs) {
      expect(output).toBe(path.join(OUT, platformDirName(platform), platform.os === 'windows' ? `${name}.exe` : name));
    }
    expect(outputs.map((o) => path.relative(OUT, o.output)).sort()).toEqual([
      'darwin_amd64/istioctl',
      'darwin_arm64/istioctl',
      'linux_amd64/istioctl',
      'linux_amd64/pilot-discovery',
      'linux_arm64/istioctl',
      'linux_arm64/pilot-discovery',
      'windows_amd64/istioctl.exe',
    ]);
  });

  it('image jobs need the go jobs of their binaries and the jobs of their base images', () => {
    const plan = createPlan(graph, planRequest());
    expect(new Set(job(plan, 'image:pilot').needs)).toEqual(new Set(['go:linux_amd64', 'go:linux_arm64', 'image:base', 'image:distroless']));
    expect(job(plan, 'image:base').needs).toEqual([]);
    expect(new Set(job(plan, 'image:app').needs)).toEqual(new Set(['go:linux_amd64', 'go:linux_arm64', 'image:base']));

    const producer = new Map<string, string>();
    for (const build of goJobs(plan)) for (const b of build.binaries) producer.set(b.output, build.id);
    const seen = new Set<string>();
    for (const j of plan.jobs) {
      for (const need of j.needs) expect(seen.has(need), `${j.id} comes after ${need}`).toBe(true);
      seen.add(j.id);
      if (j.kind !== 'image-build') continue;
      for (const entry of j.context.filter((e) => e.root === 'build')) {
        expect(j.needs, `${j.id} needs the job that makes ${entry.from}`).toContain(producer.get(entry.from));
      }
      for (const base of j.bases) expect(j.needs).toContain(base.jobId);
    }
    expect(job(plan, 'publish').needs).toEqual(imageJobs(plan).map((j) => j.id));
  });

  it('--binaries-only plans no image jobs', () => {
    const plan = createPlan(graph, planRequest({ binariesOnly: true, output: REGISTRY, hubs: ['reg.example/mesh'] }));
    expect(plan.jobs.map((j) => j.kind)).toEqual(['go-build', 'go-build', 'go-build', 'go-build']);
    expect(plan.output).toBeNull();
  });

  it('default, debug and distroless: one build for default+debug (same args, tagged twice), one for distroless', () => {
    const plan = createPlan(graph, planRequest({ variants: ['default', 'debug', 'distroless'], hubs: ['reg.example/mesh'], output: REGISTRY }));
    const pilot = imageJobs(plan).filter((j) => j.image === 'pilot');
    expect(pilot.map((j) => j.id)).toEqual(['image:pilot', 'image:pilot:distroless']);
    expect(pilot.map((j) => j.variants.map((v) => v.variant))).toEqual([['default', 'debug'], ['distroless']]);
    expect(pilot.map((j) => j.buildArgs)).toEqual([{ BASE_DISTRIBUTION: 'debug' }, { BASE_DISTRIBUTION: 'distroless' }]);
    expect(variantRefs(pilot[0]!)).toEqual({ default: ['reg.example/mesh/pilot:1.2.3'], debug: ['reg.example/mesh/pilot:1.2.3-debug'] });
    expect(variantRefs(pilot[1]!)).toEqual({ distroless: ['reg.example/mesh/pilot:1.2.3-distroless'] });

    // app's Dockerfile declares no BASE_DISTRIBUTION: all three variants are the same image.
    const app = imageJobs(plan).filter((j) => j.image === 'app');
    expect(app).toHaveLength(1);
    expect(app[0]!.buildArgs).toEqual({});
    expect(variantRefs(app[0]!)).toEqual({
      default: ['reg.example/mesh/app:1.2.3'],
      debug: ['reg.example/mesh/app:1.2.3-debug'],
      distroless: ['reg.example/mesh/app:1.2.3-distroless'],
    });
    // The bases take no build args either: one build each, shared by every variant of pilot.
    expect(
      imageJobs(plan)
        .filter((j) => j.image === 'base')
        .map((j) => j.id),
    ).toEqual(['image:base']);
    const sampleBases = [
      { name: 'base', jobId: 'image:base', reference: 'gcr.io/istio-release/base:latest' },
      { name: 'distroless', jobId: 'image:distroless', reference: 'gcr.io/istio-release/distroless:latest' },
    ];
    expect(pilot.map((j) => j.bases)).toEqual([sampleBases, sampleBases]);
  });

  it('two hubs and two tags give four refs per variant', () => {
    const plan = createPlan(
      graph,
      planRequest({
        targets: ['pilot'],
        variants: ['default', 'distroless'],
        hubs: ['reg.example/mesh', 'mirror.example:5000/istio/'],
        tags: ['1.2.3', 'latest'],
        output: REGISTRY,
      }),
    );
    const pilot = imageJobs(plan).filter((j) => j.image === 'pilot');
    expect(variantRefs(pilot[0]!)).toEqual({
      default: [
        'reg.example/mesh/pilot:1.2.3',
        'reg.example/mesh/pilot:latest',
        'mirror.example:5000/istio/pilot:1.2.3',
        'mirror.example:5000/istio/pilot:latest',
      ],
    });
    expect(variantRefs(pilot[1]!)).toEqual({
      distroless: [
        'reg.example/mesh/pilot:1.2.3-distroless',
        'reg.example/mesh/pilot:latest-distroless',
        'mirror.example:5000/istio/pilot:1.2.3-distroless',
        'mirror.example:5000/istio/pilot:latest-distroless',
      ],
    });
    expect(pilot[0]!.repositories).toEqual(['reg.example/mesh/pilot', 'mirror.example:5000/istio/pilot']);
  });

  it('an unknown variant is a usage error', () => {
    expect(() => createPlan(graph, planRequest({ variants: ['slim'] }))).toThrow(/--variants: no variant named "slim"/);
  });

  it('is deterministic: the same request twice gives deep-equal plans', () => {
    const request = planRequest({
      variants: ['default', 'distroless'],
      hubs: ['reg.example/mesh'],
      output: REGISTRY,
      platforms: parsePlatformList('arm64,amd64,armv7'),
    });
    expect(createPlan(graph, request)).toEqual(createPlan(graph, request));
    expect(createPlan(loadShippedGraph(), request)).toEqual(createPlan(graph, request));
  });

  it('is plain data with schemaVersion 1, through JSON and through `meshbuild plan --json`', async () => {
    const plan = createPlan(graph, planRequest());
    const roundTrip = JSON.parse(JSON.stringify(plan)) as Plan;
    expect(roundTrip.schemaVersion).toBe(1);
    expect(roundTrip).toEqual(plan);

    const cli = await runCli(['plan', 'pilot', '--json', '--tag', '1.2.3', '--out', OUT]);
    expect(cli.exitCode, cli.stderr).toBe(0);
    const printed = JSON.parse(cli.stdout) as Plan;
    expect(printed.schemaVersion).toBe(1);
    expect(printed.jobs.map((j) => j.id)).toEqual(['go:linux_amd64', 'go:linux_arm64', 'image:base', 'image:distroless', 'image:pilot', 'publish']);
  });
});

describe('the shipped Envoy artifact without the sample overlay', () => {
  const bareSource = istioLikeCheckout({ deps: false, makefile: false });
  const bare = loadShippedGraph(bareSource);

  it('needs a pinned version: without istio.deps or ISTIO_ENVOY_VERSION, a usage error pointing at targets/artifacts.yaml', () => {
    let error: unknown;
    try {
      createPlan(bare, planRequest({ targets: ['proxyv2'] }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MeshbuildError);
    const usage = error as MeshbuildError;
    expect(usage.exitCode).toBe(EXIT_USAGE);
    expect(usage.message).toMatch(/^artifact "envoy" needs ISTIO_ENVOY_VERSION or PROXY_REPO_SHA: neither variable is set, and .*istio\.deps was not read/);
    expect(usage.location?.file).toBe(path.relative(process.cwd(), path.join(SHIPPED_TARGETS, 'artifacts.yaml')));
    expect(usage.hint).toMatch(/set ISTIO_ENVOY_VERSION/);
    // Images that do not use Envoy plan fine.
    expect(() => createPlan(bare, planRequest({ targets: ['pilot'] }))).not.toThrow();
  });

  it('with ISTIO_ENVOY_VERSION set, fetches Envoy per platform, checked by its published sha256', () => {
    const plan = createPlan(bare, planRequest({ targets: ['proxyv2'], env: { ISTIO_ENVOY_VERSION: 'abc123' } }));
    const fetches = plan.jobs.filter((j): j is FetchJob => j.kind === 'fetch');
    expect(fetches.map((f) => [f.id, formatPlatform(f.platform)])).toEqual([
      ['fetch:envoy:linux_amd64', 'linux/amd64'],
      ['fetch:envoy:linux_arm64', 'linux/arm64'],
    ]);
    expect(fetches[1]).toMatchObject({
      url: 'https://storage.googleapis.com/istio-build/proxy/envoy-alpha-abc123-arm64.tar.gz',
      sha256Url: 'https://storage.googleapis.com/istio-build/proxy/envoy-alpha-abc123-arm64.sha256',
      extract: 'usr/local/bin/envoy',
      output: path.join(OUT, 'linux_arm64', 'envoy'),
    });
    // Without the sample's overlay, no image of the graph stands for a base: they are read from the base registry.
    expect(new Set(job(plan, 'image:proxyv2').needs)).toEqual(
      new Set(['go:linux_amd64', 'go:linux_arm64', 'fetch:envoy:linux_amd64', 'fetch:envoy:linux_arm64']),
    );
    expect(imageJobs(plan).find((j) => j.image === 'proxyv2')!.bases).toEqual([]);
  });
});
