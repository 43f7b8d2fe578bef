/**
 * `verify --run` on a pushed amd64+arm64 image that has a CMD and no ENTRYPOINT (as Istio's
 * install-cni): it runs the CMD's executable with the version command the targets declare
 * (`versionArgs: [version]`), with `--version-args` given, or with the default `--version`; and
 * `release --verify-run` runs the versionArgs of the release's graph (and skips a base, which
 * stages no binary of the graph and has nothing to start).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../support/cli.js';
import { localRegistry } from '../../support/registry.js';
import { requireDocker, uniqueNamespace } from '../../support/images.js';
import { removeEngineImages, tempDir, verifyContainers } from './fixtures.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'native', 'cmd-only');
const WRONG_VERSION_FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'native', 'cmd-only-wrong-version');
const TAG = 'c1';

interface RunJson {
  ok: boolean;
  results: Array<{ ok: boolean; problems: unknown[]; runs: Array<{ platform: string; exitCode: number; output: string; command: string[] }> }>;
}

describe('meshbuild verify --run on an image with only a CMD', () => {
  let registry: string;
  let namespace: string;
  let reference: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    registry = await localRegistry();
    await requireDocker();
    namespace = uniqueNamespace('verify-cmd');
    const temp = await tempDir('verify-cmd');
    cleanup = temp.remove;
    const hub = `${registry}/${namespace}`;
    const built = await runCli([
      'build',
      'cmd-only',
      '--targets',
      FIXTURE,
      '--builder',
      'native',
      '--platforms',
      'amd64,arm64',
      '--hub',
      hub,
      '--tag',
      TAG,
      '--push',
      '--out',
      temp.dir,
    ]);
    expect(built.exitCode, `${built.stderr}\n${built.stdout}`).toBe(0);
    reference = `${hub}/cmd-only:${TAG}`;
  });

  afterAll(async () => {
    if (registry !== undefined && namespace !== undefined) await removeEngineImages(registry, namespace);
    await cleanup?.();
  });

  it('is an image with a CMD and no ENTRYPOINT on both platforms', async () => {
    const get = async (kind: string, name: string, accept: string) => {
      const response = await fetch(`http://${registry}/v2/${namespace}/cmd-only/${kind}/${name}`, { headers: { accept } });
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    };
    const index = (await get('manifests', TAG, 'application/vnd.oci.image.index.v1+json')) as { manifests: Array<{ digest: string; mediaType: string }> };
    expect(index.manifests).toHaveLength(2);
    for (const entry of index.manifests) {
      const manifest = (await get('manifests', entry.digest, entry.mediaType)) as { config: { digest: string } };
      const config = (await get('blobs', manifest.config.digest, '*/*')) as { config: { Entrypoint?: string[] | null; Cmd?: string[] } };
      expect(config.config.Entrypoint ?? null).toBeNull();
      expect(config.config.Cmd).toEqual(['/usr/local/bin/install-cni']);
    }
  });

  it("runs the CMD's executable with the targets' versionArgs on amd64 and arm64 (under qemu)", async () => {
    const result = await runCli(['verify', reference, '--run', '--targets', FIXTURE, '--json']);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    const parsed = JSON.parse(result.stdout) as RunJson;
    expect(parsed.ok).toBe(true);
    const runs = parsed.results[0]!.runs;
    expect(runs.map((r) => r.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    for (const run of runs) {
      expect(run.command).toEqual(['/usr/local/bin/install-cni', 'version']);
      expect(run.exitCode).toBe(0);
      expect(run.output).toBe(`install-cni version ${TAG} ${run.platform}`);
    }
    expect(await verifyContainers()).toBe(0);
  });

  it('takes --version-args for a plain reference, and keeps --version without either', async () => {
    const flagged = await runCli(['verify', reference, '--run', '--version-args', 'version']);
    expect(flagged.exitCode, flagged.stderr + flagged.stdout).toBe(0);
    expect(flagged.stdout).toContain(`run linux/amd64: /usr/local/bin/install-cni version -> install-cni version ${TAG} linux/amd64`);
    expect(flagged.stdout).toContain(`run linux/arm64: /usr/local/bin/install-cni version -> install-cni version ${TAG} linux/arm64`);

    const plain = await runCli(['verify', reference, '--run']);
    expect(plain.exitCode, plain.stderr + plain.stdout).toBe(0);
    expect(plain.stdout).toContain(`run linux/arm64: /usr/local/bin/install-cni --version -> install-cni version ${TAG} linux/arm64`);
    expect(await verifyContainers()).toBe(0);
  });

  it('fails, naming the command and its exit code, when the executable does not answer the arguments', async () => {
    const result = await runCli(['verify', reference, '--run', '--version-args=--no-such-flag', '--platforms', 'amd64']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('linux/amd64: /usr/local/bin/install-cni --no-such-flag exited with 2 on linux/amd64');
    expect(await verifyContainers()).toBe(0);
  });
});

describe("meshbuild release --verify-run runs the graph's versionArgs", () => {
  let registry: string;
  let namespace: string;
  let out: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    registry = await localRegistry();
    await requireDocker();
    namespace = uniqueNamespace('release-args');
    const temp = await tempDir('release-args');
    cleanup = temp.remove;
    out = path.join(temp.dir, 'out');
  });

  afterAll(async () => {
    if (registry !== undefined && namespace !== undefined) await removeEngineImages(registry, namespace);
    await cleanup?.();
  });

  const release = (version: string, targets: string) =>
    runCli([
      'release',
      version,
      '--targets',
      targets,
      '--hub',
      `${registry}/${namespace}`,
      '--platforms',
      'amd64,arm64',
      '--builder',
      'native',
      '--out',
      out,
      '--verify-run',
    ]);

  it('passes with versionArgs: [version] on both platforms, and does not start the base with nothing to run', async () => {
    const result = await release('1.0.0', FIXTURE);
    expect(result.exitCode, `${result.stderr}\n${result.stdout}`).toBe(0);
    const baseTags = (await (await fetch(`http://${registry}/v2/${namespace}/plain-base/tags/list`)).json()) as { tags: string[] };
    expect(baseTags.tags).toContain('1.0.0');
    expect(await verifyContainers()).toBe(0);
  });

  it('fails at verify, writing no tag, when the declared command is one the binary refuses', async () => {
    const result = await release('1.1.0', WRONG_VERSION_FIXTURE);
    expect(result.exitCode).toBe(1);
    expect(`${result.stdout}\n${result.stderr}`).toContain('/usr/local/bin/install-cni --no-such-flag exited with 2 on linux/amd64');
    const tags = (await (await fetch(`http://${registry}/v2/${namespace}/cmd-only/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags.sort()).toEqual(['1.0', '1.0.0', 'latest']);
    expect(await verifyContainers()).toBe(0);
  });
});
