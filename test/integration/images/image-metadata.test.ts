/**
 * Metadata on every image, read back from the registry: `build pilot --push` from a git checkout
 * of the sample (remote git@github.com:example/mesh.git, one commit), with the native builder and
 * with buildx. Each pushed index and each of its manifests carries source (https form), revision,
 * version, created (the commit time: SOURCE_DATE_EPOCH is unset), title and the base's name and
 * digest (buildx: no digest of a base built in the same bake session); each config has the same as labels, titled "pilot" rather than inheriting the base's
 * title and description, and `created` at the same time (buildx: at the latest then, as BuildKit keeps
 * a registry base's earlier `created`). --label and --annotation index: add to
 * it. A registry base (FROM the stand-in bases in the registry) is named and digested the same
 * way, and a second native run into a fresh --out gives the same digest.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../support/cli.js';
import { COMMIT_CREATED, FIVE, gitCheckout, OCI, readPushedMetadata, type GitCheckout, type PushedMetadata } from '../../support/image-metadata.js';
import { getManifest, OCI_INDEX, pushStandInBases, requireDocker, uniqueNamespace } from '../../support/images.js';
import { istioLikeCheckout } from '../../support/istio-checkout.js';
import { localRegistry } from '../../support/registry.js';

const TAG = '1.0.0-meta';
const SOURCE = 'https://github.com/example/mesh';
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const EXTRA = ['--label', 'com.example.team=mesh', '--annotation', 'index:com.example.tier=gold'];

interface Report {
  images: Array<{ image: string; digest: string }>;
}

async function build(args: string[], out: string, env: Record<string, string | undefined> = {}): Promise<{ run: CliResult; report: Report }> {
  const report = path.join(out, 'report.json');
  const run = await runCli([...args, '--platforms', 'amd64,arm64', '--tag', TAG, '--push', '--out', out, '--report', report, ...EXTRA], {
    env: { SOURCE_DATE_EPOCH: undefined, ...env },
  });
  if (run.exitCode !== 0) throw new Error(`meshbuild ${args.join(' ')} failed (exit ${run.exitCode}):\n${run.stderr}`);
  return { run, report: JSON.parse(await readFile(report, 'utf8')) as Report };
}

/** The five, the base, and what --annotation index: added, on the index and on every manifest. */
function expectAnnotations(
  pushed: PushedMetadata,
  checkout: GitCheckout,
  title: string,
  /** `digest` undefined: a base built in the same buildx bake session, whose digest is not known when the definition is written. */
  base?: { name: string; digest: string | undefined },
  /** BuildKit clamps times to SOURCE_DATE_EPOCH rather than setting them: a registry base's earlier `created` stays. */
  created: 'exact' | 'clamped' = 'exact',
): void {
  const expected: Record<string, string> = {
    [`${OCI}.source`]: SOURCE,
    [`${OCI}.revision`]: checkout.commit,
    [`${OCI}.version`]: TAG,
    [`${OCI}.created`]: COMMIT_CREATED,
    [`${OCI}.title`]: title,
    ...(base ? { [`${OCI}.base.name`]: base.name } : {}),
    ...(base?.digest ? { [`${OCI}.base.digest`]: base.digest } : {}),
  };
  expect(pushed.index).toEqual({ ...expected, 'com.example.tier': 'gold' });
  expect([...pushed.platforms.keys()].sort()).toEqual(PLATFORMS);
  for (const [platform, one] of pushed.platforms) {
    expect(one.annotations, `${title} ${platform}`).toEqual(expected);
    for (const key of FIVE) expect(one.labels[key], `${title} ${platform} label ${key}`).toBe(expected[key]);
    expect(one.labels['com.example.team'], `${title} ${platform}`).toBe('mesh');
    if (created === 'exact') expect(one.created, `${title} ${platform} config created`).toBe(COMMIT_CREATED);
    else expect(Date.parse(one.created ?? ''), `${title} ${platform} config created`).toBeLessThanOrEqual(Date.parse(COMMIT_CREATED));
    if (base) {
      expect(one.labels[`${OCI}.base.name`]).toBe(base.name);
      expect(one.labels[`${OCI}.base.digest`]).toBe(base.digest ?? undefined);
    }
  }
}

describe.each(['native', 'buildx'] as const)('--builder %s: pilot on the in-graph stand-in base', (builder) => {
  let registry: string;
  let hub: string;
  let tmp: string;
  let checkout: GitCheckout;
  let first: Report;

  beforeAll(async () => {
    registry = await localRegistry();
    await requireDocker();
    hub = `${registry}/${uniqueNamespace(`meta-${builder}`)}`;
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-metadata-'));
    checkout = await gitCheckout(path.join(tmp, 'source'), 'git@github.com:example/mesh.git', { copySample: true });
    ({ report: first } = await build(['build', 'pilot', '--builder', builder, '--source', checkout.dir, '--hub', hub], path.join(tmp, 'out')));
  }, 900_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('pilot: the index and each manifest carry the metadata, base.name (and, native, base.digest) naming the base of the run', async () => {
    const repository = hub.slice(registry.length + 1);
    const base = await getManifest(registry, `${repository}/base`, TAG, OCI_INDEX);
    const pilot = await readPushedMetadata(registry, `${repository}/pilot`, TAG);
    expectAnnotations(pilot, checkout, 'pilot', { name: `${hub}/base:${TAG}`, digest: builder === 'native' ? base.digest : undefined });
  });

  it("pilot's config is titled pilot: the base's title and description are replaced, not inherited", async () => {
    const pilot = await readPushedMetadata(registry, `${hub.slice(registry.length + 1)}/pilot`, TAG);
    for (const [platform, one] of pilot.platforms) {
      expect(one.labels[`${OCI}.title`], platform).toBe('pilot');
      expect(one.labels[`${OCI}.description`], platform).toBe('');
    }
  });

  it('the base: titled base, its own description kept, no base of its own (FROM scratch)', async () => {
    const base = await readPushedMetadata(registry, `${hub.slice(registry.length + 1)}/base`, TAG);
    expectAnnotations(base, checkout, 'base');
    for (const one of base.platforms.values()) {
      expect(one.labels[`${OCI}.description`]).toMatch(/^Stand-in debug base/);
      expect(one.labels).not.toHaveProperty(`${OCI}.base.name`);
    }
  });

  it('a second run into a fresh --out gives the same digests', async () => {
    const { report: second } = await build(['build', 'pilot', '--builder', builder, '--source', checkout.dir, '--hub', hub], path.join(tmp, 'out-again'));
    const digests = (report: Report) => Object.fromEntries(report.images.map((i) => [i.image, i.digest]));
    expect(digests(second)).toEqual(digests(first));
    expect(Object.keys(digests(first)).sort()).toEqual(['base', 'distroless', 'pilot']);
  }, 900_000);
});

describe('a registry base', () => {
  const source = istioLikeCheckout({ withGo: true });
  let registry: string;
  let namespace: string;
  let tmp: string;
  let checkout: GitCheckout;
  const BASE_TAG = 'b1';

  beforeAll(async () => {
    registry = await localRegistry();
    await requireDocker();
    namespace = uniqueNamespace('meta-registry-base');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-metadata-base-'));
    checkout = await gitCheckout(source, 'ssh://git@github.com/example/mesh.git');
    await pushStandInBases(`${registry}/${namespace}-bases`, BASE_TAG);
  }, 900_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it.each(['native', 'buildx'] as const)(
    '--builder %s names it by its reference and digest',
    async (builder) => {
      const hub = `${registry}/${namespace}-${builder}`;
      const bases = `${registry}/${namespace}-bases`;
      const args = ['build', 'pilot', '--builder', builder, '--source', checkout.dir, '--hub', hub, '--build-arg', `ISTIO_BASE_REGISTRY=${bases}`];
      await build([...args, '--build-arg', `BASE_VERSION=${BASE_TAG}`], path.join(tmp, builder));
      const base = await getManifest(registry, `${namespace}-bases/base`, BASE_TAG, OCI_INDEX);
      const pilot = await readPushedMetadata(registry, `${namespace}-${builder}/pilot`, TAG);
      expectAnnotations(pilot, checkout, 'pilot', { name: `${bases}/base:${BASE_TAG}`, digest: base.digest }, builder === 'buildx' ? 'clamped' : 'exact');
      for (const one of pilot.platforms.values()) expect(one.labels[`${OCI}.title`]).toBe('pilot');
    },
    900_000,
  );
});
