import { readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MeshbuildError } from '../../../src/errors.js';
import { sha256Digest } from '../../../src/oci/digest.js';
import { OciLayout, checkRefName } from '../../../src/oci/layout.js';
import { encodeImageConfig, encodeImageIndex, encodeImageManifest } from '../../../src/oci/manifest.js';
import { MEDIA_TYPE, REF_NAME_ANNOTATION } from '../../../src/oci/media-types.js';
import type { Descriptor, ImageManifest } from '../../../src/oci/types.js';
import { collect, useTempDirs } from './temp-dir.js';

const tempDir = useTempDirs();

/** Writes a config and a manifest (no layers) for `architecture`; returns the manifest descriptor. */
async function putTinyImage(layout: OciLayout, architecture: string): Promise<Descriptor> {
  const config = encodeImageConfig({ platform: { os: 'linux', architecture }, diffIds: [] });
  await layout.writeBlob(config.bytes);
  const manifest = encodeImageManifest({ config: config.descriptor, layers: [], platform: { os: 'linux', architecture } });
  await layout.writeBlob(manifest.bytes);
  return manifest.descriptor;
}

async function tempFiles(dir: string): Promise<string[]> {
  const all = [...(await readdir(dir)), ...(await readdir(join(dir, 'blobs', 'sha256')))];
  return all.filter((name) => name.endsWith('.tmp'));
}

describe('OciLayout', () => {
  it('creates oci-layout, index.json and blobs/sha256, and opens an existing layout', async () => {
    const dir = join(await tempDir(), 'layout');
    const layout = await OciLayout.create(dir);
    expect(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(await layout.readIndex()).toEqual({ schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: [] });
    expect((await stat(join(dir, 'blobs', 'sha256'))).isDirectory()).toBe(true);
    expect((await OciLayout.open(dir)).dir).toBe(layout.dir);
    expect((await OciLayout.create(dir)).dir).toBe(layout.dir); // idempotent
  });

  it('refuses to open a folder that is not a layout', async () => {
    const dir = await tempDir();
    await expect(OciLayout.open(dir)).rejects.toThrow(/is not an OCI image layout/);
    await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    await expect(OciLayout.open(dir)).rejects.toThrow(/imageLayoutVersion "2.0.0" is not supported/);
    await expect(OciLayout.create(dir)).rejects.toThrow(MeshbuildError);
  });

  it('writes blobs from buffers, streams and files and reads them back', async () => {
    const dir = await tempDir();
    const layout = await OciLayout.create(dir);
    const fromBuffer = await layout.writeBlob(Buffer.from('{"a":1}'));
    expect(fromBuffer).toEqual({ digest: sha256Digest('{"a":1}'), size: 7 });
    expect(await layout.hasBlob(fromBuffer.digest)).toBe(true);
    expect(await layout.readJsonBlob(fromBuffer.digest)).toEqual({ a: 1 });
    const fromStream = await layout.writeBlob(Readable.from([Buffer.from('chunk one, '), Buffer.from('chunk two')]));
    expect(fromStream).toEqual({ digest: sha256Digest('chunk one, chunk two'), size: 20 });
    expect((await collect(await layout.openBlob(fromStream.digest))).toString()).toBe('chunk one, chunk two');
    const file = join(dir, 'outside.bin');
    await writeFile(file, Buffer.alloc(100_000, 3));
    const fromFile = await layout.writeBlobFromFile(file);
    expect(fromFile).toEqual({ digest: sha256Digest(Buffer.alloc(100_000, 3)), size: 100_000 });
    expect((await readFile(layout.blobPath(fromFile.digest))).equals(Buffer.alloc(100_000, 3))).toBe(true);
    expect(await layout.hasBlob(sha256Digest('nope'))).toBe(false);
    expect(await tempFiles(dir)).toEqual([]);
  });

  it('does not rewrite a blob that is already there', async () => {
    const layout = await OciLayout.create(await tempDir());
    const { digest } = await layout.writeBlob(Buffer.from('same'));
    const path = layout.blobPath(digest);
    const past = new Date('2000-01-01T00:00:00Z');
    await utimes(path, past, past);
    const before = await stat(path);
    await layout.writeBlob(Buffer.from('same'));
    await layout.writeBlob(Readable.from([Buffer.from('same')]));
    await layout.writeBlob(Readable.from([Buffer.from('same')]), { digest });
    const after = await stat(path);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(past.getTime());
  });

  it('refuses content that does not have the digest promised, leaving nothing behind', async () => {
    const dir = await tempDir();
    const layout = await OciLayout.create(dir);
    const wrong = sha256Digest('other');
    await expect(layout.writeBlob(Buffer.from('data'), { digest: wrong })).rejects.toThrow(/expected/);
    await expect(layout.writeBlob(Readable.from([Buffer.from('data')]), { digest: wrong })).rejects.toThrow(MeshbuildError);
    expect(await layout.hasBlob(wrong)).toBe(false);
    expect(await layout.hasBlob(sha256Digest('data'))).toBe(false);
    expect(await tempFiles(dir)).toEqual([]);
  });

  it('notices a corrupt or missing blob when reading', async () => {
    const layout = await OciLayout.create(await tempDir());
    const { digest } = await layout.writeBlob(Buffer.from('good'));
    await writeFile(layout.blobPath(digest), 'evil');
    await expect(layout.readBlob(digest)).rejects.toThrow(/is corrupt/);
    await expect(collect(await layout.openBlob(digest))).rejects.toThrow(/has digest/);
    expect((await collect(await layout.openBlob(digest, { verify: false }))).toString()).toBe('evil');
    await expect(layout.readBlob(sha256Digest('absent'))).rejects.toThrow(/is not in the OCI layout/);
    expect(() => layout.blobPath('sha256:short')).toThrow(MeshbuildError);
  });

  it('names images by ref, replaces a ref that exists and removes refs', async () => {
    const dir = await tempDir();
    const layout = await OciLayout.create(dir);
    const amd64 = await putTinyImage(layout, 'amd64');
    const arm64 = await putTinyImage(layout, 'arm64');
    const index = encodeImageIndex({ manifests: [amd64, arm64] });
    await layout.writeBlob(index.bytes);
    await layout.putRef('1.24.0', index.descriptor);
    await layout.putRef('pilot-amd64', amd64);
    expect(await layout.listRefs()).toEqual(['1.24.0', 'pilot-amd64']);
    expect(await layout.resolveRef('1.24.0')).toEqual({ ...index.descriptor, annotations: { [REF_NAME_ANNOTATION]: '1.24.0' } });
    expect(await layout.resolveRef('missing')).toBeUndefined();
    const resolved = await layout.resolveRef('pilot-amd64');
    expect((await layout.readJsonBlob<ImageManifest>(resolved!.digest)).config.mediaType).toBe(MEDIA_TYPE.ociConfig);

    await layout.putRef('pilot-amd64', arm64);
    const manifests = (await layout.readIndex()).manifests;
    expect(manifests).toHaveLength(2);
    expect((await layout.resolveRef('pilot-amd64'))?.digest).toBe(arm64.digest);
    expect((await layout.resolveRef('pilot-amd64'))?.platform).toEqual({ architecture: 'arm64', os: 'linux' });

    expect(await layout.removeRef('pilot-amd64')).toBe(true);
    expect(await layout.removeRef('pilot-amd64')).toBe(false);
    expect(await layout.listRefs()).toEqual(['1.24.0']);
    expect(await tempFiles(dir)).toEqual([]);
  });

  it('keeps refs put while another handle creates the same layout', async () => {
    const dir = await tempDir();
    const layout = await OciLayout.create(dir);
    const manifest = await putTinyImage(layout, 'amd64');
    await Promise.all([layout.putRef('a', manifest), OciLayout.create(dir), layout.putRef('b', manifest), OciLayout.create(dir)]);
    expect(await layout.listRefs()).toEqual(['a', 'b']);
  });

  it('loses no ref when many are put at once, through one or several handles', async () => {
    const dir = await tempDir();
    const first = await OciLayout.create(dir);
    const second = await OciLayout.open(dir);
    const manifest = await putTinyImage(first, 'amd64');
    const refs = Array.from({ length: 40 }, (_, i) => `tag-${String(i).padStart(2, '0')}`);
    await Promise.all(refs.map((ref, i) => (i % 2 === 0 ? first : second).putRef(ref, manifest)));
    expect(await first.listRefs()).toEqual(refs);
    // The same refs put in another order give the same index.json, byte for byte.
    const bytes = await readFile(join(dir, 'index.json'));
    await Promise.all([...refs].reverse().map((ref) => second.putRef(ref, manifest)));
    expect((await readFile(join(dir, 'index.json'))).equals(bytes)).toBe(true);
  });

  it('refuses bad ref names, refs to missing blobs and refs to non-manifests', async () => {
    const layout = await OciLayout.create(await tempDir());
    const manifest = await putTinyImage(layout, 'amd64');
    for (const bad of ['', '-x', 'a b', 'a//b', 'v1.', 'ünïcode']) {
      await expect(layout.putRef(bad, manifest)).rejects.toThrow(/not a valid OCI layout ref name/);
    }
    for (const good of ['latest', '1.24.0', 'docker.io/istio/pilot:1.24.0', 'a--b', 'x@y+z']) expect(checkRefName(good)).toBe(good);
    const missing = { ...manifest, digest: sha256Digest('missing') };
    await expect(layout.putRef('v1', missing)).rejects.toThrow(/is not in the OCI layout/);
    await expect(layout.putRef('v1', { ...manifest, mediaType: MEDIA_TYPE.ociLayerGzip })).rejects.toThrow(/Internal error/);
  });
});
