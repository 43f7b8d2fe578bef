/**
 * A hand-made published run for the summary's renderers: pilot and proxyv2 (two variants) built
 * for two platforms and tagged in one hub, with fixed times, digests and sizes.
 */
import type { ImageBuildJob, Job, PublishJob } from '../../../src/plan/types.js';
import type { ReportedImage } from '../../../src/report/json-report.js';
import type { RunEvent } from '../../../src/run/events.js';
import { runEvents, sampleJobs, samplePlan } from './sample-run.js';

const HUB = 'registry.example.com/mesh';
const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

const proxy = sampleJobs.find((j) => j.id === 'image:proxyv2') as ImageBuildJob;
const pilot: ImageBuildJob = {
  ...proxy,
  id: 'image:pilot',
  title: 'native pilot linux/amd64,linux/arm64',
  image: 'pilot',
  variants: [{ variant: 'default', refs: [] }],
};
const jobs: Job[] = sampleJobs.map((job) =>
  job.id === 'image:base' ? pilot : job.id === 'publish' ? { ...job, needs: ['image:pilot', 'image:proxyv2'] } : job,
);

function image(name: string, variant: string, tag: string, index: number, sizes: [number, number]): ReportedImage {
  return {
    image: name,
    variant,
    repository: `${HUB}/${name}`,
    refs: [`${HUB}/${name}:${tag}`],
    digest: digest(index),
    mediaType: 'application/vnd.oci.image.index.v1+json',
    size: 856,
    platforms: [
      { platform: 'linux/amd64', digest: digest(index + 1), size: 1012, mediaType: 'application/vnd.oci.image.manifest.v1+json', compressedSize: sizes[0] },
      { platform: 'linux/arm64', digest: digest(index + 2), size: 1012, mediaType: 'application/vnd.oci.image.manifest.v1+json', compressedSize: sizes[1] },
    ],
  };
}

export const publishedImages: ReportedImage[] = [
  image('pilot', 'default', '1.2.3', 1, [31_457_280, 29_884_416]),
  image('proxyv2', 'default', '1.2.3', 4, [78_643_200, 75_497_472]),
  image('proxyv2', 'debug', '1.2.3-debug', 7, [80_740_352, 77_594_624]),
];

/** Every job succeeds; the publish job reports the three tagged images. */
export function publishedRun(): RunEvent[] {
  const plan = { ...samplePlan(jobs), hubs: [HUB], tags: ['1.2.3'], version: '1.2.3', output: { kind: 'registry' as const, tags: true } };
  const events = runEvents(
    [
      ['fetch:envoy:linux_amd64', 0, 400],
      ['go:linux_amd64', 0, 3000],
      ['go:linux_arm64', 0, 5200],
      ['image:pilot', 5200, 9400],
      ['image:proxyv2', 5200, 12_100],
      ['publish', 12_100, 12_600],
    ],
    12_610,
    plan,
  );
  return events.map((event) =>
    event.type === 'job-succeeded' && event.job.kind === 'publish' ? { ...event, job: event.job as PublishJob, result: { images: publishedImages } } : event,
  );
}
