/**
 * The summary at the end of a real run (`build pilot --push` to the local registry, native
 * builder), as GitHub Actions sees it: `--json` on stdout, parsed, every reference and compressed
 * size checked against what the registry holds; the Markdown and Gantt chart appended to
 * $GITHUB_STEP_SUMMARY; and the CI log's table, with digests, sizes and times normalized, golden.
 */
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummaryView } from '../../../src/report/run-summary.js';
import { REPO_ROOT, runCli, type CliResult } from '../../support/cli.js';
import { getManifest, OCI_INDEX, uniqueNamespace } from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-summary-');
const SAMPLE = path.join(REPO_ROOT, 'examples', 'mesh');

/** Digests, sizes and times differ from machine to machine: the golden file has placeholders. */
function normalized(text: string, hub: string): string {
  return text
    .replaceAll(hub, 'HUB')
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:DIGEST')
    .replace(/\d+(\.\d+)? (B|KiB|MiB|GiB)\b/g, 'SIZE')
    .replace(/\b\d+(\.\d)?m?s\b|\b\d+m\d+s\b/g, 'TIME')
    .replace(/ +$/gm, '')
    .replace(/ {2,}/g, '  ');
}

describe('the summary of build pilot --push on GitHub Actions', () => {
  let hub: string;
  let stepSummary: string;
  let json: CliResult;
  let view: RunSummaryView;

  beforeAll(async () => {
    hub = `${await localRegistry()}/${uniqueNamespace('summary')}`;
    const dir = await tempDir();
    stepSummary = path.join(dir, 'step-summary.md');
    await writeFile(stepSummary, '');
    const args = ['build', 'pilot', '--source', SAMPLE, '--builder', 'native', '--hub', hub, '--tag', 's1', '--push', '--out', path.join(dir, 'out')];
    json = await runCli([...args, '--json'], { env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: stepSummary } });
    view = JSON.parse(json.stdout) as RunSummaryView;
  }, 600_000);

  it('prints the summary as JSON on stdout, and only that', () => {
    expect(json.exitCode, json.stderr).toBe(0);
    expect(view).toMatchObject({ schemaVersion: 1, command: 'build', ok: true, output: hub });
    expect(view.images.map((row) => row.image).sort()).toEqual(['base', 'distroless', 'pilot']);
    for (const row of view.images) {
      expect(row.tags).toEqual(['s1']);
      expect(row.platforms).toEqual(['linux/amd64', 'linux/arm64']);
      expect(row.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('names each index by digest and weighs each platform by the layers the registry holds', async () => {
    for (const row of view.images) {
      const [repositoryRef, digest] = row.reference.split('@') as [string, string];
      const repository = repositoryRef.slice(repositoryRef.indexOf('/') + 1);
      const registry = repositoryRef.slice(0, repositoryRef.indexOf('/'));
      const index = await getManifest(registry, repository, digest, OCI_INDEX);
      expect(index.digest).toBe(digest);
      expect((await getManifest(registry, repository, 's1', OCI_INDEX)).digest).toBe(digest);
      const manifests = (index.json.manifests as Array<{ digest: string; platform: { os: string; architecture: string } }>).filter(
        (m) => m.platform.os !== 'unknown',
      );
      for (const entry of manifests) {
        const manifest = await getManifest(registry, repository, entry.digest);
        const layers = (manifest.json.layers as Array<{ size: number }>).reduce((sum, layer) => sum + layer.size, 0);
        expect(row.compressedSize?.[`${entry.platform.os}/${entry.platform.architecture}`]).toBe(layers);
      }
    }
  });

  it('appends the table and the Gantt chart of the run to the step summary', async () => {
    const markdown = await readFile(stepSummary, 'utf8');
    expect(markdown).toMatch(/^### meshbuild build: done in /);
    expect(markdown).toContain('| image | variant | platforms | tags | compressed | time | reference |');
    for (const row of view.images) expect(markdown).toContain(`\`${row.reference}\``);
    expect(markdown).toMatch(/```mermaid\ngantt\n {2}title meshbuild run .*\n {2}dateFormat x\n/);
    expect(markdown).toMatch(/section Images\n(.*\n)*.*pilot linux\/amd64,linux\/arm64 :.*\d+, \d+\n/);
  });

  it('writes no annotation for a run that succeeded', () => {
    expect(json.stderr).not.toContain('::error');
  });

  it('mirror --json ends with the same summary: the copy keeps the digest and the sizes', async () => {
    const pilot = view.images.find((row) => row.image === 'pilot')!;
    const destination = `${hub}-mirror`;
    const mirror = await runCli(['mirror', `${hub}/pilot:s1`, destination, '--json', '--out', path.join(await tempDir(), 'out')]);
    expect(mirror.exitCode, mirror.stderr).toBe(0);
    const mirrored = JSON.parse(mirror.stdout) as RunSummaryView;
    expect(mirrored).toMatchObject({ command: 'mirror', ok: true, output: destination });
    expect(mirrored.images).toEqual([
      {
        image: 'pilot',
        variant: 'default',
        platforms: pilot.platforms,
        reference: `${destination}/pilot@${pilot.reference.split('@')[1]!}`,
        tags: ['s1'],
        compressedSize: pilot.compressedSize,
      },
    ]);
  });

  it('ends the CI log with the table (golden, digests, sizes and times normalized)', async () => {
    const dir = await tempDir();
    const args = ['build', 'pilot', '--source', SAMPLE, '--builder', 'native', '--hub', hub, '--tag', 's1', '--push', '--out', path.join(dir, 'out')];
    const again = await runCli([...args, '--quiet']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toBe('');
    const golden = readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'golden', 'summary-ci-run.txt'), 'utf8');
    expect(normalized(again.stdout, hub)).toBe(golden);
  }, 600_000);
});
