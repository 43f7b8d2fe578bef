import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { sha256Digest, sha256File } from '../../../src/oci/digest.js';
import { buildLayer } from '../../../src/oci/layer.js';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';
import { listTar } from '../../../src/oci/tar-reader.js';
import type { TarInputEntry } from '../../../src/oci/tar-writer.js';
import { useTempDirs } from './temp-dir.js';

const tempDir = useTempDirs();

async function sampleEntries(): Promise<TarInputEntry[]> {
  const dir = await tempDir();
  const binary = join(dir, 'pilot-discovery');
  // Compressible but not trivial content, large enough for several deflate blocks.
  const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${(i * 7919) % 10007}\n`).join('');
  await writeFile(binary, lines, { mode: 0o755 });
  return [
    { type: 'file', path: '/usr/local/bin/pilot-discovery', source: binary },
    { type: 'file', path: '/etc/istio/mesh.yaml', content: 'defaultConfig: {}\n' },
    { type: 'symlink', path: '/usr/bin/pilot', target: '../local/bin/pilot-discovery' },
  ];
}

describe('buildLayer', () => {
  it('writes a gzip layer whose diffID is the sha256 of the uncompressed tar', async () => {
    const dir = await tempDir();
    const out = join(dir, 'layer.tar.gz');
    const layer = await buildLayer(await sampleEntries(), out);
    const blob = await readFile(out);
    expect(layer.descriptor).toEqual({ mediaType: MEDIA_TYPE.ociLayerGzip, digest: sha256Digest(blob), size: blob.length });
    const tar = gunzipSync(blob);
    expect(layer.diffId).toBe(sha256Digest(tar));
    expect(layer.uncompressedSize).toBe(tar.length);
    expect(layer.path).toBe(out);
    expect((await listTar(blob)).map((e) => e.path)).toContain('usr/local/bin/pilot-discovery');
    // Only the layer is left in the folder: the temp file was renamed.
    expect(await readdir(dir)).toEqual(['layer.tar.gz']);
    // gzip(1) accepts it.
    await execa('gzip', ['-t', out]);
  });

  it('pins the gzip header: no name, mtime 0, OS unknown', async () => {
    const dir = await tempDir();
    const blob = await readFile((await buildLayer(await sampleEntries(), join(dir, 'l.tgz'))).path);
    expect(blob.subarray(0, 10).toString('hex')).toBe('1f8b08000000000000ff');
    const tar = gunzipSync(blob);
    expect(blob.readUInt32LE(blob.length - 8)).toBe(crc32(tar));
    expect(blob.readUInt32LE(blob.length - 4)).toBe(tar.length);
  });

  it('gives byte-identical blobs for the same entries in any order, and across processes', async () => {
    const dir = await tempDir();
    const entries = await sampleEntries();
    const a = await buildLayer(entries, join(dir, 'a'));
    const b = await buildLayer([...entries].reverse(), join(dir, 'b'));
    expect(b.descriptor).toEqual(a.descriptor);
    expect(b.diffId).toBe(a.diffId);
    expect((await readFile(a.path)).equals(await readFile(b.path))).toBe(true);
    // Another Node process deflating the same tar at the same level gives the same body: Node's zlib
    // output does not depend on the process or on how the stream was chunked.
    const plain = await buildLayer(entries, join(dir, 'plain.tar'), { compression: 'none' });
    const script =
      "const z=require('zlib'),c=require('crypto'),f=require('fs');process.stdout.write(c.createHash('sha256').update(z.deflateRawSync(f.readFileSync(process.argv[1]),{level:6})).digest('hex'))";
    const { stdout } = await execa(process.execPath, ['-e', script, plain.path]);
    const gz = await readFile(a.path);
    expect(sha256Digest(gz.subarray(10, gz.length - 8))).toBe(`sha256:${stdout}`);
  });

  it('changes the blob digest but not the diffID with the gzip level', async () => {
    const dir = await tempDir();
    const entries = await sampleEntries();
    const fast = await buildLayer(entries, join(dir, 'fast'), { gzipLevel: 1 });
    const best = await buildLayer(entries, join(dir, 'best'), { gzipLevel: 9 });
    expect(fast.diffId).toBe(best.diffId);
    expect(fast.descriptor.digest).not.toBe(best.descriptor.digest);
  });

  it('stores the tar as is with compression none', async () => {
    const dir = await tempDir();
    const layer = await buildLayer(await sampleEntries(), join(dir, 'layer.tar'), { compression: 'none', mtime: 1_700_000_000 });
    expect(layer.descriptor.mediaType).toBe(MEDIA_TYPE.ociLayer);
    expect(layer.descriptor.digest).toBe(layer.diffId);
    expect(layer.descriptor.size).toBe(layer.uncompressedSize);
    expect(await sha256File(layer.path)).toEqual({ digest: layer.diffId, size: layer.uncompressedSize });
    expect((await listTar(await readFile(layer.path))).every((e) => e.mtime === 1_700_000_000)).toBe(true);
  });

  it('leaves nothing behind when a source cannot be read', async () => {
    const dir = await tempDir();
    await expect(buildLayer([{ type: 'file', path: 'x', source: join(dir, 'missing') }], join(dir, 'l.tgz'))).rejects.toThrow(/cannot read/);
    expect(await readdir(dir)).toEqual([]);
  });
});
