/** `url` and `sha256Url` of an artifact as one template or one per platform, checked where written. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { MeshbuildError } from '../../../src/errors.js';
import { buildGraph } from '../../../src/graph/graph.js';
import { createPlan } from '../../../src/plan/plan.js';
import { parsePlatformList } from '../../../src/platform.js';
import type { FetchJob } from '../../../src/plan/types.js';
import { planRequest } from './shipped-graph.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function load(artifacts: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'meshbuild-artifact-url-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'artifacts.yaml'), artifacts);
  return { dir, config: () => loadConfig({ targetsDir: dir, sourceDir: dir }) };
}

function problems(artifacts: string): string[] {
  try {
    load(artifacts).config();
  } catch (error) {
    expect(error).toBeInstanceOf(MeshbuildError);
    const e = error as MeshbuildError;
    return [e, ...e.diagnostics].map((d) => `${d.location?.line ?? '?'}: ${d.message}`);
  }
  throw new Error('accepted');
}

describe('artifact url per platform', () => {
  it('plans each platform from its own entry, sha256Url too', () => {
    const { dir, config } = load(`artifacts:
  envoy:
    url:
      linux/amd64: https://example.test/envoy-alpha-1.tar.gz
      arm64: https://example.test/envoy-alpha-1-arm64.tar.gz
    sha256Url:
      linux/amd64: https://example.test/envoy-alpha-1.sha256
      linux/arm64: https://example.test/envoy-alpha-1-arm64.sha256
`);
    const plan = createPlan(buildGraph(config(), dir), planRequest({ targets: ['artifact:envoy'] }));
    const fetches = plan.jobs.filter((j): j is FetchJob => j.kind === 'fetch');
    expect(fetches.map((f) => [f.url, f.sha256Url])).toEqual([
      ['https://example.test/envoy-alpha-1.tar.gz', 'https://example.test/envoy-alpha-1.sha256'],
      ['https://example.test/envoy-alpha-1-arm64.tar.gz', 'https://example.test/envoy-alpha-1-arm64.sha256'],
    ]);
    let error: unknown;
    try {
      createPlan(buildGraph(config(), dir), planRequest({ targets: ['artifact:envoy'], platforms: parsePlatformList('ppc64le') }));
    } catch (caught) {
      error = caught;
    }
    expect((error as MeshbuildError).message).toBe('artifact "envoy" has no url for linux/ppc64le');
    expect((error as MeshbuildError).hint).toMatch(/add "linux\/ppc64le: <url>" under its url/);
  });

  it('reports a key that is no platform, a value that is no URL and an unknown placeholder, each at its line', () => {
    expect(
      problems(`artifacts:
  envoy:
    url:
      linux/sparc: https://example.test/a
      linux/amd64: ftp://example.test/b
    sha256Url: https://example.test/{version}.sha256
`),
    ).toEqual([
      '4: "linux/sparc" in url of artifact "envoy" is not a platform: unknown architecture "sparc" (known: amd64, arm64, arm/v7, ppc64le, s390x, riscv64, 386)',
      '5: url of artifact "envoy" must start with https:// or http://',
      '6: unknown placeholder {version} in sha256Url of artifact "envoy" (known: {os}, {arch}, {variant}, {platform}, {archSuffix}, {env:NAME}, {deps:NAME}, {env:A|deps:B|fallback})',
    ]);
  });

  it('may not read arbitrary environment variables (a download URL could hand a CI credential to any host)', () => {
    expect(problems(`artifacts:\n  envoy:\n    url: https://example.test/{env:GITHUB_TOKEN}/envoy\n    sha256: {}\n`)).toEqual([
      '3: url of artifact "envoy" may not read the environment variable GITHUB_TOKEN: templates read only ISTIO_*, MESHBUILD_* and *_REPO_SHA variables (others can hold credentials)',
    ]);
  });

  it('still needs a checksum unless `sha256: {}` says on purpose that none is published', () => {
    expect(problems(`artifacts:\n  zt:\n    url: https://example.test/zt-{arch}\n`)).toEqual([
      '2: artifact "zt" downloads from a url, so it needs "sha256" per platform (or a "sha256Url")',
    ]);
    expect(() => load(`artifacts:\n  zt:\n    url: https://example.test/zt-{arch}\n    sha256: {}\n`).config()).not.toThrow();
  });
});
