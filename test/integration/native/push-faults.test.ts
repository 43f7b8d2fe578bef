/**
 * `meshbuild build pilot --builder native --push` through the fault-injecting proxy in front of
 * the real registry (the proxy is on 127.0.0.1, so plain HTTP is allowed and layers go
 * uncompressed, exactly as to the registry itself): 500, 503, 429 with Retry-After and a
 * connection dropped mid-upload each end in a successful push with the same digests as a run
 * without faults for the same hub; a registry that answers 500 forever ends in one clear error and no tag; wrong
 * credentials end in a clear error that shows the password nowhere.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { runCli, runSpawnedCli, STACK_FRAME, type CliResult } from '../../support/cli.js';
import { entryPlatform, errorLines, getManifest, listTags, OCI_INDEX, uniqueNamespace, type IndexEntry } from '../../support/images.js';
import { startAuthRegistry, type AuthRegistry } from '../../support/registry.js';
import { requireStack } from './native-support.js';

const TAG = '1.0.0-faults';
/** pilot and the two in-graph bases it is built on. */
const REPOSITORIES = ['pilot', 'base', 'distroless'];
const UPLOAD_START = /\/blobs\/uploads\/$/;
const UPLOAD_PUT = /\/blobs\/uploads\/[^?]+\?.*digest=/;
const MANIFEST_PUT = /\/manifests\//;

interface Report {
  images: Array<{ image: string; digest: string }>;
}

describe('native push through a faulty registry', () => {
  let registry: string;
  let proxy: FaultProxy;
  let tmp: string;
  /** Index digests of a push without faults, by repository name. */
  const expected: Record<string, string> = {};
  /** The size of pilot-discovery's uncompressed layer for linux/amd64 (several MB), less a little. */
  let pilotLayerSize: number;
  let runs = 0;

  async function push(hub: string, image = 'pilot'): Promise<CliResult & { report: string }> {
    const report = path.join(tmp, `report-${++runs}.json`);
    const result = await runCli([
      'build',
      image,
      '--builder',
      'native',
      '--platforms',
      'amd64,arm64',
      '--push',
      '--hub',
      hub,
      '--tag',
      TAG,
      '--out',
      path.join(tmp, 'out'),
      '--report',
      report,
    ]);
    return { ...result, report };
  }

  /**
   * Index digests of the same build, run again without faults for the same hub and pushed by
   * digest only (tags stay as the faulty run left them): binaries are stamped with their hub, so
   * the digests a push must match depend on it.
   */
  async function cleanDigests(hub: string): Promise<Record<string, string>> {
    proxy.reset();
    const report = path.join(tmp, `clean-${++runs}.json`);
    const args = ['build', 'pilot', '--builder', 'native', '--platforms', 'amd64,arm64', '--hub', hub, '--tag', TAG, '--out', path.join(tmp, 'out')];
    const result = await runCli([...args, '--push-by-digest', '--report', report]);
    if (result.exitCode !== 0) throw new Error(`the run without faults failed (exit ${result.exitCode}):\n${result.stderr}`);
    const images = (JSON.parse(await readFile(report, 'utf8')) as Report).images;
    return Object.fromEntries(REPOSITORIES.map((repository) => [repository, images.find((i) => i.image === repository)!.digest]));
  }

  async function expectPublished(namespace: string, hub = `${proxy.address}/${namespace}`): Promise<void> {
    const clean = await cleanDigests(hub);
    for (const repository of REPOSITORIES) {
      expect(await listTags(registry, `${namespace}/${repository}`), repository).toEqual([TAG]);
      const index = await getManifest(registry, `${namespace}/${repository}`, TAG, OCI_INDEX);
      expect(index.digest, repository).toBe(clean[repository]);
      // The bases carry no stamped binary: the same digest whatever the hub.
      if (repository !== 'pilot') expect(index.digest, repository).toBe(expected[repository]);
      expect((index.json.manifests as IndexEntry[]).map(entryPlatform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    }
  }

  beforeAll(async () => {
    registry = await requireStack({ docker: false });
    proxy = await startFaultProxy(registry);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-native-faults-'));
    const namespace = uniqueNamespace('native-ref');
    const reference = await push(`${registry}/${namespace}`);
    if (reference.exitCode !== 0) throw new Error(`the push without faults failed (exit ${reference.exitCode}):\n${reference.stderr}`);
    const report = JSON.parse(await readFile(reference.report, 'utf8')) as Report;
    for (const repository of REPOSITORIES) expected[repository] = report.images.find((i) => i.image === repository)!.digest;
    const index = await getManifest(registry, `${namespace}/pilot`, TAG, OCI_INDEX);
    const amd64 = (index.json.manifests as IndexEntry[]).find((m) => entryPlatform(m) === 'linux/amd64')!;
    const manifest = await getManifest(registry, `${namespace}/pilot`, amd64.digest, amd64.mediaType);
    const layers = manifest.json.layers as IndexEntry[];
    expect(layers[layers.length - 1]!.size).toBeGreaterThan(1024 * 1024);
    pilotLayerSize = layers[layers.length - 1]!.size - 64 * 1024;
  }, 600_000);

  beforeEach(() => {
    proxy.reset();
  });

  afterAll(async () => {
    await proxy?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('500 on blob uploads: retried, then published with the same digests', async () => {
    const namespace = uniqueNamespace('native-500');
    proxy.failNext({ method: 'PUT', path: UPLOAD_PUT, status: 500, count: 2 });
    const result = await push(`${proxy.address}/${namespace}`);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(proxy.requests.filter((r) => r.outcome === 'injected' && r.status === 500)).toHaveLength(2);
    await expectPublished(namespace);
  });

  it('503 on HEAD and on starting uploads: retried, then published with the same digests', async () => {
    const namespace = uniqueNamespace('native-503');
    proxy.failNext({ method: 'HEAD', status: 503, count: 2 });
    proxy.failNext({ method: 'POST', path: UPLOAD_START, status: 503, count: 3 });
    const result = await push(`${proxy.address}/${namespace}`);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(proxy.requests.filter((r) => r.outcome === 'injected' && r.status === 503)).toHaveLength(5);
    await expectPublished(namespace);
  });

  it('429 with Retry-After on manifest and blob PUTs: waited for, then published with the same digests', async () => {
    const namespace = uniqueNamespace('native-429');
    proxy.failNext({ method: 'PUT', path: MANIFEST_PUT, status: 429, retryAfter: '1', count: 2 });
    proxy.failNext({ method: 'PUT', path: UPLOAD_PUT, status: 429, retryAfter: '1' });
    const result = await push(`${proxy.address}/${namespace}`);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(proxy.requests.filter((r) => r.outcome === 'injected' && r.status === 429)).toHaveLength(3);
    await expectPublished(namespace);
  });

  it('a connection dropped in the middle of a layer upload: uploaded again, then published with the same digests', async () => {
    const namespace = uniqueNamespace('native-drop');
    // pilot's binary layer (its digest depends on the hub stamped into the binary): the one upload over 1 MiB.
    const pilotUpload = new RegExp(`/${namespace}/pilot/blobs/uploads/[^?]+\\?.*digest=sha256(:|%3A)([0-9a-f]{64})`);
    proxy.dropUpload({ method: 'PUT', path: pilotUpload, minLength: pilotLayerSize, afterBytes: 256 * 1024 });
    const result = await push(`${proxy.address}/${namespace}`);
    expect(result.exitCode, result.stderr).toBe(0);
    const dropped = proxy.requests.filter((r) => r.outcome === 'dropped');
    expect(dropped).toHaveLength(1);
    const hex = pilotUpload.exec(dropped[0]!.url)![2]!;
    expect(proxy.count('PUT', new RegExp(hex))).toBe(2);
    await expectPublished(namespace);
  });

  // One image with no base (app), so that one job fails and the run ends in exactly one error.
  it.each([
    ['every request', {}],
    ['every blob upload', { method: 'POST', path: UPLOAD_START }],
  ])('500 forever on %s: one clear error naming the registry, exit 1, no tag', async (_what, match) => {
    const namespace = uniqueNamespace('native-down');
    proxy.failNext({ ...match, status: 500, count: Number.POSITIVE_INFINITY });
    const result = await push(`${proxy.address}/${namespace}`, 'app');
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    const errors = errorLines(result.stderr);
    expect(errors, result.stderr).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`registry ${proxy.address.replaceAll('.', '\\.')} answered 500`));
    // Tags come last, after every image is stored by digest: none was even tried.
    expect(proxy.count('PUT', new RegExp(`/manifests/${TAG.replaceAll('.', '\\.')}$`))).toBe(0);
    expect(await listTags(registry, `${namespace}/app`)).toEqual([]);
  });

  describe('wrong credentials', () => {
    let auth: AuthRegistry;
    const wrongPassword = 'wr0ng-Secret-7f3a9c';

    beforeAll(async () => {
      auth = await startAuthRegistry();
    });

    afterAll(async () => {
      await auth?.stop();
    });

    it('end in a clear error naming the registry; the password and its base64 appear in no output or report', async () => {
      const configDir = path.join(tmp, 'docker-config');
      await mkdir(configDir, { recursive: true });
      const basic = Buffer.from(`${auth.username}:${wrongPassword}`).toString('base64');
      await writeFile(path.join(configDir, 'config.json'), JSON.stringify({ auths: { [auth.address]: { auth: basic } } }));
      const namespace = uniqueNamespace('native-auth');
      const report = path.join(tmp, 'report-auth.json');
      const result = await runSpawnedCli(
        [
          'build',
          'app',
          '--builder',
          'native',
          '--platforms',
          'amd64,arm64',
          '--push',
          '--hub',
          `${auth.address}/${namespace}`,
          '--tag',
          TAG,
          '--out',
          path.join(tmp, 'out'),
          '--report',
          report,
        ],
        { env: { DOCKER_CONFIG: configDir } },
      );
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stderr).not.toMatch(STACK_FRAME);
      const errors = errorLines(result.stderr);
      expect(errors, result.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(new RegExp(`registry ${auth.address.replaceAll('.', '\\.')} rejected the credentials`));
      const reportText = await readFile(report, 'utf8');
      for (const secret of [wrongPassword, basic, auth.password]) {
        expect(result.stdout).not.toContain(secret);
        expect(result.stderr).not.toContain(secret);
        expect(reportText).not.toContain(secret);
      }
      expect(await listTags(auth.address, `${namespace}/app`, { username: auth.username, password: auth.password })).toEqual([]);
    });
  });
});
