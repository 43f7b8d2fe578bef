/**
 * Envoy's version from the checkout's istio.deps, URL templates per platform, Istio's checksum
 * files, and that only artifacts in the plan need any of it. All pure, except reading the fixture.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, MeshbuildError } from '../../../src/errors.js';
import { TemplateValueMissing, fillTemplate, templateFor, unknownTemplatePlaceholders, type IstioDeps } from '../../../src/fetch/artifact-template.js';
import { sha256FromChecksumFile } from '../../../src/fetch/checksum-file.js';
import { parseIstioDeps, readIstioDeps } from '../../../src/fetch/istio-deps.js';
import { createPlan } from '../../../src/plan/plan.js';
import { parsePlatform, type Platform } from '../../../src/platform.js';
import type { FetchJob, Plan } from '../../../src/plan/types.js';
import { REPO_ROOT } from '../../support/cli.js';
import { istioLikeCheckout } from '../../support/istio-checkout.js';
import { SHIPPED_TARGETS, loadShippedGraph, planRequest } from './shipped-graph.js';

const ISTIO_LIKE = path.join(REPO_ROOT, 'test', 'fixtures', 'istio-like');
const PROXY_SHA = 'fca9ef956bd748bedb43d4c381af3d498dcf0723';
const BUCKET = 'https://storage.googleapis.com/istio-build/proxy';
const SUM = 'a'.repeat(64);
const platform = (text: string): Platform => {
  const parsed = parsePlatform(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.platform;
};
const fetches = (plan: Plan) => plan.jobs.filter((j): j is FetchJob => j.kind === 'fetch');
const thrown = (run: () => unknown): MeshbuildError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MeshbuildError);
    return error as MeshbuildError;
  }
  throw new Error('expected an error');
};

describe('istio.deps', () => {
  it('reads Istio 1.29.1 pins by entry name and by repoName', () => {
    const deps = readIstioDeps(ISTIO_LIKE);
    expect(deps.problem).toBeUndefined();
    expect(deps.file).toBe(path.join(ISTIO_LIKE, 'istio.deps'));
    expect(deps.pins?.get('PROXY_REPO_SHA')).toBe(PROXY_SHA);
    expect(deps.pins?.get('proxy')).toBe(PROXY_SHA);
    expect(deps.pins?.get('ZTUNNEL_REPO_SHA')).toBe('61888401e717c9d853eb04bfd002e2808e8af8e4');
    expect(deps.pins?.get('AGENTGATEWAY_IMAGE')).toBe('0.11.0');
  });

  it('keeps a problem instead of throwing: missing, not JSON, not an array', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'meshbuild-deps-'));
    try {
      expect(readIstioDeps(empty)).toEqual({ file: path.join(empty, 'istio.deps'), problem: 'does not exist' });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    expect(parseIstioDeps('{', '/src/istio.deps').problem).toMatch(/^is not valid JSON/);
    expect(parseIstioDeps('{"name": "PROXY_REPO_SHA"}', '/src/istio.deps').problem).toMatch(/not a JSON array/);
  });

  it('does not follow a symlinked istio.deps out of the source tree', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'meshbuild-deps-link-'));
    try {
      const source = path.join(dir, 'istio');
      mkdirSync(source);
      writeFileSync(path.join(dir, 'outside.json'), JSON.stringify([{ name: 'PROXY_REPO_SHA', lastStableSHA: 'abc' }]));
      symlinkSync(path.join(dir, 'outside.json'), path.join(source, 'istio.deps'));
      const deps = readIstioDeps(source);
      expect(deps.pins).toBeUndefined();
      expect(deps.problem).toMatch(/^leads outside the source tree .* through a symlink/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a pin that would change a URL (the file may come from a pull request)', () => {
    const deps = parseIstioDeps(
      JSON.stringify([
        { name: 'PROXY_REPO_SHA', repoName: 'proxy', lastStableSHA: '../../evil?x=' },
        { name: 'ZTUNNEL_REPO_SHA', repoName: 'ztunnel', lastStableSHA: 'abc123' },
      ]),
      '/src/istio.deps',
    );
    expect(deps.pins?.has('PROXY_REPO_SHA')).toBe(false);
    expect(deps.pins?.get('ztunnel')).toBe('abc123');
  });
});

describe('artifact templates', () => {
  const deps: IstioDeps = { file: '/src/istio.deps', pins: new Map([['PROXY_REPO_SHA', 'abc']]) };
  const url = `${BUCKET}/envoy-alpha-{env:ISTIO_ENVOY_VERSION|deps:PROXY_REPO_SHA}{archSuffix}.tar.gz`;

  it('{archSuffix} is empty for amd64 and -<arch> otherwise, as Istio names its Envoy tarballs', () => {
    expect(fillTemplate(url, { platform: platform('amd64'), env: {}, deps })).toBe(`${BUCKET}/envoy-alpha-abc.tar.gz`);
    expect(fillTemplate(url, { platform: platform('arm64'), env: {}, deps })).toBe(`${BUCKET}/envoy-alpha-abc-arm64.tar.gz`);
    expect(fillTemplate('{os}/{arch}/{platform}/{variant}', { platform: platform('linux/arm/v7'), env: {}, deps })).toBe('linux/arm/linux_arm_v7/v7');
  });

  it('ISTIO_ENVOY_VERSION overrides the pin, and PROXY_REPO_SHA in the environment overrides the file', () => {
    expect(fillTemplate(url, { platform: platform('amd64'), env: { ISTIO_ENVOY_VERSION: 'mine' }, deps })).toBe(`${BUCKET}/envoy-alpha-mine.tar.gz`);
    expect(fillTemplate(url, { platform: platform('amd64'), env: { PROXY_REPO_SHA: 'env' }, deps })).toBe(`${BUCKET}/envoy-alpha-env.tar.gz`);
    expect(fillTemplate(url, { platform: platform('amd64'), env: { ISTIO_ENVOY_VERSION: '' }, deps })).toBe(`${BUCKET}/envoy-alpha-abc.tar.gz`);
  });

  it('without a value, says which variables and which file (and why the file did not help)', () => {
    const run = () => fillTemplate(url, { platform: platform('amd64'), env: {}, deps: { file: '/src/istio.deps', problem: 'does not exist' } });
    expect(run).toThrow(TemplateValueMissing);
    expect(run).toThrow('needs ISTIO_ENVOY_VERSION or PROXY_REPO_SHA: neither variable is set, and /src/istio.deps does not exist');
    const noEntry = () => fillTemplate(url, { platform: platform('amd64'), env: {}, deps: { file: '/src/istio.deps', pins: new Map() } });
    expect(noEntry).toThrow('and /src/istio.deps pins no PROXY_REPO_SHA');
  });

  it('reads only ISTIO_*, MESHBUILD_* and *_REPO_SHA variables; {deps:NAME} then uses only the file', () => {
    const env = { HOME: '/root', AGENTGATEWAY_IMAGE: 'from-env' };
    const agent: IstioDeps = { file: '/src/istio.deps', pins: new Map([['AGENTGATEWAY_IMAGE', '0.11.0']]) };
    expect(() => fillTemplate('/x/{env:HOME}', { platform: platform('amd64'), env, deps })).toThrow('may not read the environment variable HOME');
    expect(fillTemplate('{deps:AGENTGATEWAY_IMAGE}', { platform: platform('amd64'), env, deps: agent })).toBe('0.11.0');
  });

  it('a per-platform map picks the entry of the platform, however the key is written', () => {
    const byPlatform = new Map([
      ['linux/amd64', 'https://x/envoy.tar.gz'],
      ['arm64', 'https://x/envoy-arm64.tar.gz'],
    ]);
    expect(templateFor(byPlatform, platform('amd64'))).toBe('https://x/envoy.tar.gz');
    expect(templateFor(byPlatform, platform('linux/arm64/v8'))).toBe('https://x/envoy-arm64.tar.gz');
    expect(templateFor(byPlatform, platform('ppc64le'))).toBeUndefined();
    expect(templateFor('https://x/{arch}', platform('ppc64le'))).toBe('https://x/{arch}');
  });

  it('names unknown placeholders', () => {
    expect(unknownTemplatePlaceholders(url)).toEqual([]);
    expect(unknownTemplatePlaceholders('https://x/{version}/{env:A|B}/{deps:}/{arch}/{B|env:A}/{|}')).toEqual(['{version}', '{deps:}', '{B|env:A}', '{|}']);
  });

  it("the last alternative may be literal text: ISTIO_ENVOY_BASE_URL replaces the bucket, as in Istio's bin/init.sh", () => {
    const bucket = '{env:ISTIO_ENVOY_BASE_URL|https://storage.googleapis.com/istio-build/proxy}/envoy-alpha-{deps:PROXY_REPO_SHA}.tar.gz';
    expect(fillTemplate(bucket, { platform: platform('amd64'), env: {}, deps })).toBe(`${BUCKET}/envoy-alpha-abc.tar.gz`);
    expect(fillTemplate(bucket, { platform: platform('amd64'), env: { ISTIO_ENVOY_BASE_URL: 'https://mirror.test/p' }, deps })).toBe(
      'https://mirror.test/p/envoy-alpha-abc.tar.gz',
    );
  });
});

describe('checksum files as Istio publishes them', () => {
  it('reads sha256sum output (with the path it was run on), a bare digest, or the line naming the file', () => {
    expect(sha256FromChecksumFile(`${SUM}  /home/prow/envoy-alpha-abc.tar.gz\n`, 'envoy-alpha-abc.tar.gz')).toBe(SUM);
    expect(sha256FromChecksumFile(`${SUM.toUpperCase()}\n`, 'anything')).toBe(SUM);
    const two = `${'b'.repeat(64)}  envoy-alpha-abc-arm64.tar.gz\n${SUM} *envoy-alpha-abc.tar.gz\n`;
    expect(sha256FromChecksumFile(two, 'envoy-alpha-abc.tar.gz')).toBe(SUM);
    expect(sha256FromChecksumFile(two, 'other.tar.gz')).toBeUndefined();
    expect(sha256FromChecksumFile('<html>not found</html>', 'x')).toBeUndefined();
  });
});

describe('the shipped Envoy artifact, planned from an Istio checkout', () => {
  const checkout = istioLikeCheckout();
  const emptySource = istioLikeCheckout({ deps: false, makefile: false });

  it('reads the version from istio.deps: amd64 without a suffix, arm64 with -arm64, each with its .sha256', () => {
    const graph = loadShippedGraph(checkout);
    const plan = createPlan(graph, planRequest({ targets: ['proxyv2'], deps: readIstioDeps(checkout) }));
    expect(fetches(plan).map((f) => [f.id, f.url, f.sha256Url])).toEqual([
      ['fetch:envoy:linux_amd64', `${BUCKET}/envoy-alpha-${PROXY_SHA}.tar.gz`, `${BUCKET}/envoy-alpha-${PROXY_SHA}.sha256`],
      ['fetch:envoy:linux_arm64', `${BUCKET}/envoy-alpha-${PROXY_SHA}-arm64.tar.gz`, `${BUCKET}/envoy-alpha-${PROXY_SHA}-arm64.sha256`],
    ]);
    const overridden = createPlan(graph, planRequest({ targets: ['proxyv2'], deps: readIstioDeps(checkout), env: { ISTIO_ENVOY_VERSION: 'v2' } }));
    expect(fetches(overridden)[0]!.url).toBe(`${BUCKET}/envoy-alpha-v2.tar.gz`);
  });

  it('ISTIO_ENVOY_BASE_URL moves the bucket; what it fills in must still be an http(s) URL', () => {
    const graph = loadShippedGraph(checkout);
    const request = (base: string) => planRequest({ targets: ['proxyv2'], deps: readIstioDeps(checkout), env: { ISTIO_ENVOY_BASE_URL: base } });
    expect(fetches(createPlan(graph, request('https://mirror.test/proxy')))[0]!.url).toBe(`https://mirror.test/proxy/envoy-alpha-${PROXY_SHA}.tar.gz`);
    const error = thrown(() => createPlan(graph, request('file:///etc')));
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toBe(`artifact "envoy": its url filled in is file:///etc/envoy-alpha-${PROXY_SHA}.tar.gz, not an http:// or https:// URL`);
  });

  it('without istio.deps or ISTIO_ENVOY_VERSION: exit 2 naming the file, located at targets/artifacts.yaml', () => {
    const graph = loadShippedGraph(emptySource);
    const error = thrown(() => createPlan(graph, planRequest({ targets: ['proxyv2'], deps: readIstioDeps(emptySource) })));
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toBe(
      `artifact "envoy" needs ISTIO_ENVOY_VERSION or PROXY_REPO_SHA: neither variable is set, and ${path.join(emptySource, 'istio.deps')} does not exist (for {env:ISTIO_ENVOY_VERSION|deps:PROXY_REPO_SHA} in its url)`,
    );
    expect(error.location?.file).toBe(path.relative(process.cwd(), path.join(SHIPPED_TARGETS, 'artifacts.yaml')));
    expect(error.hint).toMatch(/istio\.deps pins PROXY_REPO_SHA, or set ISTIO_ENVOY_VERSION/);
  });

  it('is lazy: building pilot needs no Envoy version, no istio.deps and no environment', () => {
    const graph = loadShippedGraph(emptySource);
    const plan = createPlan(graph, planRequest({ targets: ['pilot'], env: {} }));
    expect(fetches(plan)).toEqual([]);
    expect(plan.jobs.map((j) => j.id)).toContain('image:pilot');
    // Nor does ztunnel's artifact, which Istio publishes without a checksum.
    expect(() => createPlan(graph, planRequest({ targets: ['control-plane'], deps: readIstioDeps(emptySource) }))).not.toThrow();
  });

  it('ztunnel: the pinned version, always with -<arch>; without a pinned sha256 it is exit 2 pointing to --artifact', () => {
    const graph = loadShippedGraph(checkout);
    const error = thrown(() => createPlan(graph, planRequest({ targets: ['artifact:ztunnel'], deps: readIstioDeps(checkout) })));
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toBe('artifact "ztunnel" has no sha256 for linux/amd64');
    expect(error.hint).toMatch(/--artifact ztunnel=PATH/);
  });
});
