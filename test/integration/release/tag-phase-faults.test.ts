/**
 * The tag phase against a registry that fails inside it (the fault proxy in front of the real
 * registry refuses tag writes from the K-th on): for `all --push`, `release` over an existing
 * release and `merge`, every tag afterwards is as before the run or listed, as it now is, in
 * out/tags-journal.json and in the message; a re-run without faults completes every tag. And
 * SIGINT while tags are being written: exit 130, the same accounting.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startSpawnedCli, STACK_FRAME, type CliResult } from '../../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { getManifest, listTags, uniqueNamespace } from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';
import { ALL_IMAGES, expectExit, repositoryOf, useTempDirs } from './fixtures.js';

const tempDir = useTempDirs('tag-phase-faults');
const TIMEOUT = 900_000;
/** A manifest PUT by tag, not by digest. */
const TAG_WRITE = /\/manifests\/(?!sha256:)[^/?]+$/;
const BUILD = ['--platforms', 'amd64,arm64', '--builder', 'native'];

interface Journal {
  command: string;
  tags: Array<{ reference: string; before: string | null; intended: string; now: string | null; undone: boolean }>;
}

/** Every `image:tag` of the namespace -> the digest it names, read from the registry directly. */
async function tagState(registry: string, namespace: string): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  for (const image of ALL_IMAGES) {
    for (const tag of await listTags(registry, repositoryOf(namespace, image)))
      state[`${image}:${tag}`] = (await getManifest(registry, repositoryOf(namespace, image), tag)).digest;
  }
  return state;
}

function readJournal(out: string): Journal | undefined {
  const file = path.join(out, 'tags-journal.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Journal) : undefined;
}

/** Each tag that is not as before the run is in the journal as it is now, and named in the message. */
function expectAccountedFor(before: Record<string, string>, after: Record<string, string>, journal: Journal | undefined, result: CliResult, hub: string): void {
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => before[key] !== after[key]);
  for (const key of changed) {
    const entry = journal?.tags.find((t) => t.reference === `${hub}/${key}`);
    expect(entry, `${key} changed (${before[key]} -> ${after[key]}) but is not in the journal:\n${result.stderr}`).toBeDefined();
    expect(entry!.now, key).toBe(after[key] ?? null);
    expect(entry!.before, key).toBe(before[key] ?? null);
    expect(entry!.undone, key).toBe(false);
    expect(result.stderr, key).toContain(`${hub}/${key} names`);
  }
  if (changed.length === 0) expect(result.stderr).toContain('every tag is as it was before the run');
  expect(result.stderr).not.toMatch(STACK_FRAME);
}

describe('the tag phase against a registry that fails inside it', () => {
  let registry: string;
  let proxy: FaultProxy;
  /** One --out for the pushes and shards: built once, warm after. */
  let out: string;
  const push = (namespace: string, extra: string[] = []) => [
    'all',
    '--push',
    '--hub',
    `${proxy.address}/${namespace}`,
    '--tag',
    '1.0.0,latest',
    ...BUILD,
    '--out',
    out,
    ...extra,
  ];

  beforeAll(async () => {
    registry = await localRegistry();
    proxy = await startFaultProxy(registry);
    out = path.join(await tempDir(), 'out');
  });

  afterAll(async () => {
    await proxy?.close();
  });

  /** K = 1, 3, the middle one and the last, of `total` tag writes. */
  const positions = (total: number) => [...new Set([1, 3, Math.ceil(total / 2), total])];

  it(
    'all --push: refused from the K-th tag write on, for every K; a re-run completes it',
    async () => {
      const warm = uniqueNamespace('tags-warm');
      expectExit(await runCli(push(warm)), 0, 'the first push');
      const total = Object.keys(await tagState(registry, warm)).length;
      expect(total).toBe(ALL_IMAGES.length * 2);

      for (const k of positions(total)) {
        const namespace = uniqueNamespace(`tags-push-k${k}`);
        const hub = `${proxy.address}/${namespace}`;
        proxy.reset();
        proxy.failNext({ method: 'PUT', path: TAG_WRITE, skip: k - 1, count: Number.POSITIVE_INFINITY, status: 403 });
        const failed = await runCli(push(namespace));
        expectExit(failed, 1, `all --push refused from tag write ${k}`);
        expect(failed.stderr).toContain('the tag phase failed');
        expect(failed.stderr).toContain(`run \`meshbuild all --push --hub ${hub}`);
        expectAccountedFor({}, await tagState(registry, namespace), readJournal(out), failed, hub);

        proxy.reset();
        expectExit(await runCli(push(namespace)), 0, `all --push again after K=${k}`);
        expect(Object.keys(await tagState(registry, namespace)).length).toBe(total);
        expect(readJournal(out)).toBeUndefined();
      }
    },
    TIMEOUT,
  );

  it(
    'release over an existing release: refused at the K-th tag write (once, or from then on); latest never splits where undo can run',
    async () => {
      const releaseOut = path.join(await tempDir(), 'out');
      const namespace = uniqueNamespace('tags-release');
      const hub = `${proxy.address}/${namespace}`;
      const release = (version: string) => runCli(['release', version, '--hub', hub, ...BUILD, '--out', releaseOut]);
      proxy.reset();
      expectExit(await release('1.0.0'), 0, 'release 1.0.0');
      // Tag writes of a release over a release: images whose content did not change (the bases) keep 1.0 and latest.
      proxy.reset();
      expectExit(await release('1.0.1'), 0, 'release 1.0.1');
      const total = proxy.count('PUT', TAG_WRITE);
      expect(total).toBeGreaterThan(ALL_IMAGES.length);
      // Once: undo can run, so every moved tag goes back. From then on: undo is refused too.
      const cases = [
        { k: 1, count: Number.POSITIVE_INFINITY },
        { k: 3, count: 1 },
        { k: Math.ceil(total / 2), count: 1 },
        { k: total, count: Number.POSITIVE_INFINITY },
      ];
      let version = '';
      for (const [i, { k, count }] of cases.entries()) {
        version = `1.0.${i + 2}`;
        const before = await tagState(registry, namespace);
        proxy.reset();
        proxy.failNext({ method: 'PUT', path: TAG_WRITE, skip: k - 1, count, status: 403 });
        const failed = await release(version);
        expectExit(failed, 1, `release ${version} refused at tag write ${k} (${count} times)`);
        const after = await tagState(registry, namespace);
        expectAccountedFor(before, after, readJournal(releaseOut), failed, hub);
        if (count === 1)
          for (const image of ALL_IMAGES)
            for (const tag of ['1.0', 'latest']) expect(after[`${image}:${tag}`], `${image}:${tag}`).toBe(before[`${image}:${tag}`]);
      }
      proxy.reset();
      expectExit(await release(version), 0, `release ${version} again`);
      const done = await tagState(registry, namespace);
      for (const image of ALL_IMAGES) for (const tag of ['1.0', 'latest']) expect(done[`${image}:${tag}`], `${image}:${tag}`).toBe(done[`${image}:${version}`]);
      expect(readJournal(releaseOut)).toBeUndefined();
    },
    TIMEOUT,
  );

  it(
    'merge: refused from the K-th tag write on, for every K; a re-run completes it',
    async () => {
      const work = await tempDir();
      const namespace = uniqueNamespace('tags-merge');
      const hub = `${proxy.address}/${namespace}`;
      const shards = ['amd64', 'arm64'].map((arch) => path.join(work, `shard-${arch}.json`));
      proxy.reset();
      for (const [i, arch] of ['amd64', 'arm64'].entries()) {
        const shard = await runCli([
          'all',
          '--platforms',
          arch,
          '--hub',
          hub,
          '--push-by-digest',
          '--builder',
          'native',
          '--tag',
          'ci',
          '--report',
          shards[i]!,
          '--out',
          out,
        ]);
        expectExit(shard, 0, `shard ${arch}`);
      }
      const mergeOut = path.join(work, 'out');
      const total = ALL_IMAGES.length * 2;
      for (const k of positions(total)) {
        // Fresh tags each time: the shards give the same indexes, so tags already right would not be written.
        const merge = () => runCli(['merge', ...shards, '--tag', `1.0.${k},stable-${k}`, '--platforms', 'amd64,arm64', '--out', mergeOut]);
        const before = await tagState(registry, namespace);
        proxy.reset();
        proxy.failNext({ method: 'PUT', path: TAG_WRITE, skip: k - 1, count: Number.POSITIVE_INFINITY, status: 403 });
        const failed = await merge();
        expectExit(failed, 1, `merge refused from tag write ${k}`);
        expectAccountedFor(before, await tagState(registry, namespace), readJournal(mergeOut), failed, hub);

        proxy.reset();
        expectExit(await merge(), 0, `merge again after K=${k}`);
        const done = await tagState(registry, namespace);
        for (const image of ALL_IMAGES) expect(done[`${image}:stable-${k}`]).toBe(done[`${image}:1.0.${k}`]);
        expect(readJournal(mergeOut)).toBeUndefined();
      }
    },
    TIMEOUT,
  );

  it(
    'SIGINT while tags are written: exit 130, what was written is undone or listed; a re-run completes it',
    async () => {
      const namespace = uniqueNamespace('tags-sigint');
      const hub = `${proxy.address}/${namespace}`;
      const args = push(namespace);
      proxy.reset();
      // The third tag write hangs: meshbuild is inside the tag phase when Ctrl-C comes.
      proxy.delay({ method: 'PUT', path: TAG_WRITE, skip: 2, count: 1, ms: 600_000 });
      const { child } = await startSpawnedCli(args);
      while (proxy.count('PUT', TAG_WRITE) < 3 && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(proxy.count('PUT', TAG_WRITE), 'the run reached its third tag write').toBe(3);
      child.kill('SIGINT');
      const result = await child;
      const stderr = String(result.stderr);
      expect(result.exitCode, stderr).toBe(130);
      expect(stderr).toMatch(/interrupted/);
      proxy.reset();
      expectAccountedFor({}, await tagState(registry, namespace), readJournal(out), { exitCode: 130, stdout: String(result.stdout), stderr }, hub);

      expectExit(await runCli(args), 0, 'the same push again');
      expect(Object.keys(await tagState(registry, namespace)).length).toBe(ALL_IMAGES.length * 2);
    },
    TIMEOUT,
  );
});
