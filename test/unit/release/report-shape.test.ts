/**
 * Reports read back (merge shards, push --from) are checked field by field: a report that is cut
 * short, edited, or from something else is exit 2 naming the file and the field, not a crash.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, MeshbuildError } from '../../../src/errors.js';
import { parseReport, type RunReport } from '../../../src/report/json-report.js';
import { runCli, STACK_FRAME } from '../../support/cli.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-report-shape-');
const digest = (seed: string) => `sha256:${seed.repeat(64).slice(0, 64)}`;

function shard(): RunReport {
  return {
    schemaVersion: 1,
    tool: 'meshbuild',
    version: 'abc',
    platforms: ['linux/amd64'],
    hubs: ['127.0.0.1:5555/mesh'],
    tags: [],
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
    ok: true,
    jobs: [{ id: 'image:pilot', kind: 'image-build', title: 'native pilot', status: 'succeeded', durationMs: 900 }],
    images: [
      {
        image: 'pilot',
        variant: 'default',
        repository: '127.0.0.1:5555/mesh/pilot',
        refs: [],
        digest: digest('a'),
        mediaType: 'application/vnd.oci.image.index.v1+json',
        size: 300,
        platforms: [{ platform: 'linux/amd64', digest: digest('b'), size: 500, mediaType: 'application/vnd.oci.image.manifest.v1+json' }],
      },
    ],
  };
}

/** The usage error parseReport throws for `report` (as text), or a failure if it accepts it. */
function refusal(report: unknown, file = 'shard-amd64.json'): MeshbuildError {
  try {
    parseReport(JSON.stringify(report), file);
  } catch (error) {
    if (error instanceof MeshbuildError) return error;
    throw error;
  }
  throw new Error('parseReport accepted it');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a report broken on purpose has no type
type Loose = Record<string, any>;

/** A copy of the valid shard with one change made to it. */
function changed(change: (report: Loose) => void): unknown {
  const report = structuredClone(shard()) as unknown as Loose;
  change(report);
  return report;
}

describe('parseReport checks the shape', () => {
  it('reads a report as meshbuild writes it', () => {
    expect(parseReport(JSON.stringify(shard()), 'shard-amd64.json')).toEqual(shard());
  });

  it.each([
    ['images is not an array', changed((r) => (r.images = {})), 'images must be an array, not an object'],
    ['images is missing', changed((r) => delete r.images), 'images must be an array, not missing'],
    ['an image without its repository', changed((r) => delete r.images[0].repository), 'images[0].repository must be a string, not missing'],
    [
      'a platform digest of the wrong type',
      changed((r) => (r.images[0].platforms[0].digest = 42)),
      'images[0].platforms[0].digest must be a string, not number 42',
    ],
    ['a size that is a string', changed((r) => (r.images[0].size = '300')), 'images[0].size must be a number, not the string "300"'],
    ['refs that are not a list', changed((r) => (r.images[0].refs = 'a:b')), 'images[0].refs must be an array, not the string "a:b"'],
    ['platforms null', changed((r) => (r.images[0].platforms = null)), 'images[0].platforms must be an array, not null'],
    [
      'a job with an unknown status',
      changed((r) => (r.jobs[0].status = 'done')),
      'jobs[0].status must be one of succeeded, failed, skipped, not-run, not the string "done"',
    ],
    ['a job error without a message', changed((r) => (r.jobs[0].error = {})), 'jobs[0].error.message must be a string, not missing'],
    ['hubs that are not a list', changed((r) => (r.hubs = '127.0.0.1:5555/mesh')), 'hubs must be an array, not the string "127.0.0.1:5555/mesh"'],
  ])('%s: exit 2 naming the file and the field', (_, report, problem) => {
    const error = refusal(report);
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toBe(`shard-amd64.json: ${problem}`);
    expect(error.hint).toMatch(/--report/);
  });

  it.each([
    ['a JSON array', []],
    ['null', null],
    ['a number', 7],
  ])('%s is not a meshbuild report (exit 2)', (_, value) => {
    const error = refusal(value);
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toBe('shard-amd64.json is not a meshbuild report');
  });
});

describe('meshbuild merge with a malformed shard', () => {
  it('exits 2 naming the file and the field, before any registry is contacted', async () => {
    const dir = await tempDir();
    const good = path.join(dir, 'shard-amd64.json');
    const bad = path.join(dir, 'shard-arm64.json');
    await writeFile(good, JSON.stringify(shard()));
    await writeFile(bad, JSON.stringify(changed((r) => (r.images[0].platforms = [{ platform: 'linux/arm64', size: 1, mediaType: 'x' }]))));
    const result = await runCli(['merge', good, bad, '--tag', '1.0.0', '--out', path.join(dir, 'out')]);
    expect(result.exitCode, result.stderr).toBe(EXIT_USAGE);
    expect(result.stderr).toContain(`error: ${bad}: images[0].platforms[0].digest must be a string, not missing`);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });
});
