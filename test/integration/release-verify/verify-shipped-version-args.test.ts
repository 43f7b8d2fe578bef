/**
 * The bundled sample answers every version command the shipped graph declares: `verify --run
 * --targets targets/` on the sample's pushed images runs `version` (istioctl: `version
 * --remote=false`; app and ext-authz: `--help`) on amd64 and arm64 (under qemu), and passes.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../support/cli.js';
import { localRegistry } from '../../support/registry.js';
import { requireDocker, uniqueNamespace } from '../../support/images.js';
import { TAG, buildAndPush, removeEngineImages, tempDir, verifyContainers } from './fixtures.js';

const SHIPPED_TARGETS = path.join(REPO_ROOT, 'targets');

/** The shipped graph's versionArgs, and the executable each sample image starts. */
const EXPECTED: Record<string, string[]> = {
  pilot: ['/usr/local/bin/pilot-discovery', 'version'],
  proxyv2: ['/usr/local/bin/pilot-agent', 'version'],
  istioctl: ['/usr/local/bin/istioctl', 'version', '--remote=false'],
  'install-cni': ['/usr/local/bin/install-cni', 'version'],
  app: ['/usr/local/bin/server', '--help'],
  'ext-authz': ['/usr/local/bin/extauthz', '--help'],
};

interface VerifyJson {
  ok: boolean;
  results: Array<{
    reference: string;
    ok: boolean;
    problems: unknown[];
    runs: Array<{ platform: string; exitCode: number; output: string; command: string[] }>;
  }>;
}

describe("meshbuild verify --run with the shipped graph's version commands", () => {
  let registry: string;
  let namespace: string;
  let hub: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    registry = await localRegistry();
    await requireDocker();
    namespace = uniqueNamespace('verify-args');
    const temp = await tempDir('verify-args');
    cleanup = temp.remove;
    ({ hub } = await buildAndPush(registry, namespace, temp.dir));
  });

  afterAll(async () => {
    if (registry !== undefined && namespace !== undefined) await removeEngineImages(registry, namespace);
    await cleanup?.();
  });

  it('runs each image with its declared arguments on both platforms, and every run passes', async () => {
    const references = Object.keys(EXPECTED).map((image) => `${hub}/${image}:${TAG}`);
    const result = await runCli(['verify', ...references, '--run', '--targets', SHIPPED_TARGETS, '--json']);
    const parsed = JSON.parse(result.stdout) as VerifyJson;
    expect(parsed.results.map((r) => ({ reference: r.reference, problems: r.problems }))).toEqual(references.map((reference) => ({ reference, problems: [] })));
    expect(result.exitCode, result.stderr).toBe(0);
    for (const [image, command] of Object.entries(EXPECTED)) {
      const runs = parsed.results.find((r) => r.reference === `${hub}/${image}:${TAG}`)!.runs;
      expect(runs.map((r) => r.platform)).toEqual(['linux/amd64', 'linux/arm64']);
      for (const run of runs) {
        expect(run.command, image).toEqual(command);
        expect(run.exitCode, `${image} ${run.platform}: ${run.output}`).toBe(0);
        if (command.includes('version')) expect(run.output).toBe(`${path.basename(command[0]!)} version ${TAG} ${run.platform}`);
        else expect(run.output).toMatch(/^Usage: /);
      }
    }
    expect(await verifyContainers()).toBe(0);
  });
});
