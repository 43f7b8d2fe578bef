/**
 * `--out` through the real CLI: one run per folder (`<out>/.lock` holds the holder's pid; a live
 * holder is exit 2 naming it, a dead one's lock is taken over, and the lock goes when the run
 * ends, failed or not), unusable `--out` values and a missing `--source` are exit 2 naming the
 * flag, never a stack trace or a hang. Builds here only copy a local artifact: no Go, no Docker.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { STACK_FRAME, runCli, startSpawnedCli } from '../../support/cli.js';
import { useTempDirs } from './files.js';

const tempDir = useTempDirs('meshbuild-out-lock-');

/** A targets folder with one local artifact, a source tree, and an --out path (not made yet). */
async function world() {
  const dir = await tempDir();
  const targets = path.join(dir, 'repo', 'targets');
  const source = path.join(dir, 'src');
  await mkdir(targets, { recursive: true });
  await mkdir(path.join(dir, 'repo', 'files'), { recursive: true });
  await mkdir(source, { recursive: true });
  await writeFile(path.join(dir, 'repo', 'files', 'tool.bin'), 'a prebuilt tool\n');
  await writeFile(path.join(targets, 'artifacts.yaml'), 'artifacts:\n  tool:\n    path: ../files/tool.bin\n');
  return { dir, targets, source, out: path.join(dir, 'out') };
}

type World = Awaited<ReturnType<typeof world>>;

const build = (w: World, out = w.out, extra: string[] = []) =>
  runCli([
    'build',
    'artifact:tool',
    '--binaries-only',
    '--platforms',
    'amd64',
    '--targets',
    w.targets,
    '--source',
    w.source,
    '--tag',
    't',
    '--out',
    out,
    ...extra,
  ]);

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = execa('true');
  const pid = child.pid!;
  await child;
  return pid;
}

describe('one run per --out', () => {
  it('a lock held by a live process is refused with exit 2 naming its pid; the lock is left alone', async () => {
    const w = await world();
    const holder = execa('sleep', ['300'], { reject: false });
    try {
      await mkdir(w.out, { recursive: true });
      await writeFile(path.join(w.out, '.lock'), `${holder.pid}\n`);
      const result = await build(w);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^error: --out: ${escape(w.out)} is in use by another meshbuild run \\(pid ${holder.pid}\\)$`, 'm'));
      expect(result.stderr).toMatch(/^hint: wait for that run to end, or use another --out/m);
      expect(result.stderr).not.toMatch(STACK_FRAME);
      expect(await readFile(path.join(w.out, '.lock'), 'utf8')).toBe(`${holder.pid}\n`);
      expect(existsSync(path.join(w.out, 'linux_amd64', 'tool'))).toBe(false);
    } finally {
      holder.kill('SIGKILL');
      await holder;
    }
  });

  it.each([
    ['a dead pid', async () => `${await deadPid()}\n`],
    ['no pid at all', async () => 'not a pid\n'],
  ])('a stale lock (%s) is taken over, and released when the run ends', async (_what, content) => {
    const w = await world();
    await mkdir(w.out, { recursive: true });
    await writeFile(path.join(w.out, '.lock'), await content());
    const result = await build(w);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await readFile(path.join(w.out, 'linux_amd64', 'tool'), 'utf8')).toBe('a prebuilt tool\n');
    expect(existsSync(path.join(w.out, '.lock'))).toBe(false);
  });

  it('the lock is released after a failed run too, and the next run gets it', async () => {
    const w = await world();
    await writeFile(path.join(w.targets, 'artifacts.yaml'), 'artifacts:\n  tool:\n    path: ../files/{env:MESHBUILD_TEST_TOOL}\n');
    const failed = await runCli(
      ['build', 'artifact:tool', '--binaries-only', '--platforms', 'amd64', '--targets', w.targets, '--source', w.source, '--tag', 't', '--out', w.out],
      {
        env: { MESHBUILD_TEST_TOOL: 'missing.bin' },
      },
    );
    expect(failed.exitCode, failed.stderr).toBe(1);
    expect(existsSync(path.join(w.out, '.lock'))).toBe(false);
    const again = await runCli(
      ['build', 'artifact:tool', '--binaries-only', '--platforms', 'amd64', '--targets', w.targets, '--source', w.source, '--tag', 't', '--out', w.out],
      {
        env: { MESHBUILD_TEST_TOOL: 'tool.bin' },
      },
    );
    expect(again.exitCode, again.stderr).toBe(0);
  });
});

describe('the lock while a run is in flight', () => {
  it("is held with the run's pid (a second run is refused naming it), and gone after Ctrl-C (exit 130)", async () => {
    const w = await world();
    let requested: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => (requested = resolve));
    // Answers nothing: the fetch waits until the run is interrupted.
    const server = createServer(() => requested());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await writeFile(
        path.join(w.targets, 'artifacts.yaml'),
        `artifacts:\n  tool:\n    url: http://127.0.0.1:${port}/tool\n    sha256:\n      linux/amd64: "${'0'.repeat(64)}"\n`,
      );
      const { child } = await startSpawnedCli([
        'build',
        'artifact:tool',
        '--binaries-only',
        '--platforms',
        'amd64',
        '--targets',
        w.targets,
        '--source',
        w.source,
        '--tag',
        't',
        '--out',
        w.out,
      ]);
      await Promise.race([stalled, child.then(() => undefined)]);
      expect(child.exitCode, 'still running when the server got the request').toBeNull();
      expect(await readFile(path.join(w.out, '.lock'), 'utf8')).toBe(`${child.pid}\n`);
      const second = await build(w);
      expect(second.exitCode, second.stderr).toBe(2);
      expect(second.stderr).toMatch(new RegExp(`^error: --out: ${escape(w.out)} is in use by another meshbuild run \\(pid ${child.pid}\\)$`, 'm'));
      child.kill('SIGINT');
      const result = await child;
      expect(result.exitCode, String(result.stderr)).toBe(130);
      expect(existsSync(path.join(w.out, '.lock'))).toBe(false);
      expect(existsSync(path.join(w.out, '.tmp'))).toBe(false);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('unusable --out and --source are exit 2 naming the flag', () => {
  it('--out under a regular file, or a regular file itself', async () => {
    const w = await world();
    const file = path.join(w.dir, 'a-file');
    await writeFile(file, 'not a folder\n');
    for (const [out, problem] of [
      [path.join(file, 'out'), `is under ${file}, which is a file, not a folder`],
      [file, 'is a file, not a folder'],
    ] as const) {
      const result = await build(w, out);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^error: --out: ${escape(out)} ${escape(problem)}$`, 'm'));
      expect(result.stderr).toMatch(/^hint: point --out at a folder you can write to/m);
      expect(result.stderr).not.toMatch(STACK_FRAME);
    }
  });

  it('--out "" (it would be the current folder)', async () => {
    const result = await build(await world(), '');
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/^error: --out needs a folder$/m);
  });

  it.each(['/sys/meshbuild-out', '/dev/meshbuild-out'])('--out %s (a kernel file system)', async (out) => {
    const result = await build(await world(), out);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^error: --out: ${escape(out)} is in a kernel file system$`, 'm'));
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('--out /proc/x ends with exit 2 (it used to spin in a recursive mkdir)', async () => {
    const w = await world();
    const { child } = await startSpawnedCli([
      'build',
      'artifact:tool',
      '--binaries-only',
      '--platforms',
      'amd64',
      '--targets',
      w.targets,
      '--source',
      w.source,
      '--tag',
      't',
      '--out',
      '/proc/x',
    ]);
    // A hang catcher only: nothing here measures time.
    const hang = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const result = await child;
    clearTimeout(hang);
    expect(result.signal, 'killed by the hang catcher').toBeUndefined();
    expect(result.exitCode, String(result.stderr)).toBe(2);
    expect(String(result.stderr)).toMatch(/^error: --out: \/proc\/x is in a kernel file system$/m);
    expect(String(result.stderr)).not.toMatch(STACK_FRAME);
  });

  it('--source that does not exist, or is a file', async () => {
    const w = await world();
    const file = path.join(w.dir, 'a-file');
    await writeFile(file, 'x\n');
    for (const [source, problem] of [
      [path.join(w.dir, 'no-such-source'), 'does not exist'],
      [file, 'is not a folder'],
    ] as const) {
      const result = await runCli([
        'build',
        'artifact:tool',
        '--binaries-only',
        '--platforms',
        'amd64',
        '--targets',
        w.targets,
        '--source',
        source,
        '--tag',
        't',
        '--out',
        w.out,
      ]);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^error: --source: ${escape(source)} ${problem}$`, 'm'));
      expect(result.stderr).not.toMatch(STACK_FRAME);
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
