/**
 * Envoy as an Istio checkout pins it, through the real CLI and a real HTTP server on 127.0.0.1:
 * the version from <source>/istio.deps, the amd64 tarball without an arch suffix and the arm64
 * one with -arm64, each checked against its published .sha256; and a local build given instead.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, STACK_FRAME, runCli } from '../../support/cli.js';
import { startFileServer, type FileServer } from '../../support/http-file-server.js';
import { listFiles, useTempDirs } from './files.js';

const ISTIO_LIKE = path.join(REPO_ROOT, 'test', 'fixtures', 'istio-like');
const TARGETS = path.join(ISTIO_LIKE, 'targets');
const PROXY_SHA = 'fca9ef956bd748bedb43d4c381af3d498dcf0723';
const tempDir = useTempDirs('meshbuild-istio-envoy-');
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const envoyFor = (arch: string) => `#!/bin/sh\necho "envoy ${arch}"\n`;

let server: FileServer;

/**
 * A .tar.gz holding usr/local/bin/envoy, as istio/proxy publishes it, made by tar and gzip; the
 * arm64 one with `./` entries, as Bazel's pkg_tar writes them.
 */
async function envoyTarball(arch: string): Promise<Buffer> {
  const dir = await tempDir();
  const tree = path.join(dir, 'tree');
  await mkdir(path.join(tree, 'usr', 'local', 'bin'), { recursive: true });
  await writeFile(path.join(tree, 'usr', 'local', 'bin', 'envoy'), envoyFor(arch), { mode: 0o755 });
  await execa('tar', ['-C', tree, '-cf', path.join(dir, 'envoy.tar'), arch === 'arm64' ? '.' : 'usr']);
  await execa('gzip', ['-n', path.join(dir, 'envoy.tar')]);
  return readFile(path.join(dir, 'envoy.tar.gz'));
}

/** A source tree holding only Istio 1.29.1's istio.deps (or nothing). */
async function istioSource(withDeps = true): Promise<string> {
  const source = await tempDir();
  if (withDeps) await copyFile(path.join(ISTIO_LIKE, 'istio.deps'), path.join(source, 'istio.deps'));
  return source;
}

async function buildEnvoy(source: string, extra: string[] = [], env: Record<string, string | undefined> = {}) {
  const out = await tempDir();
  const result = await runCli(
    [
      'build',
      'artifact:envoy',
      '--binaries-only',
      '--platforms',
      'amd64,arm64',
      '--targets',
      TARGETS,
      '--source',
      source,
      '--tag',
      't',
      '--out',
      out,
      ...extra,
    ],
    {
      env: {
        MESHBUILD_TEST_FILE_SERVER: server.host,
        ISTIO_ENVOY_VERSION: undefined,
        ISTIO_ENVOY_BASE_URL: undefined,
        PROXY_REPO_SHA: undefined,
        ISTIO_ENVOY_LINUX_RELEASE_PATH: undefined,
        ...env,
      },
    },
  );
  return { out, result };
}

beforeAll(async () => {
  const amd64 = await envoyTarball('amd64');
  const arm64 = await envoyTarball('arm64');
  server = await startFileServer({
    [`/proxy/envoy-alpha-${PROXY_SHA}.tar.gz`]: amd64,
    // sha256sum's output as istio/proxy's release-binary.sh writes it: the path it ran on.
    [`/proxy/envoy-alpha-${PROXY_SHA}.sha256`]: `${sha256(amd64)}  /home/prow/envoy-alpha-${PROXY_SHA}.tar.gz\n`,
    [`/proxy/envoy-alpha-${PROXY_SHA}-arm64.tar.gz`]: arm64,
    [`/proxy/envoy-alpha-${PROXY_SHA}-arm64.sha256`]: `${sha256(arm64)}\n`,
  });
});

afterAll(async () => {
  await server?.close();
});

describe("Envoy pinned by the checkout's istio.deps", () => {
  it('downloads amd64 without a suffix and arm64 with -arm64, each checked against its .sha256', async () => {
    const before = server.requests.length;
    const { out, result } = await buildEnvoy(await istioSource());
    expect(result.exitCode, result.stderr).toBe(0);
    expect(server.requests.slice(before).sort()).toEqual([
      `/proxy/envoy-alpha-${PROXY_SHA}-arm64.sha256`,
      `/proxy/envoy-alpha-${PROXY_SHA}-arm64.tar.gz`,
      `/proxy/envoy-alpha-${PROXY_SHA}.sha256`,
      `/proxy/envoy-alpha-${PROXY_SHA}.tar.gz`,
    ]);
    expect(await listFiles(out)).toEqual(['linux_amd64/envoy', 'linux_arm64/envoy']);
    expect(await readFile(path.join(out, 'linux_amd64', 'envoy'), 'utf8')).toBe(envoyFor('amd64'));
    expect(await readFile(path.join(out, 'linux_arm64', 'envoy'), 'utf8')).toBe(envoyFor('arm64'));
  });

  it('a checksum that disagrees is exit 1 and keeps nothing', async () => {
    const file = `/proxy/envoy-alpha-${PROXY_SHA}-arm64.sha256`;
    const published = server.files.get(file)!;
    server.files.set(file, Buffer.from(`${'0'.repeat(64)}  envoy-alpha-${PROXY_SHA}-arm64.tar.gz\n`));
    try {
      const { out, result } = await buildEnvoy(await istioSource());
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('sha256 mismatch for envoy (linux/arm64)');
      expect(await listFiles(path.join(out, 'linux_arm64'))).toEqual([]);
    } finally {
      server.files.set(file, published);
    }
  });

  it('ISTIO_ENVOY_VERSION overrides the pin', async () => {
    const { result } = await buildEnvoy(await istioSource(), [], { ISTIO_ENVOY_VERSION: 'other' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`${server.url}/proxy/envoy-alpha-other.tar.gz: HTTP 404`);
  });

  it('without istio.deps or ISTIO_ENVOY_VERSION: exit 2 naming the file, before anything runs', async () => {
    const source = await istioSource(false);
    const { out, result } = await buildEnvoy(source);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      `artifact "envoy" needs ISTIO_ENVOY_VERSION or PROXY_REPO_SHA: neither variable is set, and ${path.join(source, 'istio.deps')} does not exist`,
    );
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(await listFiles(out)).toEqual([]);
  });
});

describe('a local Envoy build instead of the download', () => {
  async function localBuilds(): Promise<string> {
    const dir = await tempDir();
    for (const arch of ['amd64', 'arm64']) {
      await mkdir(path.join(dir, arch), { recursive: true });
      await writeFile(path.join(dir, arch, 'envoy'), `local ${arch}\n`);
    }
    return dir;
  }

  it('--artifact envoy=DIR/{arch}/envoy copies each platform, downloads nothing, needs no istio.deps', async () => {
    const builds = await localBuilds();
    const before = server.requests.length;
    const { out, result } = await buildEnvoy(await istioSource(false), ['--artifact', `envoy=${path.join(builds, '{arch}', 'envoy')}`]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(server.requests.length).toBe(before);
    expect(await readFile(path.join(out, 'linux_amd64', 'envoy'), 'utf8')).toBe('local amd64\n');
    expect(await readFile(path.join(out, 'linux_arm64', 'envoy'), 'utf8')).toBe('local arm64\n');
  });

  it('a folder holding <arch>/envoy works the same, through ISTIO_ENVOY_LINUX_RELEASE_PATH too', async () => {
    const builds = await localBuilds();
    const { out, result } = await buildEnvoy(await istioSource(), [], { ISTIO_ENVOY_LINUX_RELEASE_PATH: builds });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await readFile(path.join(out, 'linux_arm64', 'envoy'), 'utf8')).toBe('local arm64\n');
  });

  it('a path that does not exist is exit 2 naming the flag', async () => {
    const missing = path.join(await tempDir(), 'no-such-envoy');
    const { out, result } = await buildEnvoy(await istioSource(), ['--artifact', `envoy=${missing}/{arch}`]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`--artifact envoy=${missing}/{arch}: ${missing}/amd64 does not exist (for linux/amd64)`);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(await listFiles(out)).toEqual([]);
  });
});
