/**
 * Ctrl-C during a real go build: the CLI stops the compiler, exits 130 and leaves out/ without
 * temp folders or half-written binaries. A private, empty GOCACHE makes the build slow enough
 * to be interrupted mid-way.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STACK_FRAME, startSpawnedCli, stderrUntil } from '../../support/cli.js';
import { copySample, elfMachine, listFiles, readHead, useTempDirs } from './files.js';

const tempDir = useTempDirs('meshbuild-sigint-');

describe('SIGINT during a build', () => {
  it('exits 130 and leaves no partial file in out/', async () => {
    const work = await tempDir();
    const source = await copySample(path.join(work, 'mesh'));
    const out = path.join(work, 'out');
    const { child } = await startSpawnedCli(
      ['build', 'pilot', 'proxyv2', 'istioctl', '--binaries-only', '--platforms', 'amd64,arm64', '--source', source, '--tag', 't', '--out', out],
      {
        env: { GOCACHE: path.join(work, 'gocache') },
      },
    );

    const stderr = await stderrUntil(child, / start {2}go build /);
    expect(stderr, 'the go build started').toMatch(/ start {2}go build /);
    // Let the go command get going (it is compiling the standard library into the empty cache).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(child.exitCode, `still running when interrupted; stderr so far:\n${stderr}`).toBeNull();
    child.kill('SIGINT');
    const result = await child;

    expect(result.exitCode, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/^error: interrupted by SIGINT$/m);
    expect(result.stderr).not.toMatch(STACK_FRAME);

    // No temp folder; anything in out/ is a whole binary (a batch may have finished just before).
    expect(await listFiles(path.join(out, '.tmp'))).toEqual([]);
    for (const file of await listFiles(out)) {
      const full = path.join(out, file);
      expect(file, 'only finished binaries in out/').toMatch(/^linux_(amd64|arm64)\/(envoy|istioctl|pilot-agent|pilot-discovery)$/);
      // elfMachine throws for a file that is not ELF or is cut short before its section headers.
      expect(elfMachine(await readHead(full), (await stat(full)).size), `${file} is whole`).toBeGreaterThan(0);
    }
  });
});
