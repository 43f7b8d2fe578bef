/**
 * Fan-out of one build: several hubs and tags name the same index; variants give their own tags,
 * with a build of their own only where the variant changes the image (pilot's distroless base),
 * and one build tagged twice where it does not (app has no base).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSpawnedCli, STACK_FRAME } from '../../support/cli.js';
import { entryPlatform, getManifest, OCI_INDEX, requireDocker, SHIPPED_IMAGES, uniqueNamespace, type IndexEntry } from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';

interface PlannedImageJob {
  kind: string;
  id: string;
  image: string;
  variants: Array<{ variant: string; refs: string[] }>;
}

let registry: string;
let tmp: string;

beforeAll(async () => {
  registry = await localRegistry();
  await requireDocker();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-images-fanout-'));
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function meshbuild(args: string[]): Promise<void> {
  const result = await runSpawnedCli(args);
  if (result.exitCode !== 0) throw new Error(`meshbuild ${args.join(' ')} failed (exit ${result.exitCode}):\n${result.stderr}`);
  expect(result.stderr).not.toMatch(STACK_FRAME);
}

describe('--hub R/ns1,R/ns2 --tag a --tag b', () => {
  let ns1: string;
  let ns2: string;

  beforeAll(async () => {
    ns1 = uniqueNamespace('hub1');
    ns2 = uniqueNamespace('hub2');
    await meshbuild([
      'all',
      '--builder',
      'buildx',
      '--platforms',
      'amd64,arm64',
      '--hub',
      `${registry}/${ns1},${registry}/${ns2}`,
      '--tag',
      'a',
      '--tag',
      'b',
      '--push',
      '--out',
      path.join(tmp, 'hubs-out'),
    ]);
  }, 900_000);

  it.each(Object.keys(SHIPPED_IMAGES))('%s: 4 tags, all naming the same two-platform index', async (image) => {
    const digests = new Set<string>();
    for (const namespace of [ns1, ns2]) {
      for (const tag of ['a', 'b']) {
        const index = await getManifest(registry, `${namespace}/${image}`, tag, OCI_INDEX);
        expect((index.json.manifests as IndexEntry[]).map(entryPlatform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
        digests.add(index.digest);
      }
    }
    expect(digests.size).toBe(1);
  });
});

describe('--variants default,distroless', () => {
  let namespace: string;
  const tag = 'v1';
  const args = () => [
    '--platforms',
    'amd64,arm64',
    '--hub',
    `${registry}/${namespace}`,
    '--tag',
    tag,
    '--variants',
    'default,distroless',
    '--push',
    '--out',
    path.join(tmp, 'variants-out'),
  ];

  beforeAll(async () => {
    namespace = uniqueNamespace('variants');
    await meshbuild(['all', '--builder', 'buildx', ...args()]);
  }, 900_000);

  it('tags every image T and T-distroless', async () => {
    for (const image of Object.keys(SHIPPED_IMAGES)) {
      for (const name of [tag, `${tag}-distroless`]) {
        const index = await getManifest(registry, `${namespace}/${image}`, name, OCI_INDEX);
        expect((index.json.manifests as IndexEntry[]).map(entryPlatform).sort(), `${image}:${name}`).toEqual(['linux/amd64', 'linux/arm64']);
      }
    }
  });

  it('gives pilot (built on a base) a different image for the distroless variant', async () => {
    const plain = await getManifest(registry, `${namespace}/pilot`, tag, OCI_INDEX);
    const distroless = await getManifest(registry, `${namespace}/pilot`, `${tag}-distroless`, OCI_INDEX);
    expect(distroless.digest).not.toBe(plain.digest);
  });

  it('builds app (no base) once and tags the same index twice', async () => {
    const plain = await getManifest(registry, `${namespace}/app`, tag, OCI_INDEX);
    const distroless = await getManifest(registry, `${namespace}/app`, `${tag}-distroless`, OCI_INDEX);
    expect(distroless.digest).toBe(plain.digest);
  });

  it('plans a single image job for app serving both variants, and two for pilot', async () => {
    const result = await runSpawnedCli(['plan', '--json', '--builder', 'buildx', ...args()]);
    expect(result.exitCode, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as { jobs: PlannedImageJob[] };
    const imageJobs = (image: string) => plan.jobs.filter((j) => j.kind === 'image-build' && j.image === image);
    const app = imageJobs('app');
    expect(app).toHaveLength(1);
    expect(app[0]!.variants.map((v) => v.variant)).toEqual(['default', 'distroless']);
    expect(app[0]!.variants.flatMap((v) => v.refs)).toEqual([`${registry}/${namespace}/app:${tag}`, `${registry}/${namespace}/app:${tag}-distroless`]);
    expect(imageJobs('pilot')).toHaveLength(2);
  });
});
