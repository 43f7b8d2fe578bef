/**
 * What stops a release before its tags: failed builds (per image x platform x hub), a version
 * tag that already names other content, and images that do not verify by digest.
 */
import { InterruptedError, isMeshbuildError } from '../errors.js';
import type { BuiltImage } from '../image/built-image.js';
import { formatPlatform } from '../platform.js';
import type { ImageBuildJob, Job, Plan } from '../plan/types.js';
import { parseReference } from '../registry/reference.js';
import type { ReportedJob, RunReport } from '../report/json-report.js';
import type { ReleaseFailure, ReleaseRequest } from './release.js';
import { verifyReference } from './verify.js';

/** One image build as it is published in one hub, under one variant. */
export interface ReleaseTarget {
  job: ImageBuildJob;
  built: BuiltImage;
  variant: string;
  suffix: string;
  hub: string;
  repository: string;
  /** The tags this release writes for it (filled once derived). */
  tags: string[];
}

/** Failed and skipped jobs as image x platform x hub findings: a skipped image names the platform whose build it lacked. */
export function buildFailures(plan: Plan, report: RunReport, prefix = ''): ReleaseFailure[] {
  const status = new Map<string, ReportedJob>(report.jobs.map((j) => [j.id.slice(prefix.length), j]));
  const failures: ReleaseFailure[] = [];
  for (const job of plan.jobs) {
    const reported = status.get(job.id);
    if (!reported || reported.status === 'succeeded') continue;
    const problem = reported.error?.message ?? reported.reason ?? reported.status;
    const failure: ReleaseFailure = { step: 'build', subject: `${prefix}${job.id}`, platforms: jobPlatforms(plan, job, status), problem };
    if (reported.status !== 'failed') failure.skipped = true;
    if (job.kind === 'image-build') Object.assign(failure, { image: job.image, hubs: plan.hubs });
    failures.push(failure);
  }
  return failures;
}

function jobPlatforms(plan: Plan, job: Job, status: Map<string, ReportedJob>): string[] {
  switch (job.kind) {
    case 'go-build':
    case 'fetch':
      return [formatPlatform(job.platform)];
    case 'image-build': {
      const blockers = job.needs
        .map((id) => plan.jobs.find((j) => j.id === id))
        .filter((j): j is Job => j !== undefined && status.get(j.id)?.status !== 'succeeded');
      const own = blockers.flatMap((j) => (j.kind === 'go-build' || j.kind === 'fetch' ? [formatPlatform(j.platform)] : []));
      return own.length > 0 && own.length === blockers.length ? [...new Set(own)] : job.platforms.map(formatPlatform);
    }
    case 'publish':
      return plan.platforms.map(formatPlatform);
  }
}

export async function checkVersionTags(release: ReleaseRequest, targets: ReleaseTarget[], failures: ReleaseFailure[]): Promise<void> {
  await Promise.all(
    targets.map(async (target) => {
      const tag = `${release.version.version}${target.suffix}`;
      const reference = parseReference(target.repository);
      const current = await release.clientFor(reference.registry).headManifest(reference.repository, tag);
      if (current === undefined || current.digest === target.built.index.digest) return;
      if (release.force) {
        release.print(`--force: ${target.repository}:${tag} moves from ${current.digest} to ${target.built.index.digest}`);
        return;
      }
      failures.push({
        step: 'conflict',
        image: target.job.image,
        hubs: [target.hub],
        subject: `${target.repository}:${tag}`,
        problem: `${target.repository}:${tag} already names ${current.digest}, not this build's ${target.built.index.digest} (pass --force to move it)`,
      });
    }),
  );
}

export async function verifyTargets(release: ReleaseRequest, plan: Plan, targets: ReleaseTarget[], failures: ReleaseFailure[]): Promise<void> {
  const seen = new Set<string>();
  const unique = targets.filter((t) => {
    const key = `${t.repository}@${t.built.index.digest}`;
    return !seen.has(key) && seen.add(key);
  });
  await Promise.all(
    unique.map(async (target) => {
      const reference = `${target.repository}@${target.built.index.digest}`;
      const node = release.graph.images.get(target.job.image);
      try {
        const result = await verifyReference(reference, {
          platforms: plan.platforms,
          // An image staging no binary or artifact of the graph (a base) has nothing of ours to start.
          run: release.verifyRun && (node === undefined || node.inputs.length > 0),
          versionArgs: node?.versionArgs,
          insecureRegistries: release.insecureRegistries,
          signal: release.signal,
        });
        for (const finding of result.problems) {
          failures.push({
            step: 'verify',
            image: target.job.image,
            hubs: [target.hub],
            subject: finding.reference,
            ...(finding.platform !== undefined ? { platforms: [finding.platform] } : {}),
            ...(finding.file !== undefined ? { file: finding.file } : {}),
            problem: finding.problem,
          });
        }
        if (!result.ok && result.problems.length === 0)
          failures.push({ step: 'verify', image: target.job.image, hubs: [target.hub], subject: reference, problem: 'verify did not pass' });
      } catch (error) {
        if (error instanceof InterruptedError || release.signal.aborted) return;
        if (!isMeshbuildError(error)) throw error;
        failures.push({ step: 'verify', image: target.job.image, hubs: [target.hub], subject: reference, problem: error.message });
      }
    }),
  );
}
