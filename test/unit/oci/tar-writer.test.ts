import { chmod, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { MeshbuildError } from '../../../src/errors.js';
import { sha256Digest } from '../../../src/oci/digest.js';
import { listTar, readTar } from '../../../src/oci/tar-reader.js';
import { createTarStream, mtimeFromSourceDateEpoch, normalizeLayerPath, type TarInputEntry, type TarWriterOptions } from '../../../src/oci/tar-writer.js';
import { collect, useTempDirs } from './temp-dir.js';

const tempDir = useTempDirs();

async function tarBytes(entries: TarInputEntry[], options?: TarWriterOptions): Promise<Buffer> {
  return collect(createTarStream(entries, options));
}

async function sampleEntries(): Promise<TarInputEntry[]> {
  const dir = await tempDir();
  const app = join(dir, 'app');
  const conf = join(dir, 'conf.yaml');
  await writeFile(app, Buffer.alloc(3000, 0x41));
  await chmod(app, 0o700);
  await writeFile(conf, 'a: 1\n');
  await chmod(conf, 0o600);
  return [
    { type: 'file', path: '/usr/local/bin/pilot-agent', source: app },
    { type: 'file', path: './etc/istio/conf.yaml', source: conf },
    { type: 'file', path: 'etc/istio/inline.txt', content: 'hello\n' },
    { type: 'directory', path: '/var/lib/istio/data' },
    { type: 'symlink', path: '/usr/bin/agent', target: '/usr/local/bin/pilot-agent' },
  ];
}

describe('createTarStream', () => {
  it('gives byte-identical output for the same entries, whatever their order', async () => {
    const entries = await sampleEntries();
    const first = await tarBytes(entries);
    const second = await tarBytes(entries);
    const reversed = await tarBytes([...entries].reverse());
    const rotated = await tarBytes([...entries.slice(2), ...entries.slice(0, 2)]);
    expect(sha256Digest(second)).toBe(sha256Digest(first));
    expect(sha256Digest(reversed)).toBe(sha256Digest(first));
    expect(sha256Digest(rotated)).toBe(sha256Digest(first));
    expect(first.length % 512).toBe(0);
  });

  it("does not depend on the source files' times or permissions beyond the exec bit", async () => {
    const entries = await sampleEntries();
    const before = await tarBytes(entries);
    const app = (entries[0] as { source: string }).source;
    await utimes(app, new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
    await chmod(app, 0o751);
    expect((await tarBytes(entries)).equals(before)).toBe(true);
  });

  it('sorts by path, adds missing parents and normalises modes, owners and times', async () => {
    const listed = await listTar(createTarStream(await sampleEntries()));
    expect(listed.map((e) => [e.path, e.type, e.mode.toString(8), e.uid, e.gid, e.mtime, e.uname, e.gname, e.linkname])).toEqual([
      ['etc', 'directory', '755', 0, 0, 0, '', '', ''],
      ['etc/istio', 'directory', '755', 0, 0, 0, '', '', ''],
      ['etc/istio/conf.yaml', 'file', '644', 0, 0, 0, '', '', ''],
      ['etc/istio/inline.txt', 'file', '644', 0, 0, 0, '', '', ''],
      ['usr', 'directory', '755', 0, 0, 0, '', '', ''],
      ['usr/bin', 'directory', '755', 0, 0, 0, '', '', ''],
      ['usr/bin/agent', 'symlink', '777', 0, 0, 0, '', '', '/usr/local/bin/pilot-agent'],
      ['usr/local', 'directory', '755', 0, 0, 0, '', '', ''],
      ['usr/local/bin', 'directory', '755', 0, 0, 0, '', '', ''],
      ['usr/local/bin/pilot-agent', 'file', '755', 0, 0, 0, '', '', ''],
      ['var', 'directory', '755', 0, 0, 0, '', '', ''],
      ['var/lib', 'directory', '755', 0, 0, 0, '', '', ''],
      ['var/lib/istio', 'directory', '755', 0, 0, 0, '', '', ''],
      ['var/lib/istio/data', 'directory', '755', 0, 0, 0, '', '', ''],
    ]);
  });

  it("orders a folder's contents right after it (component-wise sort)", async () => {
    const listed = await listTar(
      createTarStream([
        { type: 'file', path: 'a-c', content: '' },
        { type: 'file', path: 'a/b', content: '' },
        { type: 'file', path: 'a.b', content: '' },
      ]),
    );
    expect(listed.map((e) => e.path)).toEqual(['a', 'a/b', 'a-c', 'a.b']);
  });

  it('keeps explicit modes, owners and times, and stamps the default mtime (e.g. SOURCE_DATE_EPOCH) on the rest', async () => {
    const listed = await listTar(
      createTarStream(
        [
          { type: 'file', path: 'bin/suid', content: 'x', mode: 0o4750, uid: 1337, gid: 1338 },
          { type: 'file', path: 'bin/tool', content: 'x', executable: true },
          { type: 'directory', path: 'home/istio-proxy', mode: 0o700, uid: 1337, gid: 1337, mtime: 5 },
          { type: 'file', path: 'etc/big-ids', content: '', uid: 3_000_000, gid: 70_000_000 },
        ],
        { mtime: 1_700_000_000 },
      ),
    );
    const byPath = new Map(listed.map((e) => [e.path, e]));
    expect(byPath.get('bin')).toMatchObject({ mode: 0o755, uid: 0, gid: 0, mtime: 1_700_000_000 });
    expect(byPath.get('bin/suid')).toMatchObject({ mode: 0o4750, uid: 1337, gid: 1338, mtime: 1_700_000_000 });
    expect(byPath.get('bin/tool')).toMatchObject({ mode: 0o755 });
    expect(byPath.get('home/istio-proxy')).toMatchObject({ mode: 0o700, uid: 1337, gid: 1337, mtime: 5 });
    // uid/gid beyond the 7 octal digits of ustar travel in a PAX header.
    expect(byPath.get('etc/big-ids')).toMatchObject({ uid: 3_000_000, gid: 70_000_000 });
  });

  it('round-trips paths and link targets longer than 100 bytes, and non-ASCII names, through PAX headers', async () => {
    const longDir = `opt/${'d'.repeat(120)}/${'e'.repeat(60)}`;
    const longFile = `${longDir}/${'f'.repeat(150)}.txt`;
    const longTarget = `/${'t'.repeat(180)}`;
    const bytes = await tarBytes([
      { type: 'file', path: longFile, content: 'long\n' },
      { type: 'symlink', path: 'opt/link', target: longTarget },
      { type: 'file', path: 'opt/größe-ñ.txt', content: 'utf8\n' },
    ]);
    const seen = new Map<string, { linkname: string; content: string }>();
    for await (const entry of readTar(bytes)) seen.set(entry.path, { linkname: entry.linkname, content: (await entry.buffer()).toString() });
    expect(seen.get(longFile)).toEqual({ linkname: '', content: 'long\n' });
    expect(seen.has(longDir)).toBe(true);
    expect(seen.get('opt/link')?.linkname).toBe(longTarget);
    expect(seen.get('opt/größe-ñ.txt')?.content).toBe('utf8\n');
    expect([...seen.keys()].some((p) => p.includes('PaxHeaders'))).toBe(false);
  });

  it('writes archives GNU tar lists as intended (tar -tvf)', async () => {
    const dir = await tempDir();
    const longFile = `opt/${'x'.repeat(130)}/file.bin`;
    const file = join(dir, 'layer.tar');
    await writeFile(file, await tarBytes([...(await sampleEntries()), { type: 'file', path: longFile, content: Buffer.alloc(700, 1) }], { mtime: 86_400 }));
    const { stdout } = await execa('tar', ['--numeric-owner', '-tvf', file], { env: { TZ: 'UTC' } });
    const lines = stdout.split('\n').map((line) => line.trim().split(/\s+/));
    const rows = lines.map((cols) => ({ perms: cols[0], owner: cols[1], size: cols[2], date: `${cols[3]} ${cols[4]}`, name: cols.slice(5).join(' ') }));
    expect(rows.find((r) => r.name === 'usr/local/bin/pilot-agent')).toEqual({
      perms: '-rwxr-xr-x',
      owner: '0/0',
      size: '3000',
      date: '1970-01-02 00:00',
      name: 'usr/local/bin/pilot-agent',
    });
    expect(rows.find((r) => r.name === 'etc/istio/conf.yaml')).toMatchObject({ perms: '-rw-r--r--', owner: '0/0', size: '5' });
    expect(rows.find((r) => r.name === 'var/lib/istio/data/')).toMatchObject({ perms: 'drwxr-xr-x', owner: '0/0', size: '0' });
    expect(rows.find((r) => r.name.startsWith('usr/bin/agent'))).toMatchObject({ perms: 'lrwxrwxrwx', name: 'usr/bin/agent -> /usr/local/bin/pilot-agent' });
    expect(rows.find((r) => r.name === longFile)).toMatchObject({ perms: '-rw-r--r--', size: '700' });
    expect(rows).toHaveLength(17); // 14 sample entries with their parents, opt/, its long folder and the file
    // GNU tar extracts the same content.
    const out = join(dir, 'out');
    await execa('mkdir', [out]);
    await execa('tar', ['-xf', file, '-C', out]);
    const { stdout: content } = await execa('cat', [join(out, 'etc/istio/inline.txt')]);
    expect(content).toBe('hello');
  });

  it('refuses duplicate paths, ".." and entries below a non-directory', () => {
    expect(() =>
      createTarStream([
        { type: 'file', path: '/a', content: '' },
        { type: 'file', path: 'a', content: '' },
      ]),
    ).toThrow(/two layer entries for "\/a"/);
    expect(() => createTarStream([{ type: 'file', path: '/a/../etc/passwd', content: '' }])).toThrow(MeshbuildError);
    expect(() =>
      createTarStream([
        { type: 'file', path: 'a', content: '' },
        { type: 'file', path: 'a/b', content: '' },
      ]),
    ).toThrow(/which is a file/);
    expect(() => createTarStream([{ type: 'file', path: 'a', content: '', mode: 0o10000 }])).toThrow(/mode/);
  });

  it('fails the stream for a source file that does not exist', async () => {
    const stream = createTarStream([{ type: 'file', path: 'x', source: '/nonexistent/meshbuild/file' }]);
    await expect(collect(stream)).rejects.toThrow(/cannot read "\/nonexistent\/meshbuild\/file" for layer entry "\/x"/);
  });
});

describe('normalizeLayerPath', () => {
  it('strips leading slashes, ./ segments and trailing slashes', () => {
    expect(normalizeLayerPath('/usr/bin/')).toBe('usr/bin');
    expect(normalizeLayerPath('./etc//istio/./x')).toBe('etc/istio/x');
    expect(() => normalizeLayerPath('/')).toThrow(/root/);
  });
});

describe('mtimeFromSourceDateEpoch', () => {
  it('reads whole seconds and refuses anything else', () => {
    expect(mtimeFromSourceDateEpoch(undefined)).toBeUndefined();
    expect(mtimeFromSourceDateEpoch('')).toBeUndefined();
    expect(mtimeFromSourceDateEpoch('1700000000')).toBe(1_700_000_000);
    expect(() => mtimeFromSourceDateEpoch('yesterday')).toThrow(/SOURCE_DATE_EPOCH/);
    expect(() => mtimeFromSourceDateEpoch('-5')).toThrow(MeshbuildError);
  });
});
