/**
 * A multi-node buildx builder: scripts/env-up --buildkit's two standalone BuildKit daemons (one
 * pinned to linux/amd64, one to linux/arm64) behind one remote-driver builder (MESHBUILD_BUILDER).
 * `meshbuild all --builder buildx --builder-name <it>` must publish complete indexes, and the
 * daemons' own build records must show each platform built on its own node.
 */
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseBuildxInspect, type BuildxNode } from '../../../src/image/buildx-nodes.js';
import { runCli, type CliResult } from '../../support/cli.js';
import { entryPlatform, getManifest, OCI_INDEX, requireDocker, uniqueNamespace, type IndexEntry } from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const TAG = '1.0.0-multi';
const IMAGES = ['pilot', 'app'];
const BUILDCTL = path.join(process.env.MESHBUILD_STATE_DIR ?? '/var/lib/meshbuild-env', 'bin', 'buildctl');

/** Platforms of the builds a daemon recorded since `since` (seconds), from `buildctl debug histories`. */
async function builtPlatforms(node: BuildxNode, since: number): Promise<string[]> {
  const result = await execa(BUILDCTL, ['--addr', node.endpoint, 'debug', 'histories', '--format', '{{json .}}'], { reject: false });
  if (result.exitCode !== 0) throw new Error(`buildctl debug histories on ${node.endpoint} failed: ${result.stderr}`);
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { record: { CreatedAt?: { seconds?: number }; FrontendAttrs?: Record<string, string> } }).record)
    .filter((record) => (record.CreatedAt?.seconds ?? 0) >= since)
    .map((record) => record.FrontendAttrs?.platform ?? '(none)');
}

describe('meshbuild all on a two-node BuildKit builder', () => {
  const tempDir = useTempDirs('meshbuild-multi-node-');
  let registry: string;
  let namespace: string;
  let nodes: BuildxNode[];
  let since: number;
  let run: CliResult;
  /** The images and the builder every command of this file names. */
  let onBuilder: string[];

  beforeAll(async () => {
    registry = await localRegistry();
    await requireDocker();
    const builder = process.env.MESHBUILD_BUILDER;
    if (!builder) throw new Error('MESHBUILD_BUILDER is not set: run the tests through scripts/test, which starts the nodes with scripts/env-up --buildkit');
    const inspect = await execa('docker', ['buildx', 'inspect', '--bootstrap', builder], { reject: false, all: true });
    if (inspect.exitCode !== 0) throw new Error(`buildx builder ${builder} is not usable:\n${String(inspect.all)}`);
    nodes = parseBuildxInspect(inspect.stdout).nodes;
    namespace = uniqueNamespace('multi-node');
    since = Math.floor(Date.now() / 1000) - 1;
    const out = await tempDir();
    onBuilder = [...IMAGES, '--platforms', 'amd64,arm64', '--builder', 'buildx', '--builder-name', builder];
    run = await runCli(['build', ...onBuilder, '--hub', `${registry}/${namespace}`, '--tag', TAG, '--push', '--out', out]);
  }, 900_000);

  it('has one running node per platform, each pinned to it', () => {
    expect(nodes.map((n) => [n.status, n.pinned])).toEqual([
      ['running', ['linux/amd64']],
      ['running', ['linux/arm64']],
    ]);
  });

  it('plan --json names the node that builds each platform, the one the daemons record', async () => {
    const plan = await runCli(['plan', ...onBuilder, '--json']);
    expect(plan.exitCode, plan.stderr).toBe(0);
    const placement = (JSON.parse(plan.stdout) as { buildx: { platforms: Array<{ platform: string; node: string; served: string }> } }).buildx;
    const nodeOf = (platform: string) => nodes.find((n) => n.pinned.includes(platform))?.name;
    expect(placement.platforms).toEqual([
      { platform: 'linux/amd64', node: nodeOf('linux/amd64'), served: 'native' },
      { platform: 'linux/arm64', node: nodeOf('linux/arm64'), served: 'native' },
    ]);
  });

  it('publishes every image as a complete amd64 + arm64 index', async () => {
    expect(run.exitCode, run.stderr).toBe(0);
    for (const image of IMAGES) {
      const index = await getManifest(registry, `${namespace}/${image}`, TAG, OCI_INDEX);
      expect((index.json.manifests as IndexEntry[]).map(entryPlatform).sort(), image).toEqual(['linux/amd64', 'linux/arm64']);
    }
  });

  it("builds each platform on its own node, by the daemons' own records", async () => {
    for (const node of nodes) {
      const platforms = await builtPlatforms(node, since);
      // Every image of the run is built on each node once (the bases of the graph too), and only for the node's platform.
      expect(platforms.length, node.name).toBeGreaterThanOrEqual(IMAGES.length);
      expect(new Set(platforms), node.name).toEqual(new Set(node.pinned));
    }
  });
});
