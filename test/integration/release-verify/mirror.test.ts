/**
 * `meshbuild mirror` between namespaces of the real registry (blobs mounted) and to another
 * registry address (blobs streamed, through a proxy that counts requests): whole indexes with
 * every platform, digests unchanged, the copy verified before it is tagged.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ImageIndex } from '../../../src/oci/types.js';
import { parseReport } from '../../../src/report/json-report.js';
import { runCli } from '../../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { localRegistry } from '../../support/registry.js';
import { getManifest, listTags, uniqueNamespace } from '../../support/images.js';
import { IMAGES, TAG, buildAndPush, pushWrongArchImage, tagSinglePlatform, tempDir } from './fixtures.js';

const BLOB_UPLOAD = /\/blobs\/uploads\//;

describe('meshbuild mirror', () => {
  let registry: string;
  let namespace: string;
  let hub: string;
  let report: string;
  let outDir: string;
  let cleanup: () => Promise<void>;
  let proxy: FaultProxy;

  beforeAll(async () => {
    registry = await localRegistry();
    namespace = uniqueNamespace('mirror-src');
    const temp = await tempDir('mirror');
    outDir = temp.dir;
    cleanup = temp.remove;
    ({ hub, report } = await buildAndPush(registry, namespace, outDir));
    proxy = await startFaultProxy(registry);
  });

  beforeEach(() => proxy?.reset());

  afterAll(async () => {
    await proxy?.close();
    await cleanup?.();
  });

  /** The index as the registry serves it, read with plain HTTP (not meshbuild's client). */
  async function index(repo: string, reference: string): Promise<{ digest: string; index: ImageIndex }> {
    const fetched = await getManifest(registry, repo, reference);
    return { digest: fetched.digest, index: fetched.json as unknown as ImageIndex };
  }

  it('copies both platforms to another namespace with digests unchanged, and the copy verifies', async () => {
    const target = uniqueNamespace('mirror-dst');
    // Through the proxy on both sides: one registry, so blobs are mounted, never uploaded.
    const result = await runCli(['mirror', `${proxy.address}/${namespace}/pilot:${TAG}`, `${proxy.address}/${target}`]);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toContain(`${proxy.address}/${namespace}/pilot:${TAG} -> ${proxy.address}/${target}/pilot:${TAG}`);
    expect(result.stdout).toContain('(linux/amd64, linux/arm64; 0 attestation entries)');
    expect(result.stdout).toContain(`tagged ${proxy.address}/${target}/pilot:${TAG}`);
    expect(result.stderr).not.toContain('warning');
    expect(proxy.count('POST', /[?&]mount=/)).toBeGreaterThan(0);
    expect(proxy.count('PUT', BLOB_UPLOAD) + proxy.count('PATCH', BLOB_UPLOAD)).toBe(0);

    const source = await index(`${namespace}/pilot`, TAG);
    const copy = await index(`${target}/pilot`, TAG);
    expect(copy.digest).toBe(source.digest);
    expect(copy.index.manifests.map((m) => [m.platform?.architecture, m.digest])).toEqual(
      source.index.manifests.map((m) => [m.platform?.architecture, m.digest]),
    );
    expect(copy.index.manifests.map((m) => m.platform?.architecture)).toEqual(['amd64', 'arm64']);

    const verify = await runCli(['verify', `${registry}/${target}/pilot:${TAG}`, '--platforms', 'amd64,arm64']);
    expect(verify.exitCode, verify.stdout).toBe(0);
  });

  it('streams blobs to another registry, writes --tag, and keeps the digests', async () => {
    const target = uniqueNamespace('mirror-other');
    // The proxy's address is another registry as far as meshbuild knows: nothing to mount from.
    const result = await runCli(['mirror', `${hub}/proxyv2:${TAG}`, `${proxy.address}/${target}`, '--tag', 'mirrored', '--platforms', 'amd64,arm64']);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    expect(proxy.count('POST', /[?&]mount=/)).toBe(0);
    expect(proxy.count('PUT', BLOB_UPLOAD)).toBeGreaterThan(0);
    expect((await index(`${target}/proxyv2`, 'mirrored')).digest).toBe((await index(`${namespace}/proxyv2`, TAG)).digest);
    expect(await listTags(registry, `${target}/proxyv2`)).toEqual(['mirrored']);
  });

  it('--from-report mirrors every image of the report and verifies each', async () => {
    const target = uniqueNamespace('mirror-report');
    const result = await runCli(['mirror', '--from-report', report, `${registry}/${target}`]);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toContain(`mirror: ${IMAGES.length} of ${IMAGES.length} images copied and verified`);
    const reported = parseReport(await readFile(report, 'utf8'), report);
    for (const image of reported.images) {
      expect((await index(`${target}/${image.image}`, TAG)).digest).toBe(image.digest);
    }
  });

  it('copies a single-platform manifest but warns about it', async () => {
    const single = await tagSinglePlatform(registry, `${namespace}/istioctl`, TAG, `${TAG}-amd64`);
    const target = uniqueNamespace('mirror-single');
    const result = await runCli(['mirror', single, `${registry}/${target}`]);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    expect(result.stderr).toContain(`warning: ${single} is a single-platform image (linux/amd64), not an index`);
    expect(result.stderr).toContain('exec format error');
    expect(await listTags(registry, `${target}/istioctl`)).toEqual([`${TAG}-amd64`]);
  });

  it('fails (exit 1) and writes no tag when the copy does not verify', async () => {
    const bad = await pushWrongArchImage(registry, `${namespace}/wrong-arch`, TAG, path.join(outDir, 'linux_amd64', 'pilot-discovery'), outDir);
    const target = uniqueNamespace('mirror-bad');
    const result = await runCli(['mirror', bad, `${registry}/${target}`]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('the copy failed verification: no tag was written');
    expect(result.stdout).toContain('exec format error waiting to happen: /usr/local/bin/pilot-discovery is x86-64 but the image is linux/arm64');
    expect(await listTags(registry, `${target}/wrong-arch`)).toEqual([]);

    const lacking = await runCli(['mirror', `${hub}/pilot:${TAG}`, `${registry}/${target}`, '--platforms', 'amd64,s390x']);
    expect(lacking.exitCode).toBe(1);
    expect(lacking.stderr).toContain('lacks linux/s390x');
    expect(await listTags(registry, `${target}/pilot`)).toEqual([]);
  });

  it('exits 2 for bad input', async () => {
    expect((await runCli(['mirror', `${hub}/pilot:${TAG}`])).exitCode).toBe(2);
    expect((await runCli(['mirror', `${hub}/pilot:${TAG}`, 'http://nope/x'])).exitCode).toBe(2);
    expect((await runCli(['mirror', '--from-report', report, `${registry}/x`, 'extra'])).exitCode).toBe(2);
    const layoutReport = path.join(outDir, 'layout-report.json');
    const parsed = parseReport(await readFile(report, 'utf8'), report);
    await writeFile(
      layoutReport,
      JSON.stringify({ ...parsed, images: parsed.images.map((i) => ({ ...i, repository: 'oci:/tmp/images', refs: [`${i.image}:${TAG}`] })) }),
    );
    const fromLayout = await runCli(['mirror', '--from-report', layoutReport, `${registry}/x`]);
    expect(fromLayout.exitCode).toBe(2);
    expect(fromLayout.stderr).toContain('push --from');
  });
});
