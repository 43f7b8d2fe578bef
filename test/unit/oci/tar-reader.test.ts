import { createReadStream } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { MeshbuildError } from '../../../src/errors.js';
import { listTar, readFileFromTar, readTar } from '../../../src/oci/tar-reader.js';
import { createTarStream } from '../../../src/oci/tar-writer.js';
import { collect, useTempDirs } from './temp-dir.js';

const tempDir = useTempDirs();
const longName = `${'n'.repeat(110)}/${'m'.repeat(120)}.txt`;
const longTarget = `../${'t'.repeat(140)}`;

/** A tree with a long path and a long link target, archived by GNU tar in `format`. */
async function systemTar(format: 'gnu' | 'pax' | 'ustar', gzip = false): Promise<string> {
  const dir = await tempDir();
  const root = join(dir, 'root');
  await mkdir(join(root, longName, '..'), { recursive: true });
  await writeFile(join(root, longName), 'deep file\n');
  await writeFile(join(root, 'short.txt'), 'short\n');
  if (format !== 'ustar') await symlink(longTarget, join(root, 'link'));
  const file = join(dir, `out.tar${gzip ? '.gz' : ''}`);
  const args = [`--format=${format}`, '--owner=0', '--group=0', '--numeric-owner', gzip ? '-czf' : '-cf', file, '-C', root];
  await execa('tar', [...args, ...(format === 'ustar' ? ['short.txt'] : ['.'])]);
  return file;
}

describe('readTar', () => {
  it('reads GNU long names and long link targets', async () => {
    const entries = await listTar(createReadStream(await systemTar('gnu')));
    const paths = entries.map((e) => e.path);
    expect(paths).toContain(longName);
    expect(paths).toContain('short.txt');
    expect(entries.find((e) => e.path === 'link')).toMatchObject({ type: 'symlink', linkname: longTarget, size: 0 });
    expect(entries.find((e) => e.path === longName)).toMatchObject({ type: 'file', size: 10, uid: 0, gid: 0 });
    expect(entries.find((e) => e.path === '.')).toMatchObject({ type: 'directory' });
  });

  it('reads PAX long names written by GNU tar, gzipped or not', async () => {
    for (const gzip of [false, true]) {
      const file = await systemTar('pax', gzip);
      expect((await readFileFromTar(createReadStream(file), longName))?.toString()).toBe('deep file\n');
      const link = (await listTar(createReadStream(file))).find((e) => e.path === 'link');
      expect(link?.linkname).toBe(longTarget);
    }
  });

  it('reads plain ustar', async () => {
    const entries = await listTar(createReadStream(await systemTar('ustar')));
    expect(entries.map((e) => [e.path, e.size])).toEqual([['short.txt', 6]]);
  });

  it('streams content in chunks and skips what is not read', async () => {
    const big = Buffer.alloc(200_000);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    const bytes = await collect(
      createTarStream([
        { type: 'file', path: 'a/big.bin', content: big },
        { type: 'file', path: 'a/skipped.bin', content: Buffer.alloc(5000, 7) },
        { type: 'file', path: 'a/z.txt', content: 'last' },
      ]),
    );
    // Feed it in odd-sized pieces so headers straddle chunk boundaries.
    async function* pieces(): AsyncGenerator<Buffer> {
      for (let offset = 0; offset < bytes.length; offset += 777) yield bytes.subarray(offset, offset + 777);
    }
    const seen: Record<string, Buffer> = {};
    for await (const entry of readTar(pieces())) {
      if (entry.path === 'a/big.bin') seen[entry.path] = await collect(entry.content());
      if (entry.path === 'a/z.txt') seen[entry.path] = await entry.buffer();
    }
    expect(seen['a/big.bin']?.equals(big)).toBe(true);
    expect(seen['a/z.txt']?.toString()).toBe('last');
  });

  it('reads only the first bytes when asked (an ELF header, say)', async () => {
    const bytes = await collect(createTarStream([{ type: 'file', path: 'bin/app', content: Buffer.alloc(100_000, 0x55) }]));
    const head = await readFileFromTar(gzipSync(bytes), '/bin/app', { maxBytes: 64 });
    expect(head?.length).toBe(64);
  });

  it('returns undefined for a missing path and refuses a path that is not a regular file', async () => {
    const bytes = await collect(
      createTarStream([
        { type: 'symlink', path: 'usr/bin/tool', target: '/opt/tool' },
        { type: 'file', path: 'opt/tool', content: 'x' },
      ]),
    );
    expect(await readFileFromTar(bytes, 'nope')).toBeUndefined();
    await expect(readFileFromTar(bytes, 'usr/bin/tool')).rejects.toThrow(/"\/usr\/bin\/tool" in tar archive is a symlink to "\/opt\/tool"/);
    await expect(readFileFromTar(bytes, './usr')).rejects.toThrow(/is a directory/);
  });

  it('fails with a step error on data that is not tar, or is cut short', async () => {
    const notTar = Buffer.alloc(1024, 0x61);
    await expect(listTar(notTar, { what: 'layer sha256:abc' })).rejects.toThrow(/cannot read layer sha256:abc: not a tar header \(checksum mismatch\)/);
    const bytes = await collect(createTarStream([{ type: 'file', path: 'f', content: Buffer.alloc(4000, 1) }]));
    const error = await listTar(bytes.subarray(0, 1500)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeshbuildError);
    expect(String(error)).toMatch(/unexpected end of data/);
    await expect(listTar(gzipSync(bytes).subarray(0, 40))).rejects.toThrow(MeshbuildError);
  });

  it('closes a file input when the caller stops early, gzipped or not', async () => {
    for (const gzip of [false, true]) {
      const file = await systemTar('pax', gzip);
      const stream = createReadStream(file);
      expect(await readFileFromTar(stream, 'short.txt')).toBeDefined();
      expect(stream.destroyed).toBe(true);
    }
  });
});
