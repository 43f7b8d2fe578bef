/**
 * Temp folders shaped like an Istio checkout, for tests that point the shipped graph at one: the
 * bundled sample's Dockerfiles and files at Istio's paths (no overlay, so its bases come from a
 * registry as Istio's do), plus, when asked, Istio 1.29.1's istio.deps and Makefile.core.mk lines
 * (test/fixtures/istio-like). `withGo` adds the sample's Go module, for tests that build binaries.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { REPO_ROOT } from './cli.js';

export const SAMPLE_SOURCE = path.join(REPO_ROOT, 'examples', 'mesh');
export const ISTIO_LIKE_FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'istio-like');

/** Where Istio keeps the files the shipped graph's images read. */
const ISTIO_IMAGE_FILES = [
  'pilot/docker',
  'istioctl/docker',
  'cni/deployments/kubernetes',
  'pkg/test/echo/docker',
  'samples/extauthz/docker',
  'tools/packaging/common/envoy_bootstrap.json',
  'tests/testdata/certs/dns',
];

export interface IstioCheckoutOptions {
  /** Copy Istio 1.29.1's istio.deps (Envoy and ztunnel pins). Default true. */
  deps?: boolean;
  /** Copy the BASE_VERSION / ISTIO_BASE_REGISTRY lines of Makefile.core.mk. Default true. */
  makefile?: boolean;
  /** Copy the sample's Go module, so its binaries build. Default false. */
  withGo?: boolean;
}

/** Makes one such checkout, removed after the test file's tests. */
export function istioLikeCheckout(options: IstioCheckoutOptions = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'meshbuild-istio-like-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  if (options.withGo) {
    cpSync(SAMPLE_SOURCE, dir, { recursive: true, filter: (from) => path.basename(from) !== 'meshbuild.yaml' });
  } else {
    for (const part of ISTIO_IMAGE_FILES) {
      mkdirSync(path.dirname(path.join(dir, part)), { recursive: true });
      cpSync(path.join(SAMPLE_SOURCE, part), path.join(dir, part), { recursive: true });
    }
  }
  if (options.deps ?? true) cpSync(path.join(ISTIO_LIKE_FIXTURE, 'istio.deps'), path.join(dir, 'istio.deps'));
  if (options.makefile ?? true) cpSync(path.join(ISTIO_LIKE_FIXTURE, 'Makefile.core.mk'), path.join(dir, 'Makefile.core.mk'));
  return dir;
}
