/**
 * `--trace FILE` on real runs of the bundled sample (real go build, native builder, OCI layout
 * output): the file is a Chrome trace whose events cover every job of the plan, and whose
 * critical path is a chain of waits (needs, and the order of a platform's go batches) ending at the
 * job that finished last. Also after a failure,
 * and after Ctrl-C (a private, empty GOCACHE keeps the go build running until the signal comes).
 */
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChromeTrace, TraceEvent } from '../../../src/report/chrome-trace.js';
import type { Plan } from '../../../src/plan/types.js';
import { STACK_FRAME, runCli, startSpawnedCli, stderrUntil } from '../../support/cli.js';
import { copySample, useTempDirs } from './files.js';

const tempDir = useTempDirs('meshbuild-trace-');

async function planOf(args: string[]): Promise<Plan> {
  const result = await runCli(['plan', '--json', ...args]);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Plan;
}

const end = (event: TraceEvent) => event.ts + event.dur!;

/** The checks every trace must pass, whatever the run's outcome; returns the job events. */
function expectWellFormed(trace: ChromeTrace, plan: Plan): TraceEvent[] {
  for (const event of trace.traceEvents) {
    expect(Number.isInteger(event.ts) && event.ts >= 0, JSON.stringify(event)).toBe(true);
    if (event.ph === 'X') expect(Number.isInteger(event.dur) && event.dur! >= 0, JSON.stringify(event)).toBe(true);
    expect(['X', 'i', 'M']).toContain(event.ph);
  }
  const jobEvents = trace.traceEvents.filter((e) => e.pid === 1 && e.ph !== 'M');
  expect(jobEvents.map((e) => e.args?.id).sort()).toEqual(plan.jobs.map((j) => j.id).sort());
  for (const event of jobEvents) {
    expect(event.cat).toBe(plan.jobs.find((j) => j.id === event.args?.id)!.kind);
    expect(typeof event.args?.target).toBe('string');
    if (event.cat !== 'publish') expect(event.args?.platform).toBe('linux/amd64');
  }
  // Lanes: no two jobs on one lane at once.
  const ran = jobEvents.filter((e) => e.ph === 'X');
  for (const a of ran) {
    for (const b of ran) if (a !== b && a.tid === b.tid) expect(end(a) <= b.ts || end(b) <= a.ts, `${a.name} and ${b.name} share lane ${a.tid}`).toBe(true);
  }
  // The critical path: its own row, in order, each job waiting for the one before, ending at the last job to finish.
  const path = trace.traceEvents.filter((e) => e.pid === 2 && e.ph === 'X');
  expect(path.length).toBeGreaterThan(0);
  expect(path.map((e) => e.args?.id)).toEqual(trace.otherData.criticalPath);
  // What a job waits for: what it needs, and what it runs after (a platform's later go batch after the first).
  const needsOf = (id: unknown) => {
    const job = plan.jobs.find((j) => j.id === id)!;
    return [...job.needs, ...(job.after ?? [])];
  };
  for (let i = 1; i < path.length; i++) {
    expect(needsOf(path[i]!.args?.id)).toContain(path[i - 1]!.args?.id);
    expect(path[i]!.ts).toBeGreaterThanOrEqual(end(path[i - 1]!));
  }
  expect(needsOf(path[0]!.args?.id).filter((id) => ran.some((e) => e.args?.id === id))).toEqual([]);
  expect(end(path.at(-1)!)).toBe(Math.max(...ran.map(end)));
  for (const event of ran) expect(event.args?.critical, event.name).toBe(path.some((p) => p.args?.id === event.args?.id));
  return jobEvents;
}

describe('meshbuild all --trace', () => {
  it('writes every job of a successful run with its times and platform, and the critical path', async () => {
    const dir = await tempDir();
    const args = ['--platforms', 'amd64', '--builder', 'native', '--tag', 'trace-test', '--out', path.join(dir, 'out')];
    const file = path.join(dir, 'trace.json');
    const result = await runCli(['all', ...args, '--trace', file]);
    expect(result.exitCode, result.stderr).toBe(0);

    const trace = JSON.parse(await readFile(file, 'utf8')) as ChromeTrace;
    const jobs = expectWellFormed(trace, await planOf(args));
    expect(jobs.every((e) => e.ph === 'X' && ['succeeded', 'up-to-date'].includes(String(e.args?.outcome)))).toBe(true);
    expect(trace.otherData).toMatchObject({ tool: 'meshbuild', ok: true, interrupted: false });
    expect(trace.otherData.criticalPath).toContain('publish');
    expect(trace.displayTimeUnit).toBe('ms');
  });

  it('is written after a failure too, with the failed job, its message and the jobs that did not run', async () => {
    const dir = await tempDir();
    const source = await copySample(path.join(dir, 'mesh'));
    await appendFile(path.join(source, 'pilot', 'cmd', 'pilot-discovery', 'main.go'), '\nfunc broken() int { return undefinedThing }\n');
    const args = ['--platforms', 'amd64', '--builder', 'native', '--source', source, '--tag', 'trace-test', '--out', path.join(dir, 'out')];
    const file = path.join(dir, 'trace.json');
    const result = await runCli(['all', ...args, '--trace', file]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).not.toMatch(STACK_FRAME);

    const trace = JSON.parse(await readFile(file, 'utf8')) as ChromeTrace;
    const jobs = expectWellFormed(trace, await planOf(args));
    const failed = jobs.filter((e) => e.args?.outcome === 'failed');
    expect(failed.map((e) => [e.ph, e.cat])).toEqual([['X', 'go-build']]);
    expect(String(failed[0]!.args?.reason)).toMatch(/pilot-discovery/);
    const notRun = jobs.filter((e) => e.ph === 'i');
    expect(notRun.map((e) => e.args?.id)).toContain('publish');
    expect(notRun.every((e) => e.args?.outcome === 'skipped' && typeof e.args.reason === 'string')).toBe(true);
    expect(trace.otherData).toMatchObject({ ok: false });
  });

  it('is written when the run is interrupted, saying so', async () => {
    const dir = await tempDir();
    const args = ['--platforms', 'amd64', '--builder', 'native', '--tag', 'trace-test', '--out', path.join(dir, 'out')];
    const file = path.join(dir, 'trace.json');
    const { child } = await startSpawnedCli(['all', ...args, '--trace', file], { env: { GOCACHE: path.join(dir, 'gocache') } });
    const stderr = await stderrUntil(child, / start {2}go build /);
    expect(child.exitCode, `still running when interrupted; stderr so far:\n${stderr}`).toBeNull();
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(130);

    const trace = JSON.parse(await readFile(file, 'utf8')) as ChromeTrace;
    const jobs = expectWellFormed(trace, await planOf(args));
    expect(trace.otherData).toMatchObject({ ok: false, interrupted: true });
    expect(
      jobs.find((e) => e.cat === 'go-build' && e.ph === 'X'),
      'a go build that was running',
    ).toBeDefined();
    expect(jobs.find((e) => e.args?.id === 'publish')).toMatchObject({ ph: 'i', args: { outcome: 'skipped', reason: 'interrupted' } });
  });
});
