import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';
import type { Descriptor, ImageIndex, ImageManifest } from '../../../src/oci/types.js';
import { bufferBlobSource } from '../../../src/registry/blob-source.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { RegistryError } from '../../../src/registry/registry-error.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { localRegistry } from '../../support/registry.js';
import { indexOf, platformImage, sha256, uniqueRepo } from './fixtures.js';

/** Pushes an image for each architecture and returns their manifest descriptors with platforms. */
async function pushPlatformImages(client: RegistryClient, repo: string, types?: Parameters<typeof platformImage>[1]): Promise<Descriptor[]> {
  const descriptors: Descriptor[] = [];
  for (const architecture of ['amd64', 'arm64']) {
    const image = platformImage(architecture, types);
    await client.pushBlob(repo, image.config.descriptor, bufferBlobSource(image.config.bytes));
    await client.pushBlob(repo, image.layer.descriptor, bufferBlobSource(image.layer.bytes));
    const digest = await client.putManifest(repo, sha256(image.manifest), image.manifest, image.mediaType);
    expect(digest).toBe(sha256(image.manifest));
    descriptors.push({ mediaType: image.mediaType, digest, size: image.manifest.length, platform: { os: 'linux', architecture } });
  }
  return descriptors;
}

describe('manifests and tags against the real registry', () => {
  let registry: string;
  let proxy: FaultProxy;
  let client: RegistryClient;

  beforeAll(async () => {
    registry = await localRegistry();
    proxy = await startFaultProxy(registry);
    client = new RegistryClient(proxy.address, { retryBaseDelayMs: 10 });
  });

  afterAll(async () => {
    await proxy?.close();
  });

  it('puts an OCI index of two platform manifests and reads it back as an OCI index', async () => {
    const repo = uniqueRepo('index');
    const manifests = await pushPlatformImages(client, repo);
    const index = indexOf(MEDIA_TYPE.ociIndex, manifests);
    const digest = await client.putManifest(repo, 'v1', index, MEDIA_TYPE.ociIndex);
    expect(digest).toBe(sha256(index));

    const fetched = await client.getManifest(repo, 'v1', [MEDIA_TYPE.ociIndex]);
    expect(fetched.mediaType).toBe(MEDIA_TYPE.ociIndex);
    expect(fetched.descriptor).toEqual({ mediaType: MEDIA_TYPE.ociIndex, digest, size: index.length });
    expect(fetched.bytes.equals(index)).toBe(true);
    const parsed = fetched.parsed as ImageIndex;
    expect(parsed.manifests.map((m) => m.platform?.architecture)).toEqual(['amd64', 'arm64']);
    expect(parsed.manifests.map((m) => m.digest)).toEqual(manifests.map((m) => m.digest));

    expect(await client.headManifest(repo, 'v1', [MEDIA_TYPE.ociIndex])).toEqual(fetched.descriptor);
    const byDigest = await client.getManifest(repo, digest);
    expect(byDigest.descriptor.digest).toBe(digest);

    const first = manifests[0];
    if (first === undefined) throw new Error('no manifests');
    const platform = await client.getManifest(repo, first.digest);
    expect(platform.mediaType).toBe(MEDIA_TYPE.ociManifest);
    expect((platform.parsed as ImageManifest).layers).toHaveLength(1);
  });

  it('reads Docker manifest lists and v2 manifests', async () => {
    const repo = uniqueRepo('docker-list');
    const manifests = await pushPlatformImages(client, repo, {
      manifest: MEDIA_TYPE.dockerManifest,
      config: MEDIA_TYPE.dockerConfig,
      layer: MEDIA_TYPE.dockerLayerGzip,
    });
    const list = indexOf(MEDIA_TYPE.dockerManifestList, manifests);
    const digest = await client.putManifest(repo, 'latest', list, MEDIA_TYPE.dockerManifestList);
    const fetched = await client.getManifest(repo, 'latest');
    expect(fetched.mediaType).toBe(MEDIA_TYPE.dockerManifestList);
    expect(fetched.descriptor.digest).toBe(digest);
    const second = manifests[1];
    if (second === undefined) throw new Error('no manifests');
    expect((await client.getManifest(repo, second.digest)).mediaType).toBe(MEDIA_TYPE.dockerManifest);
  });

  // distribution 2.8 ignores `n` on tags/list and answers in one page (pagination of tags came
  // with 3.0), so the Link-following itself is covered by the unit tests of parseNextLink.
  it('lists tags (asking for pages of two)', async () => {
    const repo = uniqueRepo('tags');
    const [manifest] = await pushPlatformImages(client, repo);
    if (manifest === undefined) throw new Error('no manifest');
    const { bytes } = await client.getManifest(repo, manifest.digest);
    const tags = ['a1', 'b2', 'c3', 'd4', 'e5'];
    for (const tag of tags) await client.putManifest(repo, tag, bytes, manifest.mediaType);
    proxy.reset();
    expect((await client.listTags(repo, { pageSize: 2 })).sort()).toEqual(tags);
    expect(proxy.count('GET', /\/tags\/list\?n=2$/)).toBe(1);
    expect(await client.listTags(uniqueRepo('no-such-repo'))).toEqual([]);
  });

  it('deletes a manifest, and reports unknown manifests clearly', async () => {
    const repo = uniqueRepo('delete');
    const [manifest] = await pushPlatformImages(client, repo);
    if (manifest === undefined) throw new Error('no manifest');
    expect(await client.headManifest(repo, manifest.digest)).toMatchObject({ digest: manifest.digest, size: manifest.size });
    await client.deleteManifest(repo, manifest.digest);
    expect(await client.headManifest(repo, manifest.digest)).toBeUndefined();

    const error = await client.getManifest(repo, 'never-pushed').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).exitCode).toBe(1);
    expect((error as RegistryError).message).toContain('manifest not found');
    expect((error as RegistryError).message).toContain(`${repo}:never-pushed`);
  });

  it('refuses a manifest whose bytes do not match the digest it is pushed under', async () => {
    const repo = uniqueRepo('bad-digest');
    const [manifest] = await pushPlatformImages(client, repo);
    if (manifest === undefined) throw new Error('no manifest');
    const { bytes } = await client.getManifest(repo, manifest.digest);
    await expect(client.putManifest(repo, sha256(Buffer.from('x')), bytes, manifest.mediaType)).rejects.toThrow(/its bytes have digest/);
  });
});
