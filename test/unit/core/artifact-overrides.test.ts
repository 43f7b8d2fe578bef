/**
 * Local builds instead of downloads: `--artifact NAME=PATH` and Istio's ISTIO_ENVOY_LINUX_RELEASE_PATH,
 * resolved per platform (a file, an {arch} template, a folder), and planned only when needed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_USAGE, MeshbuildError } from '../../../src/errors.js';
import { resolveArtifactOverrides } from '../../../src/fetch/artifact-overrides.js';
import { readIstioDeps } from '../../../src/fetch/istio-deps.js';
import { createPlan } from '../../../src/plan/plan.js';
import { parsePlatformList } from '../../../src/platform.js';
import type { FetchJob, Plan } from '../../../src/plan/types.js';
import { istioLikeCheckout } from '../../support/istio-checkout.js';
import { loadShippedGraph, planRequest } from './shipped-graph.js';

const root = mkdtempSync(path.join(tmpdir(), 'meshbuild-overrides-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const source = istioLikeCheckout({ deps: false, makefile: false });
const graph = loadShippedGraph(source);
const both = parsePlatformList('amd64,arm64');
const file = (...parts: string[]) => {
  const at = path.join(root, ...parts);
  mkdirSync(path.dirname(at), { recursive: true });
  writeFileSync(at, 'envoy\n');
  return at;
};
const fetches = (plan: Plan) => plan.jobs.filter((j): j is FetchJob => j.kind === 'fetch');
const overrides = (flags: string[], env: Record<string, string> = {}, platforms = both) =>
  resolveArtifactOverrides({ flags, env, graph, platforms, cwd: root });
const thrown = (run: () => unknown): MeshbuildError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MeshbuildError);
    return error as MeshbuildError;
  }
  throw new Error('expected an error');
};

describe('--artifact NAME=PATH', () => {
  const amd64 = file('builds', 'amd64', 'envoy');
  const arm64 = file('builds', 'arm64', 'envoy');

  it('an {arch} template gives each platform its file; the plan copies it, trusted, with no sha256 and no istio.deps', () => {
    const given = overrides([`envoy=${path.join(root, 'builds', '{arch}', 'envoy')}`]);
    const plan = createPlan(graph, planRequest({ targets: ['proxyv2'], artifactOverrides: given, deps: readIstioDeps(source) }));
    expect(fetches(plan).map((f) => [f.localPath, f.localPathFrom, f.url, f.sha256, f.sha256Url, f.extract])).toEqual([
      [amd64, `--artifact envoy=${path.join(root, 'builds', '{arch}', 'envoy')}`, undefined, undefined, undefined, undefined],
      [arm64, `--artifact envoy=${path.join(root, 'builds', '{arch}', 'envoy')}`, undefined, undefined, undefined, undefined],
    ]);
  });

  it('a folder holding <arch>/<fileName> or <os>_<arch>/<fileName> (Istio out/ layout); a relative path is from the current folder', () => {
    const istioOut = file('out', 'linux_arm64', 'envoy');
    file('out', 'linux_amd64', 'envoy');
    expect(overrides(['envoy=builds']).get('envoy')!.byPlatform.get('linux/amd64')).toEqual({ path: amd64 });
    expect(overrides(['envoy=out']).get('envoy')!.byPlatform.get('linux/arm64')).toEqual({ path: istioOut });
  });

  it('a tarball is unpacked like the download', () => {
    const tarball = file('tars', 'envoy-alpha-x.tar.gz');
    const plan = createPlan(
      graph,
      planRequest({
        targets: ['proxyv2'],
        platforms: parsePlatformList('amd64'),
        artifactOverrides: overrides([`envoy=${tarball}`], {}, parsePlatformList('amd64')),
      }),
    );
    expect(fetches(plan)[0]).toMatchObject({ localPath: tarball, extract: 'usr/local/bin/envoy' });
  });

  it('a path that does not exist is exit 2 naming the flag, when Envoy is planned; pilot plans without it', () => {
    const given = overrides(['envoy=/nonexistent/envoy-build']);
    const error = thrown(() => createPlan(graph, planRequest({ targets: ['proxyv2'], artifactOverrides: given })));
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toBe('--artifact envoy=/nonexistent/envoy-build: /nonexistent/envoy-build does not exist');
    expect(() => createPlan(graph, planRequest({ targets: ['pilot'], artifactOverrides: given }))).not.toThrow();
  });

  it("one plain file for two platforms is refused (it is one architecture's build)", () => {
    const error = thrown(() => createPlan(graph, planRequest({ targets: ['proxyv2'], artifactOverrides: overrides([`envoy=${amd64}`]) })));
    expect(error.message).toMatch(/names one file \(.*amd64\/envoy\) for 2 platforms; put \{arch\} in the path/);
  });

  it('malformed or unknown names are exit 2 at once', () => {
    expect(thrown(() => overrides(['envoy'])).message).toBe('--artifact envoy: expected NAME=PATH');
    expect(thrown(() => overrides(['envoy='])).exitCode).toBe(EXIT_USAGE);
    const unknown = thrown(() => overrides(['pilot-agent=/x']));
    expect(unknown.message).toBe('--artifact pilot-agent=/x: the graph has no artifact named "pilot-agent"');
    expect(unknown.hint).toBe('artifacts: envoy, ztunnel');
  });
});

describe("Istio's variables for a local build", () => {
  it('ISTIO_ENVOY_LINUX_RELEASE_PATH is used like --artifact envoy=, and the flag wins over it', () => {
    const one = file('release', 'envoy-abc');
    const amd64 = parsePlatformList('amd64');
    const fromEnv = overrides([], { ISTIO_ENVOY_LINUX_RELEASE_PATH: one }, amd64).get('envoy')!;
    expect(fromEnv.from).toBe(`ISTIO_ENVOY_LINUX_RELEASE_PATH=${one}`);
    expect(fromEnv.byPlatform.get('linux/amd64')).toEqual({ path: one });
    const flag = file('other', 'envoy');
    expect(
      overrides([`envoy=${flag}`], { ISTIO_ENVOY_LINUX_RELEASE_PATH: one }, amd64)
        .get('envoy')!
        .byPlatform.get('linux/amd64'),
    ).toEqual({ path: flag });
  });

  it('ISTIO_ZTUNNEL_LINUX_RELEASE_PATH stands in for the unchecksummed ztunnel download', () => {
    const ztunnel = file('zt', 'arm64', 'ztunnel');
    const given = overrides([], { ISTIO_ZTUNNEL_LINUX_RELEASE_PATH: path.join(root, 'zt', '{arch}', 'ztunnel') }, parsePlatformList('arm64'));
    const plan = createPlan(graph, planRequest({ targets: ['artifact:ztunnel'], platforms: parsePlatformList('arm64'), artifactOverrides: given }));
    expect(fetches(plan).map((f) => f.localPath)).toEqual([ztunnel]);
  });
});
