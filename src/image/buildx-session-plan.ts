/**
 * Which images of a plan one buildx session builds, and the plan as the scheduler runs it with
 * that session. Pure, and apart from the session itself so that a run without buildx images
 * never loads the session's modules.
 */
import type { ImageBuildJob, Plan } from '../plan/types.js';

/** The buildx image jobs of a plan: the ones a session builds. */
export function buildxSessionJobs(plan: Plan): ImageBuildJob[] {
  return plan.jobs.filter((j): j is ImageBuildJob => j.kind === 'image-build' && j.builder === 'buildx');
}

/**
 * The plan as the scheduler runs it with a session: images of the session do not wait for each
 * other (bake links them), but each still waits for what its session bases wait for (a native
 * base, Go binaries): its fingerprint reads its bases' fingerprints, which read those results.
 */
export function withSessionNeeds(plan: Plan, sessionJobs: ImageBuildJob[]): Plan {
  const ids = new Set(sessionJobs.map((j) => j.id));
  const byId = new Map(plan.jobs.map((j) => [j.id, j]));
  const outsideNeeds = (id: string, seen: Set<string>): string[] =>
    (byId.get(id)?.needs ?? []).flatMap((n) => (!ids.has(n) ? [n] : seen.has(n) ? [] : outsideNeeds(n, seen.add(n))));
  return { ...plan, jobs: plan.jobs.map((j) => (ids.has(j.id) ? { ...j, needs: [...new Set(outsideNeeds(j.id, new Set()))] } : j)) };
}
