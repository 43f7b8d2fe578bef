/** A failed image of a buildx bake session as one message: the image, its bake target and platform, and buildx's own words. */
import { stepError, type MeshbuildError } from '../errors.js';
import { formatPlatform } from '../platform.js';
import type { ImageBuildJob } from '../plan/types.js';
import type { BakeTarget } from './bake-definition.js';
import type { BakeStepFailure } from './bake-progress.js';

/**
 * `failure`: the step buildx reported failed for this image, when its progress named one; else
 * the last error line of buildx's text. Dockerfile errors keep their line numbers (in `text`).
 */
export function explainBakeFailure(job: ImageBuildJob, targets: BakeTarget[], failure: BakeStepFailure | undefined, text: string): MeshbuildError {
  const lines = text.split('\n');
  const errorLine = [...lines].reverse().find((l) => /^ERROR:|error:/i.test(l)) ?? lines[lines.length - 1] ?? '';
  const own = targets.filter((t) => t.jobId === job.id);
  const target = failure?.target ?? own.map((t) => t.name).join(', ');
  const platform = failure?.platform ?? job.platforms.map(formatPlatform).join(', ');
  const reason = failure ? `${failure.step}: ${failure.error}` : errorLine.replace(/^ERROR:\s*/, '') || 'buildx bake failed';
  return stepError(`docker buildx bake failed for image ${job.image} (target ${target}, ${platform}): ${reason}`, {
    ...(text ? { detail: lines.slice(-25).join('\n') } : {}),
  });
}
