/** The human view of a plan: stages of jobs that can run together, in order. */
import { formatPlatform } from '../platform.js';
import { jobStages } from '../plan/order.js';
import type { Job, Plan } from '../plan/types.js';

export function formatPlan(plan: Plan): string {
  const count = (kind: Job['kind']) => plan.jobs.filter((j) => j.kind === kind).length;
  const binaries = plan.jobs.reduce((n, j) => n + (j.kind === 'go-build' ? j.binaries.length : 0), 0);
  const lines = [
    `version ${plan.version}; platforms ${plan.platforms.map(formatPlatform).join(', ')}; ` +
      `${binaries} binaries in ${count('go-build')} go builds, ${count('fetch')} downloads, ${count('image-build')} image builds` +
      (plan.output ? `; images to ${describeOutput(plan)}` : ''),
  ];
  jobStages(plan.jobs).forEach((stage, index) => {
    lines.push(`stage ${index + 1}:`);
    for (const job of stage) {
      lines.push(`  ${job.title}`);
      for (const detail of jobDetails(job)) lines.push(`      ${detail}`);
    }
  });
  return `${lines.join('\n')}\n`;
}

function jobDetails(job: Job): string[] {
  switch (job.kind) {
    case 'go-build':
      return job.binaries.map((b) => `${b.package} -> ${b.output}`);
    case 'fetch':
      return [`${job.localPath ?? job.url} -> ${job.output}`];
    case 'image-build':
      return [
        `builder ${job.builder} (${job.builderReason})`,
        ...job.variants.map((v) => `${v.variant}: ${v.refs.join(', ') || '(by digest only)'}`),
        ...(job.bases.length ? [`on ${job.bases.map((b) => (b.reference !== undefined ? `${b.jobId} (as ${b.reference})` : b.jobId)).join(', ')}`] : []),
      ];
    case 'publish':
      return [`after ${job.images.length} image builds succeed`];
  }
}

function describeOutput(plan: Plan): string {
  const output = plan.output!;
  switch (output.kind) {
    case 'registry':
      return plan.hubs.join(', ');
    case 'docker':
      return 'the local Docker Engine';
    case 'oci':
    case 'tar':
      return `${output.kind}:${output.dir}`;
  }
}
