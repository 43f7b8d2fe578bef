/** The target graph as nodes and edges for `meshbuild graph`: closures, registry bases, groups. */
import { describe, expect, it } from 'vitest';
import { MeshbuildError } from '../../../src/errors.js';
import { targetView, type TargetView } from '../../../src/graph/target-view.js';
import { istioLikeCheckout } from '../../support/istio-checkout.js';
import { loadShippedGraph } from './shipped-graph.js';

const sample = loadShippedGraph();
const istioLike = loadShippedGraph(istioLikeCheckout({ deps: false, makefile: false }));

const edgesOf = (view: TargetView) => view.edges.map((e) => `${e.from} ${e.kind} ${e.to}`);

describe('targetView', () => {
  it('shows an image with its binaries and its in-graph bases, nothing else', () => {
    const view = targetView(sample, ['pilot']);
    expect(view.nodes.map((n) => n.id)).toEqual(['image:pilot', 'image:base', 'image:distroless', 'binary:pilot-discovery']);
    expect(view.nodes.find((n) => n.id === 'image:base')!.standsFor).toBe('{arg:ISTIO_BASE_REGISTRY}/base:{arg:BASE_VERSION}');
    expect(edgesOf(view)).toEqual(['binary:pilot-discovery input image:pilot', 'image:base base image:pilot', 'image:distroless base image:pilot']);
  });

  it('shows the registry images a Dockerfile starts FROM, as written, but not its own stages', () => {
    const view = targetView(istioLike, ['proxyv2']);
    expect(view.nodes.map((n) => n.id)).toEqual([
      'image:proxyv2',
      'artifact:envoy',
      'binary:pilot-agent',
      'registry:${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION}',
      'registry:${ISTIO_BASE_REGISTRY}/iptables:${BASE_VERSION}',
    ]);
    expect(edgesOf(view)).toEqual([
      'binary:pilot-agent input image:proxyv2',
      'artifact:envoy input image:proxyv2',
      'registry:${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION} base image:proxyv2',
      'registry:${ISTIO_BASE_REGISTRY}/iptables:${BASE_VERSION} base image:proxyv2',
    ]);
  });

  it('shows a registry image once, however many images start from it', () => {
    const view = targetView(istioLike, ['pilot', 'istioctl', 'app']);
    expect(view.nodes.filter((n) => n.kind === 'registry-base').map((n) => n.name)).toEqual([
      '${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION}',
      '${ISTIO_BASE_REGISTRY}/distroless:${BASE_VERSION}',
    ]);
    expect(view.edges.filter((e) => e.from === 'registry:${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION}').map((e) => e.to)).toEqual([
      'image:pilot',
      'image:istioctl',
      'image:app',
    ]);
  });

  it('shows a group with its members pointing into it', () => {
    const view = targetView(sample, ['data-plane']);
    expect(view.nodes.filter((n) => n.kind === 'group').map((n) => n.id)).toEqual(['group:data-plane']);
    expect(view.nodes.filter((n) => n.kind === 'image').map((n) => n.name)).toEqual(['proxyv2', 'install-cni', 'ztunnel', 'base', 'iptables']);
    expect(view.edges.filter((e) => e.kind === 'member').map((e) => e.from)).toEqual(['image:proxyv2', 'image:install-cni', 'image:ztunnel']);
  });

  it('shows the whole graph when no target is named, with no edge to a node it lacks', () => {
    const view = targetView(sample, []);
    const ids = new Set(view.nodes.map((n) => n.id));
    expect(view.nodes.filter((n) => n.kind === 'group').map((n) => n.name)).toEqual([...sample.groups.keys()]);
    expect(view.nodes.filter((n) => n.kind === 'image').map((n) => n.name)).toEqual([...sample.images.keys()]);
    expect(view.nodes.filter((n) => n.kind === 'binary' || n.kind === 'artifact').map((n) => n.name)).toEqual([...sample.fileTargets.keys()]);
    expect(view.edges.every((e) => ids.has(e.from) && ids.has(e.to))).toBe(true);
    expect(ids.size).toBe(view.nodes.length);
  });

  it('reads names as build does: a binary by prefix, and an unknown name is the same error', () => {
    expect(targetView(sample, ['binary:istioctl']).nodes.map((n) => n.id)).toEqual(['binary:istioctl']);
    expect(targetView(sample, ['istioctl']).nodes.map((n) => n.id)).toEqual(['image:istioctl', 'image:base', 'binary:istioctl']);
    expect(() => targetView(sample, ['pilto'])).toThrow(MeshbuildError);
  });
});
