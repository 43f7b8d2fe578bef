/** The shipped targets (and, by default, the bundled sample's overlay) as a graph, for planner tests. */
import path from 'node:path';
import { loadConfig } from '../../../src/config/load-config.js';
import { buildGraph, type Graph } from '../../../src/graph/graph.js';
import { parsePlatformList } from '../../../src/platform.js';
import type { PlanRequest } from '../../../src/plan/plan.js';
import { REPO_ROOT } from '../../support/cli.js';

export const SHIPPED_TARGETS = path.join(REPO_ROOT, 'targets');
export const SAMPLE_SOURCE = path.join(REPO_ROOT, 'examples', 'mesh');

export function loadShippedGraph(sourceDir = SAMPLE_SOURCE): Graph {
  return buildGraph(loadConfig({ targetsDir: SHIPPED_TARGETS, sourceDir }), sourceDir);
}

/** A plan request with everything spelled out; override what a test is about. */
export function planRequest(overrides: Partial<PlanRequest> = {}): PlanRequest {
  return {
    targets: [],
    platforms: parsePlatformList('amd64,arm64'),
    variants: ['default'],
    hubs: [],
    tags: ['1.2.3'],
    version: '1.2.3',
    outDir: '/work/out',
    binariesOnly: false,
    builder: 'auto',
    output: { kind: 'oci', dir: '/work/out/images' },
    env: {},
    ...overrides,
  };
}
