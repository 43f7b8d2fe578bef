/**
 * Redaction where messages are printed, not only where registry errors are made: whatever puts a
 * credential into a message, the CLI's error line, the CI log and the JSON report never show it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Job, Plan } from '../../../src/plan/types.js';
import { REDACTED, registerSecret } from '../../../src/registry/redact.js';
import { CiReporter } from '../../../src/report/ci-reporter.js';
import { JsonReportWriter } from '../../../src/report/json-report.js';
import { RedactedOutput } from '../../../src/report/redacted-output.js';
import { runCli } from '../../support/cli.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-print-redaction-');
const SECRET = 'hunter2-print-time-secret';
registerSecret(SECRET);

class Captured extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const job = { id: 'image:pilot', kind: 'image-build', title: 'native pilot linux/amd64', needs: [] } as unknown as Job;
const plan = { jobs: [job], platforms: [{ os: 'linux', architecture: 'amd64' }], hubs: [], tags: [], version: 't' } as unknown as Plan;
const failure = {
  message: `push to https://robot:${SECRET}@registry.example/v2/ failed`,
  detail: `> Authorization: Basic cm9ib3Q6aHVudGVy\n> token ${SECRET}`,
  hint: `log in again (was ${SECRET})`,
};

describe('the CI log', () => {
  it('shows no credential from a job failure, its detail or its hint', () => {
    const out = new Captured();
    const reporter = new CiReporter(out, () => '00:00:00.000');
    reporter.onEvent({ type: 'run-started', at: 0, plan });
    reporter.onEvent({ type: 'job-started', at: 0, job });
    reporter.onEvent({ type: 'job-progress', at: 0, job, message: `retrying with ${SECRET}` });
    reporter.onEvent({ type: 'job-failed', at: 1, job, durationMs: 1, failure });
    reporter.onEvent({ type: 'job-skipped', at: 1, job, reason: `needs ${SECRET}` });
    expect(out.text).not.toContain(SECRET);
    expect(out.text).not.toContain('cm9ib3Q6aHVudGVy');
    expect(out.text).toContain(`FAILED native pilot linux/amd64 (1ms): push to https://${REDACTED}@registry.example/v2/ failed`);
    expect(out.text).toContain(`hint: log in again (was ${REDACTED})`);
  });
});

describe('the JSON report', () => {
  it('records failures and skip reasons without credentials', async () => {
    const file = path.join(await tempDir(), 'report.json');
    const writer = new JsonReportWriter(file);
    writer.onEvent({ type: 'run-started', at: 0, plan });
    writer.onEvent({ type: 'job-failed', at: 1, job, durationMs: 1, failure });
    writer.onEvent({ type: 'run-finished', at: 2, ok: false, durationMs: 2, interrupted: false });
    await writer.close();
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('cm9ib3Q6aHVudGVy');
    expect(text).toContain(REDACTED);
  });
});

describe('the CLI', () => {
  it('prints an error message with a credential in it redacted (exit code unchanged)', async () => {
    const missing = path.join(await tempDir(), `targets-${SECRET}`);
    const result = await runCli(['plan', '--targets', missing, '--tag', 't']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^error: /);
    expect(result.stderr).toContain(`targets-${REDACTED}`);
    expect(result.stderr + result.stdout).not.toContain(SECRET);
  });

  it('scrubs everything written through its output streams, in order, and says when it is flushed', async () => {
    const target = new Captured();
    const output = new RedactedOutput(target);
    output.write(`first https://user:${SECRET}@host/\n`);
    output.write('second line\n');
    await output.flushed();
    expect(target.text).toBe(`first https://${REDACTED}@host/\nsecond line\n`);
  });
});
