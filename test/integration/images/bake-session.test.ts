/**
 * `--builder buildx` builds every image of a run in one `docker buildx bake` session: each image
 * job says so, the indexes are complete, derived images sit on the layers of the bases built in
 * the same session (linked as `target:`; nothing can be pulled here), and a failing image fails
 * its own job (exit 1, naming its bake target and platform) while the others end cancelled.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, type CliResult } from '../../support/cli.js';
import { entryPlatform, errorLines, requireDocker, SHIPPED_BASES, SHIPPED_IMAGES, type IndexEntry } from '../../support/images.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const ALL_IMAGES = [...SHIPPED_BASES, ...Object.keys(SHIPPED_IMAGES)];
const REF_NAME = 'org.opencontainers.image.ref.name';

interface ReportedJob {
  id: string;
  status: string;
  reason?: string;
  error?: { message: string };
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

describe('every buildx image of a run in one bake session', () => {
  const tempDir = useTempDirs('meshbuild-bake-session-');
  let run: CliResult;
  let layoutDir: string;
  let report: { ok: boolean; jobs: ReportedJob[] };
  const blob = (digest: string) => readJson<{ manifests: IndexEntry[]; layers: IndexEntry[] }>(path.join(layoutDir, 'blobs', 'sha256', digest.slice(7)));
  const indexOf = async (image: string) => {
    const top = await readJson<{ manifests: Array<IndexEntry & { annotations?: Record<string, string> }> }>(path.join(layoutDir, 'index.json'));
    const entry = top.manifests.find((m) => m.annotations?.[REF_NAME] === `${image}:bake1`);
    if (!entry) throw new Error(`${image}:bake1 is not in ${layoutDir}`);
    return blob(entry.digest);
  };

  beforeAll(async () => {
    await requireDocker();
    const out = await tempDir();
    layoutDir = path.join(out, 'images');
    const reportFile = path.join(out, 'report.json');
    run = await runCli(['all', '--builder', 'buildx', '--platforms', 'amd64,arm64', '--tag', 'bake1', '--out', out, '--report', reportFile]);
    report = await readJson(reportFile);
  }, 900_000);

  it('succeeds, every image job reporting the one session of all ten targets', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(report.jobs.filter((j) => j.id.startsWith('image:')).map((j) => [j.id, j.status])).toEqual(
      ALL_IMAGES.map((image) => [`image:${image}`, 'succeeded']),
    );
    for (const image of ALL_IMAGES) {
      const lines = run.stderr.split('\n').filter((line) => line.includes(`image:${image}: docker buildx bake:`));
      expect(lines, image).toHaveLength(1);
      expect(lines[0]).toContain(`${ALL_IMAGES.length} targets in one session`);
    }
  });

  it.each(ALL_IMAGES)('%s is a complete amd64 + arm64 index', async (image) => {
    const index = await indexOf(image);
    expect(index.manifests.map(entryPlatform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it.each(Object.keys(SHIPPED_IMAGES))('%s sits on the layers of the base built in the same session, per platform', async (image) => {
    const base = await indexOf('base');
    const index = await indexOf(image);
    for (const entry of index.manifests) {
      const baseEntry = base.manifests.find((m) => entryPlatform(m) === entryPlatform(entry))!;
      const baseLayers = (await blob(baseEntry.digest)).layers.map((l) => l.digest);
      const layers = (await blob(entry.digest)).layers.map((l) => l.digest);
      expect(layers.slice(0, baseLayers.length), `${image} ${entryPlatform(entry)}`).toEqual(baseLayers);
    }
  });
});

describe('a failing image in the bake session', () => {
  const tempDir = useTempDirs('meshbuild-bake-session-fail-');
  let run: CliResult;
  let report: { ok: boolean; jobs: ReportedJob[] };

  beforeAll(async () => {
    await requireDocker();
    const out = await tempDir();
    const reportFile = path.join(out, 'report.json');
    const targets = path.join(REPO_ROOT, 'test', 'fixtures', 'images', 'keep-going');
    run = await runCli(['all', '--builder', 'buildx', '--targets', targets, '--platforms', 'amd64,arm64', '--out', out, '--report', reportFile]);
    report = await readJson(reportFile);
  }, 900_000);

  it('exits 1 with one error naming the image, its bake target and platform, and buildx’s message', () => {
    expect(run.exitCode, run.stderr).toBe(1);
    const errors = errorLines(run.stderr);
    expect(errors, run.stderr).toHaveLength(1);
    expect(errors[0]).toMatch(/docker buildx bake failed for image broken \(target broken, linux\/(amd64|arm64)\): .*"\/not-in-context\.txt": not found/);
  });

  it("the broken image's own job failed; the good one, stopped by it, is skipped as cancelled", () => {
    const job = (id: string) => report.jobs.find((j) => j.id === id)!;
    expect(report.ok).toBe(false);
    expect(job('image:broken').status).toBe('failed');
    expect(job('image:broken').error?.message).toMatch(/image broken \(target broken, linux\//);
    expect([job('image:good').status, job('image:good').reason]).toEqual(['skipped', 'cancelled after a failure']);
    expect(report.jobs.filter((j) => j.status === 'failed').map((j) => j.id)).toEqual(['image:broken']);
  });
});
