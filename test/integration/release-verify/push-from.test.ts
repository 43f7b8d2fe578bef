/**
 * `meshbuild push --from out/images` into the real registry (through a proxy that counts and, in
 * one test, fails requests): by digest first, nothing sent twice, tags last and all-or-nothing,
 * and a --report in the json-report format.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LayoutStore } from '../../../src/publish/layout-store.js';
import { parseReport } from '../../../src/report/json-report.js';
import { runCli } from '../../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { localRegistry } from '../../support/registry.js';
import { getManifest, listTags, manifestStatus, uniqueNamespace } from '../../support/images.js';
import { IMAGES, TAG, buildLayout, tempDir } from './fixtures.js';

const BLOB_UPLOAD = /\/blobs\/uploads\//;

describe('meshbuild push --from', () => {
  let registry: string;
  let outDir: string;
  let layoutDir: string;
  let cleanup: () => Promise<void>;
  let proxy: FaultProxy;
  /** image -> index digest in the layout */
  const built = new Map<string, string>();

  beforeAll(async () => {
    registry = await localRegistry();
    const temp = await tempDir('push-from');
    outDir = temp.dir;
    cleanup = temp.remove;
    layoutDir = await buildLayout(outDir);
    const layout = await LayoutStore.at(layoutDir, false);
    for (const image of IMAGES) built.set(image, (await layout.resolveTag(`${image}:${TAG}`))!.digest);
    proxy = await startFaultProxy(registry);
  });

  beforeEach(() => proxy?.reset());

  afterAll(async () => {
    await proxy?.close();
    await cleanup?.();
  });

  /** What a tag names, read with plain HTTP (not meshbuild's client). */
  async function tagDigest(repo: string, tag: string): Promise<string | undefined> {
    if ((await manifestStatus(registry, repo, tag)) === 404) return undefined;
    return (await getManifest(registry, repo, tag)).digest;
  }

  it('publishes every image by digest, then its tags; a second run sends no blob again', async () => {
    const namespace = uniqueNamespace('push');
    const hub = `${proxy.address}/${namespace}`;
    const first = path.join(outDir, 'push-1.json');
    const result = await runCli(['push', '--from', layoutDir, '--hub', hub, '--platforms', 'amd64,arm64', '--report', first]);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`pushed ${IMAGES.length} images from oci:.* \\(0 already there\\): [1-9]\\d* blobs sent`));
    expect(proxy.count('PUT', BLOB_UPLOAD)).toBeGreaterThan(0);
    for (const image of IMAGES) {
      expect(result.stdout).toContain(`tagged ${hub}/${image}:${TAG}`);
      expect(await tagDigest(`${namespace}/${image}`, TAG)).toBe(built.get(image));
    }
    const report1 = parseReport(await readFile(first, 'utf8'), first);
    expect(report1).toMatchObject({ ok: true, tags: [TAG], hubs: [hub], platforms: ['linux/amd64', 'linux/arm64'] });
    expect(report1.images.map((i) => i.image).sort()).toEqual(IMAGES);
    for (const image of report1.images) {
      expect(image.refs).toEqual([`${hub}/${image.image}:${TAG}`]);
      expect(image.digest).toBe(built.get(image.image));
      expect(image.platforms.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    }
    expect(report1.jobs.every((j) => j.status === 'succeeded' && / blobs sent /.test(j.title))).toBe(true);

    proxy.reset();
    const second = path.join(outDir, 'push-2.json');
    const again = await runCli(['push', '--from', layoutDir, '--hub', hub, '--report', second]);
    expect(again.exitCode, again.stderr + again.stdout).toBe(0);
    expect(again.stdout).toContain(
      `pushed ${IMAGES.length} images from oci:${layoutDir} (${IMAGES.length} already there): 0 blobs sent (0 B), 0 blobs already there`,
    );
    expect(proxy.count('POST', BLOB_UPLOAD) + proxy.count('PUT', BLOB_UPLOAD) + proxy.count('PATCH', BLOB_UPLOAD)).toBe(0);
    const report2 = parseReport(await readFile(second, 'utf8'), second);
    expect(report2.ok).toBe(true);
    expect(report2.jobs.map((j) => j.title).every((t) => t.endsWith('image already there, nothing sent'))).toBe(true);
    for (const image of IMAGES) expect(await tagDigest(`${namespace}/${image}`, TAG)).toBe(built.get(image));
    expect(report2.images.map((i) => [i.image, i.digest]).sort()).toEqual(report1.images.map((i) => [i.image, i.digest]).sort());
  });

  it('--tag retags a layout with one tag per image, pointing at the same digests', async () => {
    const namespace = uniqueNamespace('push-retag');
    const result = await runCli(['push', '--from', layoutDir, '--hub', `${registry}/${namespace}`, '--tag', '2.0.0,latest']);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    for (const image of IMAGES) {
      expect((await listTags(registry, `${namespace}/${image}`)).sort()).toEqual(['2.0.0', 'latest']);
      expect(await tagDigest(`${namespace}/${image}`, '2.0.0')).toBe(built.get(image));
    }
  });

  it('writes no tag when an index lacks a requested platform', async () => {
    const namespace = uniqueNamespace('push-lacking');
    const result = await runCli(['push', '--from', layoutDir, '--hub', `${registry}/${namespace}`, '--platforms', 'amd64,arm64,s390x']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('lacks linux/s390x (it has linux/amd64, linux/arm64); no tag was written');
    for (const image of IMAGES) expect(await listTags(registry, `${namespace}/${image}`)).toEqual([]);
  });

  it('exits non-zero and writes no tag when the registry fails every manifest PUT', async () => {
    const namespace = uniqueNamespace('push-fault');
    proxy.failNext({ method: 'PUT', path: /\/manifests\//, status: 500, count: Number.POSITIVE_INFINITY });
    const reportFile = path.join(outDir, 'push-fault.json');
    const result = await runCli(['push', '--from', layoutDir, '--hub', `${proxy.address}/${namespace}`, '--report', reportFile]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('no tag was written');
    expect(result.stderr).toMatch(/answered 500/);
    expect(result.stdout).not.toContain('tagged ');
    expect(proxy.count('PUT', /\/manifests\/(?!sha256:)/)).toBe(0);
    for (const image of IMAGES) expect(await listTags(registry, `${namespace}/${image}`)).toEqual([]);
    const report = parseReport(await readFile(reportFile, 'utf8'), reportFile);
    expect(report.ok).toBe(false);
    expect(report.images).toEqual([]);
    expect(report.jobs.some((j) => j.status === 'failed' && /answered 500/.test(j.error?.message ?? ''))).toBe(true);
  });

  it('exits 2 for bad input', async () => {
    const hub = `${registry}/${uniqueNamespace('push-bad')}`;
    expect((await runCli(['push', '--from', path.join(outDir, 'no-such-layout'), '--hub', hub])).exitCode).toBe(2);
    expect((await runCli(['push', '--from', layoutDir], { env: { HUB: undefined } })).exitCode).toBe(2);
    expect((await runCli(['push', '--from', layoutDir, '--hub', 'http://x/y'])).exitCode).toBe(2);
    expect((await runCli(['push', '--from', layoutDir, '--hub', hub, '--tag', 'bad/tag'])).exitCode).toBe(2);
  });
});
