/**
 * A run with nothing to do answered from the last run's stamp: the stat snapshot (what counts as a
 * change), the command line's identity and --out, which runs qualify, and the whole write-then-
 * answer cycle on real temp files (no go, no builder, no registry).
 */
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEPT_STAMPS, stampRun, unstampableReason, type StampedRun } from '../../../src/cli/stamp-run.js';
import { PLAN_SCHEMA_VERSION, type Job, type Plan } from '../../../src/plan/types.js';
import type { RunSummaryView } from '../../../src/report/run-summary.js';
import { stampFile, stampKey, stampOutDir, unchangedRun } from '../../../src/run/run-stamp.js';
import { firstChanged, MISSING, SnapshotBuilder } from '../../../src/run/stat-snapshot.js';
import type { BuildFlags } from '../../../src/cli/flags.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-run-stamp-');

async function tree(): Promise<string> {
  const root = await tempDir();
  await mkdir(path.join(root, 'cmd', 'app'), { recursive: true });
  await writeFile(path.join(root, 'go.mod'), 'module example.test\n');
  await writeFile(path.join(root, 'cmd', 'app', 'main.go'), 'package main\n\nfunc main() {}\n');
  return root;
}

describe('SnapshotBuilder and firstChanged', () => {
  it('sees an edit, an added file, a removed file and a link retargeted; nothing else', async () => {
    const root = await tree();
    await symlink('go.mod', path.join(root, 'link'));
    const snapshot = new SnapshotBuilder();
    snapshot.addTree(root);
    expect(
      Object.keys(snapshot.entries)
        .map((f) => path.relative(root, f))
        .sort(),
    ).toEqual(['', 'cmd', 'cmd/app', 'cmd/app/main.go', 'go.mod', 'link']);
    expect(firstChanged(snapshot.entries)).toBeUndefined();

    const edited = { ...snapshot.entries };
    await writeFile(path.join(root, 'go.mod'), 'module example.test/other\n');
    expect(firstChanged(edited)).toBe(path.join(root, 'go.mod'));

    const again = new SnapshotBuilder();
    again.addTree(root);
    await writeFile(path.join(root, 'cmd', 'app', 'extra.go'), 'package main\n');
    expect(firstChanged(again.entries)).toBe(path.join(root, 'cmd', 'app'));

    const third = new SnapshotBuilder();
    third.addTree(root);
    await rm(path.join(root, 'link'));
    await symlink('cmd', path.join(root, 'link'));
    expect(firstChanged(third.entries)).toBeDefined();
  });

  it('without folders, new files beside the recorded ones are not a change; a removed one is', async () => {
    const root = await tree();
    const snapshot = new SnapshotBuilder();
    snapshot.addTree(root, { folders: false, skip: new Set([path.join(root, 'cmd')]) });
    expect(Object.keys(snapshot.entries)).toEqual([path.join(root, 'go.mod')]);
    await writeFile(path.join(root, 'new-file'), 'x');
    await writeFile(path.join(root, 'cmd', 'app', 'skipped.go'), 'x');
    expect(firstChanged(snapshot.entries)).toBeUndefined();
    await rm(path.join(root, 'go.mod'));
    expect(firstChanged(snapshot.entries)).toBe(path.join(root, 'go.mod'));
  });

  it('records a path that is not there, and a tool by the file PATH finds first', async () => {
    const root = await tree();
    const bin = path.join(root, 'bin');
    await mkdir(bin);
    await writeFile(path.join(bin, 'go'), '#!/bin/sh\n', { mode: 0o755 });
    const snapshot = new SnapshotBuilder();
    snapshot.add(path.join(root, 'absent'));
    expect(snapshot.addTool('go', { PATH: [path.join(root, 'nowhere'), bin].join(path.delimiter) })).toBe(path.join(bin, 'go'));
    expect(snapshot.entries[path.join(root, 'absent')]).toBe(MISSING);
    expect(snapshot.entries[path.join(root, 'nowhere', 'go')]).toBe(MISSING);
    // A go that appears earlier on PATH would run instead: that is a change.
    await mkdir(path.join(root, 'nowhere'));
    await writeFile(path.join(root, 'nowhere', 'go'), '#!/bin/sh\n', { mode: 0o755 });
    expect(firstChanged(snapshot.entries)).toBe(path.join(root, 'nowhere', 'go'));
  });
});

describe('stampKey and stampOutDir', () => {
  it('tell command lines apart by arguments, folder and environment, but not by the shell bookkeeping', () => {
    const key = stampKey(['all', '--tag', 't'], '/w', { A: '1', _: '/usr/bin/meshbuild' });
    expect(stampKey(['all', '--tag', 't'], '/w', { A: '1', _: '/usr/local/bin/meshbuild', OLDPWD: '/' })).toBe(key);
    expect(stampKey(['all', '--tag', 'u'], '/w', { A: '1' })).not.toBe(key);
    expect(stampKey(['all', '--tag', 't'], '/v', { A: '1' })).not.toBe(key);
    expect(stampKey(['all', '--tag', 't'], '/w', { A: '2' })).not.toBe(key);
    expect(stampKey(['all', '--tag', 't'], '/w', { A: '1', GOFLAGS: '-mod=vendor' })).not.toBe(key);
  });

  it('reads --out as yargs does, and gives up when it is named twice', () => {
    expect(stampOutDir(['all'], '/w')).toBe('/w/out');
    expect(stampOutDir(['all', '--out', 'build/o'], '/w')).toBe('/w/build/o');
    expect(stampOutDir(['all', '--out=/abs'], '/w')).toBe('/abs');
    expect(stampOutDir(['all', '--out', 'a', '--out=b'], '/w')).toBeUndefined();
  });
});

const view: RunSummaryView = { schemaVersion: 1, command: 'all', ok: true, durationMs: 1200, images: [], output: 'binaries in out' };
const goJob = { kind: 'go-build', id: 'go:linux_amd64', needs: [], title: 'go' } as unknown as Job;

function planFor(source: string, out: string, overrides: Partial<Plan> = {}): Plan {
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    version: '1.0.0',
    platforms: [],
    variants: ['default'],
    hubs: [],
    tags: ['1.0.0'],
    outDir: out,
    sourceDir: source,
    sourceDateEpoch: 0,
    output: null,
    jobs: [goJob],
    ...overrides,
  };
}

function runOf(source: string, out: string, extra: Partial<StampedRun> = {}): StampedRun {
  const flags = { targets: path.join(source, 'targets'), source, out, json: false, quiet: false } as unknown as BuildFlags;
  return {
    argv: ['all', '--source', source, '--out', out],
    cwd: source,
    env: { PATH: '' },
    startedAt: Date.now() + 60_000,
    plan: planFor(source, out),
    flags,
    usedOutside: false,
    view,
    ...extra,
  };
}

describe('unstampableReason', () => {
  it('stamps a local build, and names why not for what asks outside the file system or writes more', () => {
    const run = runOf('/src', '/src/out');
    expect(unstampableReason(run)).toBeUndefined();
    const image = { ...goJob, kind: 'image-build', builder: 'buildx' } as unknown as Job;
    const fetch = { ...goJob, kind: 'fetch' } as unknown as Job;
    expect(unstampableReason({ ...run, argv: ['release', '1.0.0'] })).toMatch(/not all or build/);
    expect(unstampableReason({ ...run, flags: { ...run.flags, report: 'r.json' } })).toMatch(/report/);
    expect(unstampableReason({ ...run, env: { GITHUB_ACTIONS: 'true' } })).toMatch(/GitHub/);
    expect(unstampableReason({ ...run, plan: planFor('/src', '/src/out', { output: { kind: 'registry', tags: true } }) })).toMatch(/registry/);
    expect(unstampableReason({ ...run, plan: planFor('/src', '/src/out', { jobs: [fetch] }) })).toMatch(/downloads/);
    expect(unstampableReason({ ...run, plan: planFor('/src', '/src/out', { jobs: [image] }) })).toMatch(/buildx/);
    expect(unstampableReason({ ...run, usedOutside: true })).toMatch(/base image/);
    expect(unstampableReason({ ...run, argv: ['all', '--out', 'elsewhere'] })).toMatch(/--out/);
    expect(unstampableReason({ ...run, flags: { ...run.flags, source: undefined }, cwd: '/home' })).toMatch(/sample/);
  });
});

describe('stampRun then unchangedRun', () => {
  it('answers the same command line until an input or an output changes', async () => {
    const source = await tree();
    await mkdir(path.join(source, 'targets'));
    await writeFile(path.join(source, 'targets', 'mesh.yaml'), 'binaries: {}\n');
    const out = path.join(source, 'out');
    await mkdir(path.join(out, 'linux_amd64'), { recursive: true });
    await writeFile(path.join(out, 'linux_amd64', 'app'), 'binary');
    const run = runOf(source, out);
    expect(await stampRun(run)).toBeUndefined();

    const answered = unchangedRun(run.argv, run.cwd, run.env);
    expect(answered?.view).toEqual(view);
    expect(answered?.jobs).toBe(1);
    expect(unchangedRun([...run.argv, '--jobs', '2'], run.cwd, run.env)).toBeUndefined();
    expect(unchangedRun(run.argv, run.cwd, { PATH: '/usr/bin' })).toBeUndefined();

    // Another run holding --out may be changing it.
    await writeFile(path.join(out, '.lock'), '1');
    expect(unchangedRun(run.argv, run.cwd, run.env)).toBeUndefined();
    await rm(path.join(out, '.lock'));
    // The run's own bookkeeping is not an output.
    await writeFile(path.join(out, '.records', 'file-digests.json'), '{}');
    expect(unchangedRun(run.argv, run.cwd, run.env)).toBeDefined();

    await writeFile(path.join(source, 'targets', 'mesh.yaml'), 'binaries: {app: {package: ./cmd/app}}\n');
    expect(unchangedRun(run.argv, run.cwd, run.env)).toBeUndefined();
    expect(await stampRun(run)).toBeUndefined();
    expect(unchangedRun(run.argv, run.cwd, run.env)).toBeDefined();
    await rm(path.join(out, 'linux_amd64', 'app'));
    expect(unchangedRun(run.argv, run.cwd, run.env)).toBeUndefined();
  });

  it('leaves no stamp when an input changed within two seconds of the start, or a .git file points elsewhere', async () => {
    const source = await tree();
    const out = path.join(source, 'out');
    expect(await stampRun(runOf(source, out, { startedAt: Date.now() }))).toMatch(/changed just before or during/);
    expect(unchangedRun(runOf(source, out).argv, source, { PATH: '' })).toBeUndefined();
    await writeFile(path.join(source, '.git'), 'gitdir: /elsewhere\n');
    expect(await stampRun(runOf(source, out))).toMatch(/worktree or submodule/);
  });

  it('keeps the newest stamps only, one per command line, and clears what a cut-short write left', async () => {
    const source = await tree();
    const out = path.join(source, 'out');
    const runs = path.join(out, '.records', 'runs');
    await mkdir(runs, { recursive: true });
    await writeFile(path.join(runs, 'abc.json.tmp-1-ffff'), '{');
    const lines = Array.from({ length: KEPT_STAMPS + 2 }, (_, i) => [...runOf(source, out).argv, '--tag', `t${i}`]);
    for (const argv of lines) expect(await stampRun(runOf(source, out, { argv }))).toBeUndefined();
    expect((await readdir(runs)).length).toBe(KEPT_STAMPS);
    expect(unchangedRun(lines.at(-1)!, source, { PATH: '' })).toBeDefined();
  });

  it('is kept under --out/.records/runs, named by the key', () => {
    expect(stampFile('/o', 'ab'.repeat(32))).toBe(`/o/.records/runs/${'ab'.repeat(16)}.json`);
  });
});
