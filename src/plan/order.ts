/** Orders jobs so that every job comes after the jobs it needs (Kahn's algorithm, stable). */
import type { Job } from './types.js';

export function orderJobs<T extends Pick<Job, 'id' | 'needs'>>(jobs: T[]): T[] {
  const byId = new Map(jobs.map((job) => [job.id, job]));
  const ordered: T[] = [];
  const done = new Set<string>();
  let remaining = [...jobs];
  while (remaining.length > 0) {
    const ready = remaining.filter((job) => job.needs.every((id) => done.has(id) || !byId.has(id)));
    if (ready.length === 0) throw new Error(`Internal error: the plan has a cycle among ${remaining.map((j) => j.id).join(', ')}`);
    for (const job of ready) {
      ordered.push(job);
      done.add(job.id);
    }
    remaining = remaining.filter((job) => !done.has(job.id));
  }
  return ordered;
}

/** Jobs grouped into stages: a stage's jobs need only jobs of earlier stages. */
export function jobStages<T extends Pick<Job, 'id' | 'needs'>>(jobs: T[]): T[][] {
  const stageOf = new Map<string, number>();
  const stages: T[][] = [];
  for (const job of orderJobs(jobs)) {
    const stage = Math.max(-1, ...job.needs.map((id) => stageOf.get(id) ?? -1)) + 1;
    stageOf.set(job.id, stage);
    (stages[stage] ??= []).push(job);
  }
  return stages;
}
