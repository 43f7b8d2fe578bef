/**
 * Up-to-date decisions: the fingerprint (canonical, sensitive to every input), the pure verdict
 * from a record and the outputs as they are now, and the executor wrapper against an in-memory
 * record store with real temp files as outputs (no go, no builder).
 */
import { chmod, link, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLAN_SCHEMA_VERSION, type Job, type Plan, type PublishJob } from '../../../src/plan/types.js';
import { FileDigests } from '../../../src/run/file-digests.js';
import { canonicalJson, fingerprintOf } from '../../../src/run/fingerprint.js';
import type { JobRecord, JobRecordStore } from '../../../src/run/job-records.js';
import type { RunEvent } from '../../../src/run/events.js';
import { runPlan, type Executors, type JobContext } from '../../../src/run/scheduler.js';
import { skipUnchanged, staleReason, type Freshness } from '../../../src/run/skip-unchanged.js';
import { isUpToDate } from '../../../src/run/up-to-date.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-skip-');

class MemoryRecords implements JobRecordStore {
  readonly records = new Map<string, JobRecord>();
  read(jobId: string): Promise<JobRecord | undefined> {
    return Promise.resolve(this.records.get(jobId));
  }
  write(jobId: string, record: JobRecord): Promise<void> {
    this.records.set(jobId, structuredClone(record));
    return Promise.resolve();
  }
  remove(jobId: string): Promise<void> {
    this.records.delete(jobId);
    return Promise.resolve();
  }
}

const job: PublishJob = { kind: 'publish', id: 'job:a', needs: [], title: 'job a', images: [] };
const context: JobContext = { signal: new AbortController().signal, progress: () => {}, resultOf: () => undefined, waitWithoutSlot: (work) => work };

describe('fingerprintOf', () => {
  it('does not depend on the order of object keys, and does on every value', () => {
    expect(fingerprintOf({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(fingerprintOf({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    expect(fingerprintOf({ a: 1, b: { c: [1, 2], d: 'x' } })).not.toBe(fingerprintOf({ a: 1, b: { c: [2, 1], d: 'x' } }));
    expect(fingerprintOf({ a: 1, b: { c: [1, 2], d: 'x' } })).not.toBe(fingerprintOf({ a: 1, b: { c: [1, 2], d: 'y' } }));
    expect(canonicalJson({ z: 1, a: { y: 2, b: 3 } })).toBe('{"a":{"b":3,"y":2},"z":1}');
  });
});

describe('staleReason', () => {
  const record: JobRecord = { fingerprint: 'f1', outputs: [{ path: '/o/a', size: 3, digest: 'sha256:aa' }], result: 'r' };
  it('is undefined only when the fingerprint and every output are as recorded', () => {
    expect(staleReason(record, 'f1', [{ path: '/o/a', size: 3, digest: 'sha256:aa' }])).toBeUndefined();
    expect(staleReason(undefined, 'f1', [])).toBe('no earlier run');
    expect(staleReason(record, 'f2', [{ path: '/o/a', size: 3, digest: 'sha256:aa' }])).toBe('inputs changed');
    expect(staleReason(record, 'f1', [{ path: '/o/a', size: undefined, digest: undefined }])).toBe('/o/a is missing');
    expect(staleReason(record, 'f1', [])).toBe('/o/a is missing');
    expect(staleReason(record, 'f1', [{ path: '/o/a', size: 4, digest: undefined }])).toBe('/o/a changed');
    expect(staleReason(record, 'f1', [{ path: '/o/a', size: 3, digest: 'sha256:bb' }])).toBe('/o/a changed');
  });
});

/** A job that writes `content` to one output file and counts its runs; its fingerprint is `inputs.value`. */
async function fixture() {
  const dir = await tempDir();
  const output = path.join(dir, 'out.bin');
  const state = { runs: 0, value: 'v1', content: 'built', drift: undefined as string | undefined, reused: 0 };
  const freshness: Freshness<PublishJob> = {
    fingerprint: () => Promise.resolve(fingerprintOf({ value: state.value })),
    outputs: () => Promise.resolve([{ path: output }]),
    drift: () => Promise.resolve(state.drift),
    reuse: (_job, result) => {
      state.reused++;
      return Promise.resolve(result);
    },
  };
  const records = new MemoryRecords();
  const digests = new FileDigests();
  const run = skipUnchanged(
    async () => {
      state.runs++;
      await writeFile(output, state.content);
      return { built: state.runs };
    },
    freshness,
    { records, digests },
  );
  return { output, state, records, run: () => run(job, context) };
}

describe('skipUnchanged', () => {
  it('runs and records the first time, then hands on the recorded result without running', async () => {
    const f = await fixture();
    expect(isUpToDate(await f.run())).toBe(false);
    expect(f.records.records.get(job.id)).toMatchObject({ outputs: [{ path: f.output, size: 5 }], result: { built: 1 } });
    const again = await f.run();
    expect(isUpToDate(again) && again.result).toEqual({ built: 1 });
    expect(f.state).toMatchObject({ runs: 1, reused: 1 });
  });

  it('runs again when an input changes', async () => {
    const f = await fixture();
    await f.run();
    f.state.value = 'v2';
    expect(isUpToDate(await f.run())).toBe(false);
    expect(f.state.runs).toBe(2);
    expect(isUpToDate(await f.run())).toBe(true);
  });

  it('runs again when an output is deleted, or changed in place with the same size', async () => {
    const f = await fixture();
    await f.run();
    await rm(f.output);
    expect(isUpToDate(await f.run())).toBe(false);
    await writeFile(f.output, 'BUILT');
    expect(isUpToDate(await f.run())).toBe(false);
    expect(f.state.runs).toBe(3);
    expect(isUpToDate(await f.run())).toBe(true);
  });

  it('runs again when something outside the files moved (drift)', async () => {
    const f = await fixture();
    await f.run();
    f.state.drift = 'base registry.test/base:1 changed';
    expect(isUpToDate(await f.run())).toBe(false);
    expect(f.state.runs).toBe(2);
  });

  it('a failed run leaves no record behind, so the next run builds', async () => {
    const records = new MemoryRecords();
    const dir = await tempDir();
    let fail = false;
    const freshness: Freshness<PublishJob> = {
      fingerprint: () => Promise.resolve('same'),
      outputs: () => Promise.resolve([{ path: path.join(dir, 'x') }]),
    };
    const run = skipUnchanged(
      async () => {
        if (fail) throw new Error('broken');
        await writeFile(path.join(dir, 'x'), 'x');
        return 1;
      },
      freshness,
      { records, digests: new FileDigests() },
    );
    await run(job, context);
    expect(records.records.has(job.id)).toBe(true);
    await rm(path.join(dir, 'x'));
    fail = true;
    await expect(run(job, context)).rejects.toThrow('broken');
    expect(records.records.has(job.id)).toBe(false);
  });

  it('never skips a job whose fingerprint cannot be known', async () => {
    let runs = 0;
    const run = skipUnchanged(
      () => Promise.resolve(++runs),
      { fingerprint: () => Promise.resolve(undefined), outputs: () => Promise.resolve([]) },
      { records: new MemoryRecords(), digests: new FileDigests() },
    );
    await run(job, context);
    await run(job, context);
    expect(runs).toBe(2);
  });

  it('through the scheduler, a skipped job is reported as job-up-to-date', async () => {
    const f = await fixture();
    const plan: Plan = {
      schemaVersion: PLAN_SCHEMA_VERSION,
      version: 't',
      platforms: [],
      variants: [],
      hubs: [],
      tags: [],
      outDir: '/nowhere',
      sourceDir: '/nowhere',
      sourceDateEpoch: 0,
      output: null,
      jobs: [job as Job],
    };
    const executors: Executors = {
      'go-build': () => Promise.resolve(undefined),
      fetch: () => Promise.resolve(undefined),
      'image-build': () => Promise.resolve(undefined),
      publish: (j, c) =>
        skipUnchanged(
          () => f.run(),
          { fingerprint: () => Promise.resolve(undefined), outputs: () => Promise.resolve([]) },
          { records: new MemoryRecords(), digests: new FileDigests() },
        )(j, c),
    };
    const types = async () => {
      const events: RunEvent[] = [];
      await runPlan(plan, executors, { emit: (e) => events.push(e) });
      return events.map((e) => e.type).filter((t) => t.startsWith('job-') && t !== 'job-started' && t !== 'job-progress');
    };
    expect(await types()).toEqual(['job-succeeded']);
    expect(await types()).toEqual(['job-up-to-date']);
  });
});

describe('FileDigests', () => {
  it('goes by content: a file with new times and the same content keeps its digest; an edit changes it', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'main.go');
    await writeFile(file, 'package main\n');
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    const digests = new FileDigests(path.join(dir, 'digests.json'));
    const first = await digests.digestOf(file);
    await digests.save();
    const restored = new Date(Date.now() - 30_000); // a CI cache restore: new times, same bytes
    await utimes(file, restored, restored);
    const later = await new FileDigests(path.join(dir, 'digests.json')).load();
    expect(await later.digestOf(file)).toBe(first);
    await writeFile(file, 'package main // edited\n');
    expect(await later.digestOf(file)).not.toBe(first);
    expect(await later.digestOf(path.join(dir, 'missing'))).toBeUndefined();
  });

  it('a folder digest follows names, content, modes and link targets', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'a'), 'a');
    await symlink('a', path.join(dir, 'link'));
    const digests = new FileDigests();
    const first = await digests.treeDigest(dir);
    expect(await digests.treeDigest(dir)).toBe(first);
    await chmod(path.join(dir, 'a'), 0o755);
    const executable = await digests.treeDigest(dir);
    expect(executable).not.toBe(first);
    await rm(path.join(dir, 'link'));
    await symlink('b', path.join(dir, 'link'));
    expect(await digests.treeDigest(dir)).not.toBe(executable);
  });

  it('keeps a remembered digest across a hard link of the file (its change time moves), not across an edit', async () => {
    const dir = await tempDir();
    const binary = path.join(dir, 'pilot-discovery');
    await writeFile(binary, 'binary bytes');
    const digests = new FileDigests();
    // A stand-in digest: were the file read again, the real one would come back instead.
    await digests.remember(binary, 'sha256:remembered');
    await sleep(20);
    await link(binary, path.join(dir, 'staged'));
    await digests.keepAfterLinking(binary);
    expect(await digests.digestOf(binary)).toBe('sha256:remembered');

    await writeFile(binary, 'other bytes, longer');
    await digests.keepAfterLinking(binary);
    expect(await digests.digestOf(binary)).not.toBe('sha256:remembered');
  });
});
