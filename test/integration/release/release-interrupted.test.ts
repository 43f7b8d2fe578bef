/**
 * A release that does not get through leaves no tag of itself, and running it again finishes it,
 * sending only what the registry lacks: Ctrl-C (SIGINT) once pushing has started, and a registry
 * that starts answering 500 to every manifest PUT part-way (the fault proxy in front of the real one).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseReport } from '../../../src/release/release.js';
import { parseReport } from '../../../src/report/json-report.js';
import { runCli, startSpawnedCli, stderrUntil, STACK_FRAME } from '../../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { uniqueNamespace } from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';
import { ALL_IMAGES, expectExit, tagsByImage, useTempDirs } from './fixtures.js';

const tempDir = useTempDirs('release-interrupted');
const TIMEOUT = 600_000;
const noTags = Object.fromEntries(ALL_IMAGES.map((image) => [image, [] as string[]]));
const releaseTags = Object.fromEntries(ALL_IMAGES.map((image) => [image, ['1.0', '1.0.0', 'latest']]));
/** CI log lines of images stored by digest: repository -> blobs sent. */
function storedByDigest(log: string): Map<string, number> {
  return new Map([...log.matchAll(/stored by digest in (\S+): (\d+) blobs sent/g)].map((m) => [m[1]!, Number(m[2])]));
}

/**
 * Every image the first run stored completely is not sent again: the re-run finds its index there,
 * or finds the image up to date and prints no store line for it at all (the release's verify step
 * and tags, checked by the callers, show it is there).
 */
function expectResumed(first: string, again: string): void {
  const stored = storedByDigest(first);
  expect(stored.size, `the first run stored at least one image:\n${first}`).toBeGreaterThan(0);
  const resent = storedByDigest(again);
  for (const repository of stored.keys()) expect(resent.get(repository) ?? 0, `${repository} on the re-run:\n${again}`).toBe(0);
}

describe('an interrupted release', () => {
  let registry: string;

  beforeAll(async () => {
    registry = await localRegistry();
  });

  it(
    'SIGINT once pushing started: exit 130, no tag; running it again completes it',
    async () => {
      const namespace = uniqueNamespace('sigint');
      const hub = `${registry}/${namespace}`;
      const out = path.join(await tempDir(), 'out');
      const args = ['release', '1.0.0', '--hub', hub, '--platforms', 'amd64,arm64', '--builder', 'native', '--out', out];
      const { child } = await startSpawnedCli(args);
      const stderr = await stderrUntil(child, /stored by digest in /);
      expect(stderr, 'pushing started before the release ended').toMatch(/stored by digest in /);
      child.kill('SIGINT');
      const result = await child;

      expect(result.exitCode, String(result.stderr)).toBe(130);
      expect(String(result.stderr)).toMatch(/^error: release 1\.0\.0 interrupted; no tag of it was written$/m);
      expect(String(result.stderr)).toMatch(/^hint: run the same command again to finish it/m);
      expect(String(result.stderr)).not.toMatch(STACK_FRAME);
      expect(await tagsByImage(registry, namespace)).toEqual(noTags);

      const again = await runCli(args);
      expectExit(again, 0, 'the release run again');
      expect(await tagsByImage(registry, namespace)).toEqual(releaseTags);
      expectResumed(String(result.stderr), again.stderr);
    },
    TIMEOUT,
  );

  describe('through a registry that starts failing', () => {
    let proxy: FaultProxy;

    beforeAll(async () => {
      proxy = await startFaultProxy(registry);
    });

    afterAll(async () => {
      await proxy?.close();
    });

    it(
      '500 on every manifest PUT after the first six (the two bases): no tag, the report says what failed; healthy again, a re-run completes it',
      async () => {
        const namespace = uniqueNamespace('faults');
        const hub = `${proxy.address}/${namespace}`;
        const work = await tempDir();
        const reportFile = path.join(work, 'report.json');
        const args = [
          'release',
          '1.0.0',
          '--hub',
          hub,
          '--platforms',
          'amd64,arm64',
          '--builder',
          'native',
          '--out',
          path.join(work, 'out'),
          '--report',
          reportFile,
        ];
        proxy.failNext({ method: 'PUT', path: /\/manifests\//, skip: 6, count: Number.POSITIVE_INFINITY, status: 500 });

        const failed = await runCli(args);
        expectExit(failed, 1, 'release through the failing registry');
        expect(failed.stderr).toMatch(/error: release 1\.0\.0 failed \(\d+ problems?\); no tag of it was written/);
        expect(proxy.count('PUT', /\/manifests\/(1\.0\.0|1\.0|latest)$/), 'no tag was even tried').toBe(0);
        expect(await tagsByImage(registry, namespace)).toEqual(noTags);

        const report = parseReport(await readFile(reportFile, 'utf8'), reportFile) as ReleaseReport;
        expect(report.ok).toBe(false);
        expect(report.release.ok).toBe(false);
        const pushFailure = report.release.failures.find((f) => f.step === 'build' && f.problem.includes('500'));
        expect(pushFailure, JSON.stringify(report.release.failures, null, 2)).toMatchObject({ hubs: [hub], platforms: ['linux/amd64', 'linux/arm64'] });
        expect(ALL_IMAGES).toContain(pushFailure!.image);

        proxy.reset();
        const again = await runCli(args);
        expectExit(again, 0, 'the release run again through the healthy registry');
        expect(await tagsByImage(registry, namespace)).toEqual(releaseTags);
        expectResumed(failed.stderr, again.stderr);
      },
      TIMEOUT,
    );
  });
});
