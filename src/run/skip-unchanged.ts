/**
 * Skips a job whose inputs and outputs are those of its last successful run: an executor wrapped
 * here first takes the job's input fingerprint, compares it and the outputs' digests with the
 * job's record, and hands on the recorded result (reported as up to date) without staging,
 * hashing or building anything. Otherwise it runs the job and records it once it succeeded.
 */
import { lstat } from 'node:fs/promises';
import type { Job } from '../plan/types.js';
import type { FileDigests } from './file-digests.js';
import type { JobRecord, JobRecordStore, RecordedOutput } from './job-records.js';
import type { Executor, JobContext } from './scheduler.js';
import { upToDate } from './up-to-date.js';

/** What one kind of job reads and writes, for deciding whether it has anything to do. */
export interface Freshness<J extends Job> {
  /** The fingerprint of everything the job reads; undefined when it cannot be known (the job always runs). */
  fingerprint(job: J, context: JobContext): Promise<string | undefined>;
  /** The files a result consists of, with their digest when it is known without reading them. */
  outputs(job: J, result: unknown): Promise<Array<{ path: string; digest?: string }>>;
  /** What moved outside the files since the recorded run (a registry base), or undefined. */
  drift?(job: J, recordedResult: unknown, context: JobContext): Promise<string | undefined>;
  /**
   * On a skip: makes sure the recorded result is also where it must be besides its files (a
   * registry, an OCI layout), cheaply; returns the result to hand on.
   */
  reuse?(job: J, result: unknown, context: JobContext): Promise<unknown>;
  /** Where the job's record is kept; default its id. */
  recordKey?(job: J): string;
}

export interface SkipDeps {
  records: JobRecordStore;
  digests: Pick<FileDigests, 'digestOf' | 'remember'>;
}

/** An output as it is now: undefined size when it is gone. */
export interface OutputNow {
  path: string;
  size: number | undefined;
  digest: string | undefined;
}

/** Why the job must run, or undefined when its last run still stands. Pure. */
export function staleReason(record: JobRecord | undefined, fingerprint: string, outputs: readonly OutputNow[]): string | undefined {
  if (!record) return 'no earlier run';
  if (record.fingerprint !== fingerprint) return 'inputs changed';
  for (const [i, recorded] of record.outputs.entries()) {
    const now = outputs[i];
    if (now?.path !== recorded.path || now.size === undefined) return `${recorded.path} is missing`;
    if (now.size !== recorded.size || now.digest !== recorded.digest) return `${recorded.path} changed`;
  }
  return undefined;
}

/** The recorded outputs as they are now; digests come from the stat-keyed memory unless a file changed. */
async function outputsNow(recorded: readonly RecordedOutput[], digests: SkipDeps['digests']): Promise<OutputNow[]> {
  return Promise.all(
    recorded.map(async ({ path, size }) => {
      const info = await lstat(path).catch(() => undefined);
      if (!info?.isFile()) return { path, size: undefined, digest: undefined };
      // A file of another size has changed: no need to read it.
      return { path, size: info.size, digest: info.size === size ? await digests.digestOf(path) : undefined };
    }),
  );
}

export function skipUnchanged<J extends Job>(run: Executor<J>, freshness: Freshness<J>, deps: SkipDeps): Executor<J> {
  return async (job: J, context: JobContext): Promise<unknown> => {
    // Taken before the job runs, so that a file edited while it runs is not recorded as built.
    const fingerprint = await freshness.fingerprint(job, context);
    const key = freshness.recordKey?.(job) ?? job.id;
    if (fingerprint !== undefined) {
      const record = await deps.records.read(key);
      let stale = staleReason(record, fingerprint, record ? await outputsNow(record.outputs, deps.digests) : []);
      if (stale === undefined && freshness.drift) stale = await freshness.drift(job, record!.result, context);
      if (stale === undefined) return upToDate(freshness.reuse ? await freshness.reuse(job, record!.result, context) : record!.result);
      context.progress(`to do: ${stale}`);
    }
    // A run cut short must not leave the old record next to outputs it half replaced.
    await deps.records.remove(key);
    const result = await run(job, context);
    if (fingerprint !== undefined) await deps.records.write(key, { fingerprint, outputs: await recordOutputs(freshness, job, result, deps), result });
    return result;
  };
}

async function recordOutputs<J extends Job>(freshness: Freshness<J>, job: J, result: unknown, deps: SkipDeps): Promise<RecordedOutput[]> {
  const outputs: RecordedOutput[] = [];
  for (const output of await freshness.outputs(job, result)) {
    const info = await lstat(output.path);
    const digest = output.digest ?? (await deps.digests.digestOf(output.path));
    if (digest === undefined) throw new Error(`Internal error: output ${output.path} of ${job.id} is not a file`);
    await deps.digests.remember(output.path, digest);
    outputs.push({ path: output.path, size: info.size, digest });
  }
  return outputs;
}
