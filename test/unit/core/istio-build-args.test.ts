/**
 * Build args read from an Istio checkout (BASE_VERSION, ISTIO_BASE_REGISTRY from Makefile.core.mk,
 * Istio's environment variables, --build-arg), and `standsFor:` resolving Istio's
 * `FROM ${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION}` to the graph's own base: all pure or in memory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { EXIT_USAGE, MeshbuildError } from '../../../src/errors.js';
import { buildGraph } from '../../../src/graph/graph.js';
import { bakeDefinition } from '../../../src/image/bake-definition.js';
import { namedContextsOf } from '../../../src/image/buildx-builder.js';
import type { BuiltImage } from '../../../src/image/built-image.js';
import { parseMakefileDefaults, readCheckoutBuildArgs, runBuildArgs } from '../../../src/image/run-build-args.js';
import { fillStandsFor, standsForProblems } from '../../../src/image/stands-for.js';
import { createPlan } from '../../../src/plan/plan.js';
import { formatPlan } from '../../../src/report/plan-text.js';
import type { ImageBuildJob } from '../../../src/plan/types.js';
import { REPO_ROOT } from '../../support/cli.js';
import { loadShippedGraph, planRequest } from './shipped-graph.js';

const ISTIO_LIKE = path.join(REPO_ROOT, 'test', 'fixtures', 'istio-like');
const STANDS_FOR = path.join(REPO_ROOT, 'test', 'fixtures', 'images', 'stands-for');
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function usageFailure(run: () => unknown): MeshbuildError {
  try {
    run();
  } catch (error) {
    if (error instanceof MeshbuildError && error.exitCode === EXIT_USAGE) return error;
    throw error;
  }
  throw new Error('expected a usage error (exit 2)');
}

describe('build args from an Istio checkout', () => {
  it("reads BASE_VERSION and ISTIO_BASE_REGISTRY from the checkout's Makefile.core.mk", () => {
    expect(readCheckoutBuildArgs(ISTIO_LIKE)).toEqual({ BASE_VERSION: '1.29-2026-02-27T19-00-52', ISTIO_BASE_REGISTRY: 'gcr.io/istio-release' });
  });

  it('reads none from a tree without Makefile.core.mk (the bundled sample)', () => {
    expect(readCheckoutBuildArgs(path.join(REPO_ROOT, 'examples', 'mesh'))).toEqual({});
  });

  it('takes the first plain assignment (?=, :=, =, export) and leaves out $(shell ...) values', () => {
    const text = ['export BASE_VERSION := 1.2 # a comment', 'BASE_VERSION ?= later', 'ISTIO_BASE_REGISTRY ?= $(shell echo x)', 'OTHER ?= y'].join('\n');
    expect(parseMakefileDefaults(text, ['BASE_VERSION', 'ISTIO_BASE_REGISTRY'])).toEqual({ BASE_VERSION: '1.2' });
  });

  it("Istio's environment variables override the checkout, --build-arg overrides both", () => {
    const checkout = { BASE_VERSION: 'from-file', ISTIO_BASE_REGISTRY: 'gcr.io/istio-release' };
    expect(runBuildArgs(checkout, { ISTIO_BASE_REGISTRY: '127.0.0.1:5555/bases', HUB: 'ignored' }, [])).toEqual({
      BASE_VERSION: 'from-file',
      ISTIO_BASE_REGISTRY: '127.0.0.1:5555/bases',
    });
    expect(runBuildArgs(checkout, { BASE_VERSION: 'from-env' }, ['BASE_VERSION=from-flag', 'EXTRA=a=b'])).toEqual({
      BASE_VERSION: 'from-flag',
      ISTIO_BASE_REGISTRY: 'gcr.io/istio-release',
      EXTRA: 'a=b',
    });
  });

  it('refuses a --build-arg that is not NAME=VALUE, or a value with spaces (exit 2)', () => {
    expect(usageFailure(() => runBuildArgs({}, {}, ['BASE_VERSION'])).message).toMatch(/--build-arg: "BASE_VERSION" is not NAME=VALUE/);
    expect(usageFailure(() => runBuildArgs({}, {}, ['=x'])).message).toMatch(/is not NAME=VALUE/);
    expect(usageFailure(() => runBuildArgs({}, {}, ['BASE_VERSION=a b'])).message).toMatch(/not a plain build arg value/);
    expect(usageFailure(() => runBuildArgs({}, { BASE_VERSION: '$(id)' }, [])).message).toMatch(/BASE_VERSION/);
  });
});

describe('standsFor', () => {
  it('fills {arg:NAME} and names what is missing', () => {
    const args = new Map([['ISTIO_BASE_REGISTRY', 'r.example/istio']]);
    expect(fillStandsFor('{arg:ISTIO_BASE_REGISTRY}/base:{arg:BASE_VERSION}', args)).toEqual({ missing: ['BASE_VERSION'] });
    args.set('BASE_VERSION', '1.29');
    expect(fillStandsFor('{arg:ISTIO_BASE_REGISTRY}/base:{arg:BASE_VERSION}', args)).toEqual({ reference: 'r.example/istio/base:1.29' });
    expect(standsForProblems('{env:HOME}/base:{arg:X}')).toEqual(['{env:HOME}']);
  });

  const graph = buildGraph(loadConfig({ targetsDir: STANDS_FOR, sourceDir: ISTIO_LIKE }), ISTIO_LIKE);
  const appJob = (buildArgs: Record<string, string>) => {
    const plan = createPlan(graph, planRequest({ targets: ['app'], buildArgs }));
    return plan.jobs.find((j): j is ImageBuildJob => j.id === 'image:app')!;
  };

  it("resolves to the reference the consumer's FROM names, with the run's build args", () => {
    const job = appJob({ ISTIO_BASE_REGISTRY: '127.0.0.1:5555/bases', BASE_VERSION: '1.29', UNDECLARED: 'x' });
    expect(job.buildArgs).toEqual({ ISTIO_BASE_REGISTRY: '127.0.0.1:5555/bases', BASE_VERSION: '1.29' });
    expect(job.bases).toEqual([{ name: 'base', jobId: 'image:base', reference: '127.0.0.1:5555/bases/base:1.29' }]);
    expect(job.needs).toEqual(['image:base']);
  });

  it('meshbuild plan says which reference the base stands in for', () => {
    const plan = createPlan(graph, planRequest({ targets: ['app'], buildArgs: { ISTIO_BASE_REGISTRY: 'gcr.io/istio-release', BASE_VERSION: '1.29' } }));
    expect(formatPlan(plan)).toContain('on image:base (as gcr.io/istio-release/base:1.29)');
  });

  it("falls back on the consumer Dockerfile's ARG defaults, as its FROM lines do", () => {
    expect(appJob({}).bases[0]!.reference).toBe('registry.istio.io/release/base:latest');
  });

  it("the shipped graph on the sample: pilot reaches the sample's bases by the references its FROM lines name", () => {
    const shipped = createPlan(loadShippedGraph(), planRequest({ targets: ['pilot'], buildArgs: { BASE_VERSION: '1.29' } }));
    const pilot = shipped.jobs.find((j): j is ImageBuildJob => j.id === 'image:pilot')!;
    expect(pilot.bases).toEqual([
      { name: 'base', jobId: 'image:base', reference: 'gcr.io/istio-release/base:1.29' },
      { name: 'distroless', jobId: 'image:distroless', reference: 'gcr.io/istio-release/distroless:1.29' },
    ]);
  });

  it('buildx gets the base both by name and by the reference it stands for', () => {
    const job = appJob({ ISTIO_BASE_REGISTRY: 'gcr.io/istio-release', BASE_VERSION: '1.29' });
    const built = { jobId: 'image:base', namedContext: 'oci-layout:///out/build/image_base@sha256:ab' } as BuiltImage;
    const contexts = namedContextsOf(job, [built]);
    expect(contexts).toEqual({ base: built.namedContext, 'gcr.io/istio-release/base:1.29': built.namedContext });
    const { file } = bakeDefinition([{ job, contextDir: '/ctx', contexts, outputDir: '/x' }], { perPlatform: false });
    const target = Object.values(file.target)[0]!;
    expect(target.contexts?.['gcr.io/istio-release/base:1.29']).toBe(built.namedContext);
    expect(target.args).toEqual({ BASE_VERSION: '1.29', ISTIO_BASE_REGISTRY: 'gcr.io/istio-release' });
  });

  it('is refused when it holds other placeholders (exit 2 at its line)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'meshbuild-stands-for-'));
    temps.push(dir);
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(path.join(dir, 'images.yaml'), "images:\n  base:\n    dockerfile: Dockerfile\n    standsFor: '{env:HOME}/base'\n");
    const error = usageFailure(() => loadConfig({ targetsDir: dir, sourceDir: dir }));
    expect(error.message + JSON.stringify(error)).toMatch(/standsFor of image "base" may hold only \{arg:NAME\} placeholders/);
  });
});
