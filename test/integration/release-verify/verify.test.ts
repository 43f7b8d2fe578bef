/**
 * `meshbuild verify` and `verifyReference` against real images in the real registry: the sample
 * built and pushed by the CLI passes (and runs on both platforms), an arm64 entry carrying the
 * amd64 binary is caught, attestation entries are reported but not counted as platforms.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlatformList } from '../../../src/platform.js';
import { verifyReference } from '../../../src/release/verify.js';
import { runCli } from '../../support/cli.js';
import { freePort, localRegistry } from '../../support/registry.js';
import { requireDocker, uniqueNamespace } from '../../support/images.js';
import {
  AMD64,
  TAG,
  buildAndPush,
  pushAttestedIndex,
  pushWrongArchImage,
  removeEngineImages,
  tagSinglePlatform,
  tempDir,
  verifyContainers,
} from './fixtures.js';

describe('meshbuild verify', () => {
  let registry: string;
  let namespace: string;
  let hub: string;
  let outDir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    registry = await localRegistry();
    await requireDocker();
    namespace = uniqueNamespace('verify');
    const temp = await tempDir('verify');
    outDir = temp.dir;
    cleanup = temp.remove;
    ({ hub } = await buildAndPush(registry, namespace, outDir));
  });

  afterAll(async () => {
    if (registry !== undefined && namespace !== undefined) await removeEngineImages(registry, namespace);
    await cleanup?.();
  });

  it('passes a pushed multi-arch image, listing both platforms', async () => {
    const reference = `${hub}/pilot:${TAG}`;
    const result = await runCli(['verify', reference, `${hub}/proxyv2:${TAG}`]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${reference} @ sha256:`);
    expect(result.stdout).toContain('platforms: linux/amd64, linux/arm64');
    expect(result.stdout).toContain('attestation entries: none');
    expect(result.stdout).toContain('verify: 2 of 2 references passed');

    const api = await verifyReference(reference, { platforms: parsePlatformList('amd64,arm64') });
    expect(api).toMatchObject({ reference, platforms: ['linux/amd64', 'linux/arm64'], attestations: [], problems: [], ok: true });
    expect(api.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(Object.keys(api).sort()).toEqual(['attestations', 'digest', 'ok', 'platforms', 'problems', 'reference']);
  });

  it('with --run starts each platform (arm64 under qemu) and sees it print its own platform', async () => {
    const reference = `${hub}/pilot:${TAG}`;
    const result = await runCli(['verify', reference, '--run', '--json']);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    const parsed = JSON.parse(result.stdout) as {
      ok: boolean;
      results: Array<{ ok: boolean; runs: Array<{ platform: string; exitCode: number; output: string; command: string[] }> }>;
    };
    expect(parsed.ok).toBe(true);
    const runs = parsed.results[0]!.runs;
    expect(runs.map((r) => r.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    for (const run of runs) {
      expect(run.command).toEqual(['/usr/local/bin/pilot-discovery', '--version']);
      expect(run.exitCode).toBe(0);
      expect(run.output).toBe(`pilot-discovery version ${TAG} ${run.platform}`);
    }
    expect(await verifyContainers()).toBe(0);

    const text = await runCli(['verify', `${hub}/app:${TAG}`, '--run']);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain(`run linux/amd64: /usr/local/bin/server --version -> server version ${TAG} linux/amd64`);
    expect(text.stdout).toContain(`run linux/arm64: /usr/local/bin/server --version -> server version ${TAG} linux/arm64`);
  });

  it('catches an arm64 entry that carries the amd64 binary, naming image, platform and file', async () => {
    const reference = await pushWrongArchImage(registry, `${namespace}/pilot-wrong-arch`, TAG, path.join(outDir, 'linux_amd64', 'pilot-discovery'), outDir);
    const result = await runCli(['verify', reference]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(reference);
    expect(result.stdout).toContain(
      'linux/arm64 /usr/local/bin/pilot-discovery: exec format error waiting to happen: /usr/local/bin/pilot-discovery is x86-64 but the image is linux/arm64',
    );
    expect(result.stdout).toContain('verify: 0 of 1 references passed');

    const api = await verifyReference(reference, { platforms: [] });
    expect(api.ok).toBe(false);
    expect(api.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(api.problems).toEqual([
      {
        reference,
        platform: 'linux/arm64',
        file: '/usr/local/bin/pilot-discovery',
        problem: 'exec format error waiting to happen: /usr/local/bin/pilot-discovery is x86-64 but the image is linux/arm64',
      },
    ]);
  });

  it('catches an arm64 entry whose image config says amd64', async () => {
    const reference = await pushWrongArchImage(registry, `${namespace}/mislabelled`, TAG, path.join(outDir, 'linux_amd64', 'pilot-discovery'), outDir, AMD64);
    const api = await verifyReference(reference, { platforms: [] });
    expect(api.ok).toBe(false);
    expect(api.problems.map((p) => [p.platform, p.problem])).toEqual([
      ['linux/arm64', 'the index lists linux/arm64 but its image config says linux/amd64'],
      ['linux/arm64', 'exec format error waiting to happen: /usr/local/bin/pilot-discovery is x86-64 but the image is linux/arm64'],
    ]);
  });

  it('reports an attestation entry without counting it as a platform', async () => {
    const { reference, digest } = await pushAttestedIndex(registry, `${namespace}/pilot`, TAG, `${TAG}-attested`);
    const result = await runCli(['verify', reference, '--platforms', 'amd64,arm64']);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toContain('platforms: linux/amd64, linux/arm64\n');
    expect(result.stdout).toContain('attestation entries: 1');
    expect(result.stdout).toMatch(/sha256:[a-f0-9]{64} \(unknown\/unknown, attestation-manifest, for sha256:[a-f0-9]{64}\)/);

    const api = await verifyReference(reference, { platforms: [] });
    expect(api).toMatchObject({ digest, platforms: ['linux/amd64', 'linux/arm64'], ok: true });
    expect(api.attestations).toHaveLength(1);
  });

  it('fails a platform the index lacks, and a single-platform image asked for two', async () => {
    const missing = await runCli(['verify', `${hub}/pilot:${TAG}`, '--platforms', 'amd64,arm64,s390x']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toContain('linux/s390x: the index does not list linux/s390x (it lists linux/amd64, linux/arm64)');

    const single = await tagSinglePlatform(registry, `${namespace}/pilot`, TAG, `${TAG}-amd64`);
    const result = await runCli(['verify', single, '--platforms', 'amd64,arm64']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('single-platform image: linux/amd64');
    expect(result.stdout).toContain('linux/arm64: single-platform image (linux/amd64), not an index');
  });

  it('exits 2 for bad input and 1 naming the registry when it cannot be reached', async () => {
    const bad = await runCli(['verify', 'Not A Reference']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('invalid image reference');
    const badPlatform = await runCli(['verify', `${hub}/pilot:${TAG}`, '--platforms', 'mips']);
    expect(badPlatform.exitCode).toBe(2);

    const nowhere = `127.0.0.1:${await freePort()}`;
    const unreachable = await runCli(['verify', `${nowhere}/mesh/pilot:${TAG}`]);
    expect(unreachable.exitCode).toBe(1);
    expect(unreachable.stderr).toContain(`cannot reach registry ${nowhere}`);

    const absent = await runCli(['verify', `${hub}/pilot:no-such-tag`]);
    expect(absent.exitCode).toBe(1);
    expect(absent.stderr).toContain(`${hub}/pilot:no-such-tag does not exist in registry ${registry}`);
  });
});
