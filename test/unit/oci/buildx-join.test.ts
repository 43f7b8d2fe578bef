/**
 * joinPlatformLayouts: what a multi-node buildx builder gives meshbuild (one OCI layout per
 * platform, each built on its own node) joined into one layout and one index, as the publish path
 * takes it. Layouts are written here with the project's own OCI code; no Docker.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { joinPlatformLayouts } from '../../../src/image/buildx-results.js';
import { OciLayout } from '../../../src/oci/layout.js';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';
import { describeBytes, encodeImageIndex } from '../../../src/oci/manifest.js';
import type { Descriptor, ImageIndex } from '../../../src/oci/types.js';
import { parsePlatform, type Platform } from '../../../src/platform.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-buildx-join-');
const platform = (text: string): Platform => {
  const parsed = parsePlatform(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.platform;
};

/** A layout holding one shared blob, one blob of its own and a manifest naming them, as buildx writes for one platform. */
async function platformLayout(dir: string, arch: string): Promise<{ layoutDir: string; manifest: Descriptor; own: string }> {
  const layout = await OciLayout.create(dir);
  const shared = Buffer.from('base layer shared by both platforms');
  const own = Buffer.from(`layer of ${arch}`);
  await layout.writeBlob(shared);
  const ownBlob = await layout.writeBlob(own);
  const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE.ociManifest, layers: [describeBytes(own, MEDIA_TYPE.ociLayer)] }));
  const manifest = describeBytes(manifestBytes, MEDIA_TYPE.ociManifest);
  await layout.writeBlob(manifestBytes);
  return { layoutDir: dir, manifest, own: ownBlob.digest };
}

const blobsOf = async (dir: string) => (await readdir(path.join(dir, 'blobs', 'sha256'))).sort();
const readIndex = async (dir: string, index: Descriptor) =>
  JSON.parse(await readFile(path.join(dir, 'blobs', 'sha256', index.digest.slice('sha256:'.length)), 'utf8')) as ImageIndex;

describe('joinPlatformLayouts', () => {
  it('lists each platform manifest in one index, with every blob of every layout in one folder', async () => {
    const dir = await tempDir();
    const amd64 = await platformLayout(path.join(dir, 'amd64'), 'amd64');
    const arm64 = await platformLayout(path.join(dir, 'arm64'), 'arm64');
    const blobs = new Set([...(await blobsOf(amd64.layoutDir)), ...(await blobsOf(arm64.layoutDir))]);
    const into = path.join(dir, 'joined');
    const index = await joinPlatformLayouts(
      [
        { platform: platform('linux/amd64'), layoutDir: amd64.layoutDir, descriptor: amd64.manifest },
        { platform: platform('linux/arm64'), layoutDir: arm64.layoutDir, descriptor: arm64.manifest },
      ],
      into,
    );
    const joined = await readIndex(into, index);
    expect(joined.manifests.map((m) => [m.digest, m.platform])).toEqual([
      [amd64.manifest.digest, { os: 'linux', architecture: 'amd64' }],
      [arm64.manifest.digest, { os: 'linux', architecture: 'arm64' }],
    ]);
    expect(await blobsOf(into)).toEqual([...blobs, index.digest.slice('sha256:'.length)].sort());
    await expect(OciLayout.open(into)).resolves.toBeDefined();
  });

  it("keeps a platform's attestation entries when buildx wrote an index for it", async () => {
    const dir = await tempDir();
    const amd64 = await platformLayout(path.join(dir, 'amd64'), 'amd64');
    const arm64 = await platformLayout(path.join(dir, 'arm64'), 'arm64');
    const attestation = { ...arm64.manifest, digest: `sha256:${'a'.repeat(64)}`, platform: { os: 'unknown', architecture: 'unknown' } };
    const armIndex = encodeImageIndex({ manifests: [{ ...arm64.manifest, platform: { os: 'linux', architecture: 'arm64' } }, attestation] });
    await (await OciLayout.open(arm64.layoutDir)).writeBlob(armIndex.bytes);
    const into = path.join(dir, 'joined');
    const index = await joinPlatformLayouts(
      [
        { platform: platform('linux/amd64'), layoutDir: amd64.layoutDir, descriptor: amd64.manifest },
        { platform: platform('linux/arm64'), layoutDir: arm64.layoutDir, descriptor: armIndex.descriptor },
      ],
      into,
    );
    expect((await readIndex(into, index)).manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`)).toEqual([
      'linux/amd64',
      'linux/arm64',
      'unknown/unknown',
    ]);
  });

  it('refuses an index that has no entry for the platform it was built for', async () => {
    const dir = await tempDir();
    const amd64 = await platformLayout(path.join(dir, 'amd64'), 'amd64');
    const wrong = encodeImageIndex({ manifests: [{ ...amd64.manifest, platform: { os: 'linux', architecture: 's390x' } }] });
    await (await OciLayout.open(amd64.layoutDir)).writeBlob(wrong.bytes);
    await expect(
      joinPlatformLayouts([{ platform: platform('linux/amd64'), layoutDir: amd64.layoutDir, descriptor: wrong.descriptor }], path.join(dir, 'joined')),
    ).rejects.toThrow(/buildx built linux\/amd64 without an entry for it in its index/);
  });
});
