/**
 * Nothing to do costs nearly nothing, through the real CLI, go and registry: a second run of the
 * sample reports every job up to date and leaves identical outputs; editing one Go file rebuilds
 * only the images whose binaries changed; a deleted output is rebuilt; and a second `--push`
 * (counted at the fault proxy in front of the real registry) sends no blob and writes no tag.
 * The same command line once more is answered from the last run's stamp, until anything changes.
 */
import { readFile, rm, appendFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { uniqueNamespace } from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';
import { copySample, listFiles, useTempDirs } from './files.js';

const tempDir = useTempDirs('meshbuild-up-to-date-');
const TIMEOUT = 600_000;

/** Ids of the jobs a run reported up to date, and of those it built. */
function outcomes(result: CliResult): { upToDate: string[]; built: string[] } {
  const lines = result.stderr.split('\n');
  const upToDate = lines.flatMap((l) => /\bdone {3}(\S+): up to date$/.exec(l)?.slice(1, 2) ?? []);
  const built = lines.flatMap((l) => /^\S+ +(\S+): to do: /.exec(l)?.slice(1, 2) ?? []);
  return { upToDate: upToDate.sort(), built: built.sort() };
}

function expectOk(result: CliResult, what: string): void {
  expect(result.exitCode, `${what}:\n${result.stderr}`).toBe(0);
}

/** Every file of a folder with its bytes' length and content, for comparing two runs' outputs. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const file of await listFiles(dir)) files[file] = (await readFile(path.join(dir, file))).toString('base64');
  return files;
}

describe('a run with nothing to do', () => {
  let source: string;
  let out: string;
  const build = (extra: string[] = []) =>
    runCli(['all', '--platforms', 'amd64,arm64', '--builder', 'native', '--source', source, '--tag', '1.0.0', '--out', out, ...extra]);

  beforeAll(async () => {
    source = await copySample(path.join(await tempDir(), 'mesh'));
    out = path.join(await tempDir(), 'out');
  }, TIMEOUT);

  it(
    'reports every job up to date the second time and leaves every output as it was',
    async () => {
      const first = await build();
      expectOk(first, 'the first run');
      expect(outcomes(first).upToDate).toEqual([]);
      const before = await snapshot(out);

      const second = await build();
      expectOk(second, 'the second run');
      const jobIds = outcomes(second).upToDate;
      // Every go and image job of the plan (the publish step always runs: it only reads tags here).
      const planned = (
        await runCli(['plan', '--json', '--platforms', 'amd64,arm64', '--builder', 'native', '--source', source, '--tag', '1.0.0', '--out', out])
      ).stdout;
      const ids = (JSON.parse(planned) as { jobs: Array<{ id: string; kind: string }> }).jobs.filter((j) => j.kind !== 'publish').map((j) => j.id);
      expect(ids.length).toBeGreaterThan(10);
      expect(jobIds).toEqual([...ids].sort());
      expect(second.stderr).not.toMatch(/to do: /);
      expect(second.stderr).toMatch(/writing 0 tags/);
      expect(await snapshot(out)).toEqual(before);
    },
    TIMEOUT,
  );

  it(
    'after one Go file is edited, only the images holding a binary that changed are built again',
    async () => {
      await appendFile(path.join(source, 'istioctl', 'cmd', 'istioctl', 'main.go'), '\nvar edited = "yes"\n\nfunc init() { _ = edited }\n');
      const result = await build();
      expectOk(result, 'the run after the edit');
      const { built } = outcomes(result);
      // go relinks every batch (the source tree changed); istioctl's binary changed, the others are byte-identical.
      expect(built.filter((id) => id.startsWith('image:'))).toEqual(['image:istioctl']);
      expect(outcomes(result).upToDate).toContain('image:pilot');
      const again = await build();
      expect(outcomes(again).built).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'a deleted or damaged output is built again, and nothing else',
    async () => {
      await rm(path.join(out, 'linux_arm64', 'pilot-discovery'));
      const layoutIndex = (await listFiles(path.join(out, 'build'))).find((f) => f.startsWith('image_app') && f.endsWith('index.json'));
      expect(layoutIndex).toBeDefined();
      await appendFile(path.join(out, 'build', layoutIndex!), ' ');
      const result = await build();
      expectOk(result, 'the run after deleting outputs');
      const { built } = outcomes(result);
      expect(built).toEqual(['go:linux_arm64', 'image:app']);
      expect(result.stderr).toMatch(/go:linux_arm64: to do: .*pilot-discovery is missing/);
      expect((await listFiles(out)).includes('linux_arm64/pilot-discovery')).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'one image after all: its Go binaries, built in larger batches by the run before, are up to date',
    async () => {
      const one = (name: string) =>
        runCli(['build', name, '--platforms', 'amd64,arm64', '--builder', 'native', '--source', source, '--tag', '1.0.0', '--out', out]);
      for (const name of ['install-cni', 'pilot']) {
        const result = await one(name);
        expectOk(result, `build ${name}`);
        expect(outcomes(result).built, result.stderr).toEqual([]);
        expect(outcomes(result).upToDate.filter((id) => id.startsWith('go:')).length).toBeGreaterThan(0);
      }
      expect(outcomes(await build()).built).toEqual([]);
    },
    TIMEOUT,
  );
});

describe('buildx images in one bake session', () => {
  it(
    'are up to date the second time; one rebuilt on an up-to-date base of the session links the base it left',
    async () => {
      const source = await copySample(path.join(await tempDir(), 'mesh'));
      const out = path.join(await tempDir(), 'out');
      const build = () => runCli(['all', '--builder', 'buildx', '--platforms', 'amd64,arm64', '--source', source, '--tag', '1.0.0', '--out', out]);
      expectOk(await build(), 'the first buildx run');
      const second = await build();
      expectOk(second, 'the second buildx run');
      expect(outcomes(second).built).toEqual([]);
      expect(second.stderr).not.toMatch(/buildx bake/);

      await appendFile(path.join(source, 'istioctl', 'cmd', 'istioctl', 'main.go'), '\nvar edited = "yes"\n\nfunc init() { _ = edited }\n');
      const third = await build();
      expectOk(third, 'the buildx run after the edit');
      expect(outcomes(third).built.filter((id) => id.startsWith('image:'))).toEqual(['image:istioctl']);
      expect(outcomes(third).upToDate).toContain('image:base');
    },
    TIMEOUT,
  );
});

describe('a push with nothing to do', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(await localRegistry());
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it(
    'sends no blob or manifest and writes no tag: one manifest HEAD per image and tag',
    async () => {
      const source = await copySample(path.join(await tempDir(), 'mesh'));
      const out = path.join(await tempDir(), 'out');
      const hub = `${proxy.address}/${uniqueNamespace('up-to-date')}`;
      const push = () =>
        runCli(['all', '--push', '--hub', hub, '--tag', '1.0.0', '--platforms', 'amd64,arm64', '--builder', 'native', '--source', source, '--out', out]);
      expectOk(await push(), 'the first push');
      proxy.reset();
      const again = await push();
      expectOk(again, 'the second push');
      const images = again.stderr.split('\n').filter((l) => /\bdone {3}image:\S+: up to date$/.test(l)).length;
      expect(images).toBeGreaterThan(5);
      expect(again.stderr).toMatch(/writing 0 tags/);
      const writes = proxy.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
      expect(writes, 'nothing sent').toEqual([]);
      const manifestReads = proxy.requests.filter((r) => r.url.includes('/manifests/'));
      expect(manifestReads.every((r) => r.method === 'HEAD' && r.url.endsWith('/manifests/1.0.0'))).toBe(true);
      expect(manifestReads.length).toBe(images);
      expect(proxy.requests.filter((r) => r.url.includes('/blobs/'))).toEqual([]);
    },
    TIMEOUT,
  );
});

describe('the same command line again, nothing changed', () => {
  const references = (stdout: string) => stdout.split('\n').flatMap((line) => /\s(oci:\S+@sha256:[0-9a-f]{64})$/.exec(line)?.slice(1, 2) ?? []);

  it(
    'is answered from the last run without a job; a file added to the source runs the command again',
    async () => {
      const source = await copySample(path.join(await tempDir(), 'mesh'));
      const out = path.join(await tempDir(), 'out');
      const build = () => runCli(['all', '--platforms', 'amd64', '--builder', 'native', '--source', source, '--tag', '1.0.0', '--out', out]);
      expectOk(await build(), 'the first run');
      // Inputs changed less than two seconds before a run leave no stamp: a stat could hide a later edit.
      await sleep(2100);
      const stamped = await build();
      expectOk(stamped, 'the run that leaves the stamp');
      expect(stamped.stderr).not.toMatch(/nothing changed since/);
      expect(outcomes(stamped).upToDate.length).toBeGreaterThan(5);

      const answered = await build();
      expectOk(answered, 'the answered run');
      expect(answered.stderr).toMatch(/^all: nothing changed since its last run \(\d+ files and folders checked in \d+ms\); \d+ jobs up to date$/m);
      expect(outcomes(answered).upToDate).toEqual([]);
      expect(references(answered.stdout).length).toBeGreaterThan(5);
      expect(references(answered.stdout)).toEqual(references(stamped.stdout));

      await writeFile(path.join(source, 'NOTES.md'), 'a new file in the source tree\n');
      const after = await build();
      expectOk(after, 'the run after the new file');
      expect(after.stderr).not.toMatch(/nothing changed since/);
      expect(references(after.stdout)).toEqual(references(stamped.stdout));
    },
    TIMEOUT,
  );
});
