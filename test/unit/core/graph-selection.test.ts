import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, MeshbuildError } from '../../../src/errors.js';
import { selectTargets } from '../../../src/graph/select.js';
import { createPlan } from '../../../src/plan/plan.js';
import { formatPlatform } from '../../../src/platform.js';
import type { GoBuildJob } from '../../../src/plan/types.js';
import { istioLikeCheckout } from '../../support/istio-checkout.js';
import { loadShippedGraph, planRequest } from './shipped-graph.js';

const graph = loadShippedGraph();

function selectionError(names: string[]): MeshbuildError {
  try {
    selectTargets(graph, names);
  } catch (error) {
    expect(error).toBeInstanceOf(MeshbuildError);
    return error as MeshbuildError;
  }
  throw new Error(`selectTargets accepted ${names.join(' ')}`);
}

describe('graph and target selection', () => {
  it('builds the shipped graph with the sample overlay: envoy and ztunnel become binaries, its bases join', () => {
    expect([...graph.images.keys()]).toEqual(['pilot', 'proxyv2', 'istioctl', 'install-cni', 'ztunnel', 'app', 'ext-authz', 'base', 'distroless', 'iptables']);
    expect(graph.fileTargets.get('envoy')?.kind).toBe('binary');
    expect(graph.fileTargets.get('ztunnel')?.kind).toBe('binary');
    expect(graph.images.get('proxyv2')!.inputs.map((i) => `${i.kind}:${i.name}`)).toEqual(['binary:pilot-agent', 'binary:envoy']);
    expect(graph.images.get('pilot')!.declaredArgs.has('BASE_DISTRIBUTION')).toBe(true);
    expect(graph.images.get('app')!.declaredArgs.has('BASE_DISTRIBUTION')).toBe(false);
  });

  it("infers bases from standsFor: each Istio Dockerfile's FROM ${ISTIO_BASE_REGISTRY}/<base>:${BASE_VERSION} lines", () => {
    const bases = Object.fromEntries([...graph.images.values()].map((image) => [image.name, image.bases.map((b) => b.name)]));
    expect(bases).toEqual({
      pilot: ['base', 'distroless'],
      proxyv2: ['base', 'iptables'],
      istioctl: ['base'],
      'install-cni': ['base', 'iptables'],
      ztunnel: ['base', 'iptables'],
      app: ['base'],
      'ext-authz': ['base'],
      base: [],
      distroless: [],
      iptables: [],
    });
  });

  it('an image whose Dockerfile the source tree lacks is an error only when asked for', () => {
    const bare = loadShippedGraph(istioLikeCheckout({ deps: false, makefile: false }));
    rmSync(path.join(bare.sourceDir, 'pilot', 'docker', 'Dockerfile.ztunnel'));
    const older = loadShippedGraph(bare.sourceDir);
    expect(selectTargets(older, ['pilot'])).toEqual({ images: ['pilot'], files: [] });
    const error = (() => {
      try {
        selectTargets(older, ['all']);
      } catch (caught) {
        return caught as MeshbuildError;
      }
      throw new Error('all was selected');
    })();
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toBe(`image "ztunnel": its Dockerfile pilot/docker/Dockerfile.ztunnel is not in the source tree (${bare.sourceDir})`);
    expect(error.location?.file).toMatch(/targets\/images\.yaml$/);
    expect(error.hint).toMatch(/--source/);
  });

  it('a bare name that is both an image and a binary means the image', () => {
    expect(selectTargets(graph, ['istioctl'])).toEqual({ images: ['istioctl'], files: [] });
    expect(selectTargets(graph, ['image:istioctl'])).toEqual({ images: ['istioctl'], files: [] });
  });

  it('binary:istioctl selects the binary, and the plan adds its extra platforms', () => {
    expect(selectTargets(graph, ['binary:istioctl'])).toEqual({ images: [], files: ['istioctl'] });
    const plan = createPlan(graph, planRequest({ targets: ['binary:istioctl'], binariesOnly: true, output: null }));
    const goJobs = plan.jobs.filter((j): j is GoBuildJob => j.kind === 'go-build');
    expect(goJobs.map((j) => formatPlatform(j.platform))).toEqual(['linux/amd64', 'linux/arm64', 'darwin/amd64', 'darwin/arm64', 'windows/amd64']);
    for (const job of goJobs) expect(job.binaries.map((b) => b.name)).toEqual(['istioctl']);
    expect(plan.jobs.filter((j) => j.kind === 'image-build')).toEqual([]);
  });

  it('the image alone does not build istioctl for laptops', () => {
    const plan = createPlan(graph, planRequest({ targets: ['istioctl'], binariesOnly: true, output: null }));
    expect(plan.jobs.map((j) => j.id)).toEqual(['go:linux_amd64', 'go:linux_arm64']);
  });

  it('group all expands to its images, in order, and a bare name a binary alone has selects it', () => {
    expect(selectTargets(graph, ['all'])).toEqual({ images: ['pilot', 'proxyv2', 'istioctl', 'install-cni', 'ztunnel', 'app', 'ext-authz'], files: [] });
    expect(selectTargets(graph, ['control-plane', 'pilot-agent', 'pilot'])).toEqual({ images: ['pilot', 'istioctl'], files: ['pilot-agent'] });
  });

  it.each([
    [['pilo'], /no target named "pilo"/, /did you mean pilot\b/],
    [['pilto'], /no target named "pilto"/, /^did you mean pilot\?/],
    [['proxyv3'], /no target named "proxyv3"/, /^did you mean proxyv2\?/],
    [['binary:pilot-discovry'], /no binary named "pilot-discovry"/, /^did you mean pilot-discovery\?/],
    [['image:pilot-discovery'], /no image named "pilot-discovery"/, /^did you mean pilot\?/],
    [['istio'], /no target named "istio"/, /did you mean .*istioctl/],
    [['binary:pilot'], /no binary named "pilot"/, /did you mean .*pilot-discovery/],
    [['group:pilot'], /no group named "pilot"/, /meshbuild list/],
    [['nothing-like-it'], /no target named "nothing-like-it"/, /^"meshbuild list" shows every target$/],
    [['pod:pilot'], /unknown kind "pod"/, /group:, image:, binary:, artifact:/],
  ])('%j is a usage error with a suggestion', (names, message, hint) => {
    const error = selectionError(names);
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(hint);
  });
});
