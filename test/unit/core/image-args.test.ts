/**
 * Image build-arg templates: the shipped proxyv2 and ztunnel get the build args Istio's
 * docker-builder passes (proxy_version / ztunnel_version from istio.deps, istio_version), and a
 * template with a placeholder it cannot hold is exit 2 at its line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { EXIT_USAGE, MeshbuildError } from '../../../src/errors.js';
import { readIstioDeps } from '../../../src/fetch/istio-deps.js';
import { fillImageArg, imageArgProblem } from '../../../src/image/image-args.js';
import { createPlan } from '../../../src/plan/plan.js';
import type { ImageBuildJob, Plan } from '../../../src/plan/types.js';
import { istioLikeCheckout } from '../../support/istio-checkout.js';
import { loadShippedGraph, planRequest } from './shipped-graph.js';

const PROXY_SHA = 'fca9ef956bd748bedb43d4c381af3d498dcf0723';
const ZTUNNEL_SHA = '61888401e717c9d853eb04bfd002e2808e8af8e4';
const argsOf = (plan: Plan, image: string) => plan.jobs.find((j): j is ImageBuildJob => j.kind === 'image-build' && j.image === image)!.buildArgs;

describe('image build args', () => {
  const checkout = istioLikeCheckout();
  const graph = loadShippedGraph(checkout);
  const localBuild = (name: string) => ({
    from: `--artifact ${name}`,
    byPlatform: new Map(['amd64', 'arm64'].map((arch) => [`linux/${arch}`, { path: path.join(checkout, arch, name) }])),
  });
  const request = (env: Record<string, string> = {}) =>
    planRequest({
      targets: ['proxyv2', 'ztunnel'],
      deps: readIstioDeps(checkout),
      env,
      artifactOverrides: new Map([
        ['envoy', localBuild('envoy')],
        ['ztunnel', localBuild('ztunnel')],
      ]),
    });

  it('proxyv2 and ztunnel get the pins of istio.deps and the version, as Istio passes them', () => {
    const plan = createPlan(graph, request());
    expect(argsOf(plan, 'proxyv2')).toEqual({ BASE_DISTRIBUTION: 'debug', proxy_version: PROXY_SHA });
    // Istio 1.29's Dockerfile.ztunnel declares no ztunnel_version: only the args a Dockerfile declares are passed.
    expect(argsOf(plan, 'ztunnel')).toEqual({ BASE_DISTRIBUTION: 'debug', istio_version: '1.2.3' });
  });

  it("Istio's variables override the pins", () => {
    expect(argsOf(createPlan(graph, request({ PROXY_REPO_SHA: 'local' })), 'proxyv2').proxy_version).toBe('local');
  });

  it('fills {version} and chains; a chain with no value is empty, as an unset variable is for Istio', () => {
    const deps = readIstioDeps(checkout);
    expect(fillImageArg('{deps:ZTUNNEL_REPO_SHA}-{version}', { version: '1.29.1', env: {}, deps })).toBe(`${ZTUNNEL_SHA}-1.29.1`);
    expect(fillImageArg('{env:ISTIO_NOT_SET|deps:NOT_PINNED}', { version: 'v', env: {}, deps })).toBe('');
  });

  it('refuses placeholders a build arg cannot hold', () => {
    expect(imageArgProblem('{arch}')).toMatch(/may hold only \{version\}, \{env:NAME\} and \{deps:NAME\} placeholders \(found \{arch\}\)/);
    expect(imageArgProblem('{env:GITHUB_TOKEN}')).toMatch(/may not read GITHUB_TOKEN/);
    expect(imageArgProblem('{version}-{deps:PROXY_REPO_SHA}')).toBeUndefined();
  });

  it('a bad template in a targets file is exit 2 at its line', () => {
    const targets = path.join(checkout, 'bad-targets');
    mkdirSync(targets);
    writeFileSync(
      path.join(targets, 'images.yaml'),
      'images:\n  pilot:\n    dockerfile: { source: pilot/docker/Dockerfile.pilot }\n    args:\n      TOKEN: "{env:GITHUB_TOKEN}"\n',
    );
    let error: unknown;
    try {
      loadConfig({ targetsDir: targets, sourceDir: checkout });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MeshbuildError);
    expect((error as MeshbuildError).exitCode).toBe(EXIT_USAGE);
    expect((error as MeshbuildError).location).toMatchObject({ line: 5 });
    expect((error as MeshbuildError).message).toMatch(/build arg TOKEN of image "pilot" may not read GITHUB_TOKEN/);
  });
});
