/**
 * A hand-made run for the timeline's renderers: a fetch and two Go builds, two images (one the
 * other's base) and the tag writer, with fixed times, as the scheduler would emit them.
 */
import { PLAN_SCHEMA_VERSION, type FetchJob, type GoBuildJob, type ImageBuildJob, type Job, type Plan, type PublishJob } from '../../../src/plan/types.js';
import type { RunEvent } from '../../../src/run/events.js';

const amd64 = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64' };

function goBuild(id: string, platform: typeof amd64, names: string[]): GoBuildJob {
  const binaries = names.map((name) => ({ name, package: `./cmd/${name}`, output: `/out/${name}` }));
  return { kind: 'go-build', id, needs: [], title: id, platform, binaries, tags: [], cgo: false, ldflags: '', sourceDir: '/src' };
}

function imageBuild(image: string, needs: string[], variants = ['default']): ImageBuildJob {
  return {
    kind: 'image-build',
    id: `image:${image}`,
    needs,
    title: image,
    image,
    builder: 'native',
    builderReason: 'test',
    platforms: [amd64, arm64],
    dockerfile: '/Dockerfile',
    contextDir: '/ctx',
    context: [],
    buildArgs: {},
    bases: [],
    variants: variants.map((variant) => ({ variant, refs: [] })),
    repositories: [],
    metadata: { indexAnnotations: {}, manifestAnnotations: {}, labels: {} },
  };
}

const fetchEnvoy: FetchJob = {
  kind: 'fetch',
  id: 'fetch:envoy:linux_amd64',
  needs: [],
  title: 'fetch',
  artifact: 'envoy',
  platform: amd64,
  output: '/out/envoy',
};
const goAmd64 = goBuild('go:linux_amd64', amd64, ['pilot-discovery', 'pilot-agent']);
const goArm64 = goBuild('go:linux_arm64', arm64, ['pilot-discovery']);
const base = imageBuild('base', []);
const proxy = imageBuild('proxyv2', ['go:linux_amd64', 'go:linux_arm64', 'fetch:envoy:linux_amd64', 'image:base'], ['default', 'debug']);
const publish: PublishJob = {
  kind: 'publish',
  id: 'publish',
  needs: ['image:base', 'image:proxyv2'],
  title: 'write tags',
  images: ['image:base', 'image:proxyv2'],
};

export const sampleJobs: Job[] = [fetchEnvoy, goAmd64, goArm64, base, proxy, publish];

export function samplePlan(jobs: Job[] = sampleJobs): Plan {
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    version: 'test',
    platforms: [amd64, arm64],
    variants: ['default'],
    hubs: [],
    tags: ['test'],
    outDir: '/out',
    sourceDir: '/src',
    sourceDateEpoch: 0,
    output: null,
    jobs,
  };
}

const T0 = 1_700_000_000_000;

/** Jobs as [id, start, end] in ms since the run started; the run ends at `finishedAt`. */
export function runEvents(spans: Array<[string, number, number, ('ok' | 'fail')?]>, finishedAt: number, plan = samplePlan()): RunEvent[] {
  const byId = new Map(plan.jobs.map((job) => [job.id, job]));
  const events: RunEvent[] = [{ type: 'run-started', at: T0, plan }];
  const timed: RunEvent[] = [];
  for (const [id, start, end, outcome] of spans) {
    const job = byId.get(id)!;
    timed.push({ type: 'job-started', at: T0 + start, job });
    timed.push(
      outcome === 'fail'
        ? { type: 'job-failed', at: T0 + end, job, durationMs: end - start, failure: { message: `${id} broke` } }
        : { type: 'job-succeeded', at: T0 + end, job, durationMs: end - start, result: undefined },
    );
  }
  events.push(...timed.sort((a, b) => a.at - b.at));
  const ok = spans.length === plan.jobs.length && spans.every(([, , , outcome]) => outcome !== 'fail');
  for (const job of plan.jobs) {
    if (!spans.some(([id]) => id === job.id)) events.push({ type: 'job-skipped', at: T0 + finishedAt, job, reason: 'stopped after a failure' });
  }
  events.push({ type: 'run-finished', at: T0 + finishedAt, ok, durationMs: finishedAt, interrupted: false });
  return events;
}

/** Every job succeeds; the arm64 Go build is the slow one that proxyv2 waits for. */
export const successfulRun = runEvents(
  [
    ['fetch:envoy:linux_amd64', 0, 400],
    ['go:linux_amd64', 0, 3000],
    ['go:linux_arm64', 0, 5200],
    ['image:base', 400, 1400],
    ['image:proxyv2', 5200, 7000],
    ['publish', 7000, 7300],
  ],
  7310,
);
