/**
 * What the native builder knows of a base image's tree without unpacking it
 * (image/native/image-paths.ts): layer headers listed with the project's tar reader and writer,
 * whiteouts applied, symlinks on a destination path followed, USER names looked up.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isMeshbuildError } from '../../../src/errors.js';
import { ImagePaths, listLayer, type LayerListing } from '../../../src/image/native/image-paths.js';
import { createTarStream, type TarInputEntry } from '../../../src/oci/tar-writer.js';

const PASSWD = 'root:x:0:0:root:/root:/sbin/nologin\nistio-proxy:x:1337:1337::/home/istio-proxy:/bin/sh\napp:x:2000:3000::/srv:/bin/sh\n';
const GROUP = 'root:x:0:\nistio-proxy:x:1337:\nwheel:x:10:app\n';

/** Lists a layer made of `entries` (a fresh digest key each time: listings are cached by digest). */
async function listingOf(entries: TarInputEntry[]): Promise<LayerListing> {
  return listLayer(`sha256:${randomBytes(32).toString('hex')}`, async () => Readable.from(createTarStream(entries)));
}

function listing(
  paths: Array<[string, Partial<{ type: 'directory' | 'file' | 'symlink'; linkname: string; uid: number; gid: number; mode: number }>]>,
): LayerListing {
  return {
    paths: new Map(
      paths.map(([p, info]) => [
        p,
        { type: info.type ?? 'directory', mode: info.mode ?? 0o755, uid: info.uid ?? 0, gid: info.gid ?? 0, linkname: info.linkname ?? '' },
      ]),
    ),
    removed: [],
    opaque: [],
    accounts: new Map(),
  };
}

describe('listLayer', () => {
  it('reads types, modes, owners and link targets from the headers, and the account files', async () => {
    const layer = await listingOf([
      { type: 'directory', path: 'home/app', mode: 0o750, uid: 1337, gid: 1337 },
      { type: 'symlink', path: 'lib', target: 'usr/lib' },
      { type: 'file', path: 'etc/passwd', content: PASSWD },
      { type: 'file', path: 'etc/group', content: GROUP },
      { type: 'file', path: 'usr/bin/tool', content: 'x', executable: true },
    ]);
    expect(layer.paths.get('home/app')).toEqual({ type: 'directory', mode: 0o750, uid: 1337, gid: 1337, linkname: '' });
    expect(layer.paths.get('home')).toMatchObject({ type: 'directory', mode: 0o755, uid: 0 });
    expect(layer.paths.get('lib')).toMatchObject({ type: 'symlink', linkname: 'usr/lib' });
    expect(layer.paths.get('usr/bin/tool')).toMatchObject({ type: 'file', mode: 0o755 });
    expect(layer.accounts.get('etc/passwd')).toBe(PASSWD);
    expect(layer.accounts.get('etc/group')).toBe(GROUP);
  });

  it('collects whiteouts and opaque folders instead of listing them as paths', async () => {
    const layer = await listingOf([
      { type: 'file', path: 'etc/.wh.old.conf', content: '' },
      { type: 'file', path: 'var/cache/.wh..wh..opq', content: '' },
      { type: 'file', path: '.wh.tmp', content: '' },
    ]);
    expect(layer.removed.sort()).toEqual(['etc/old.conf', 'tmp']);
    expect(layer.opaque).toEqual(['var/cache']);
    expect([...layer.paths.keys()].filter((p) => p.includes('.wh.'))).toEqual([]);
  });
});

describe('ImagePaths', () => {
  it('applies layers bottom up: later entries win, whiteouts remove a path and what is under it', () => {
    const paths = ImagePaths.empty();
    paths.applyListing(
      listing([
        ['etc', {}],
        ['etc/old.conf', { type: 'file' }],
        ['var', {}],
        ['var/cache', {}],
        ['var/cache/a', { type: 'file' }],
        ['tmp', {}],
        ['tmp/x', { type: 'file' }],
        ['home', {}],
      ]),
    );
    paths.applyListing({
      ...listing([
        ['home', { uid: 1337, gid: 1337 }],
        ['var/cache/b', { type: 'file' }],
      ]),
      removed: ['etc/old.conf', 'tmp'],
      opaque: ['var/cache'],
    });
    expect(paths.get('etc/old.conf')).toBeUndefined();
    expect(paths.get('tmp')).toBeUndefined();
    expect(paths.get('tmp/x')).toBeUndefined();
    expect(paths.get('var/cache')).toBeDefined();
    expect(paths.get('var/cache/a')).toBeUndefined();
    expect(paths.get('var/cache/b')).toBeDefined();
    expect(paths.get('home')).toMatchObject({ uid: 1337, gid: 1337 });
  });

  it('clone gives an independent copy', () => {
    const paths = ImagePaths.empty();
    paths.applyListing(listing([['a', {}]]));
    const copy = paths.clone();
    copy.applyListing(listing([['b', {}]]));
    expect(paths.get('b')).toBeUndefined();
    expect(copy.get('a')).toBeDefined();
  });

  describe('resolve follows symlinks among the folders of a destination, inside the image', () => {
    const paths = ImagePaths.empty();
    paths.applyListing(
      listing([
        ['usr', {}],
        ['usr/lib', {}],
        ['lib', { type: 'symlink', linkname: 'usr/lib' }],
        ['opt', {}],
        ['opt/current', { type: 'symlink', linkname: '/opt/v2' }],
        ['opt/v2', {}],
        ['opt/up', { type: 'symlink', linkname: '../usr/./lib' }],
        ['chain', { type: 'symlink', linkname: 'lib' }],
        ['loop', { type: 'symlink', linkname: 'loop' }],
        ['escape', { type: 'symlink', linkname: '../../../../usr' }],
      ]),
    );

    it.each([
      ['/lib/x.so', false, 'usr/lib/x.so'],
      ['/opt/current/bin/app', false, 'opt/v2/bin/app'],
      ['/opt/up/y', false, 'usr/lib/y'],
      ['/chain/z', false, 'usr/lib/z'],
      ['/escape/bin', false, 'usr/bin'],
      ['/usr/local/../lib/w', false, 'usr/lib/w'],
      ['/lib', false, 'lib'],
      ['/lib', true, 'usr/lib'],
      ['/', true, ''],
    ])('%s (follow the last: %s) -> /%s', (input, followLast, expected) => {
      expect(paths.resolve(input, followLast)).toBe(expected);
    });

    it('a symlink loop is an error, not a hang', () => {
      let error: unknown;
      try {
        paths.resolve('/loop/x');
      } catch (caught) {
        error = caught;
      }
      expect(isMeshbuildError(error) && error.message).toMatch(/too many levels of symlinks/);
    });
  });

  describe('resolveUser', () => {
    const paths = ImagePaths.empty();
    paths.setAccountFile('etc/passwd', PASSWD);
    paths.setAccountFile('etc/group', GROUP);

    it.each([
      ['1337', { uid: 1337, gid: 1337 }],
      ['1337:42', { uid: 1337, gid: 42 }],
      ['istio-proxy', { uid: 1337, gid: 1337 }],
      ['app', { uid: 2000, gid: 3000 }],
      ['app:wheel', { uid: 2000, gid: 10 }],
      ['0:wheel', { uid: 0, gid: 10 }],
    ])('%s', (user, expected) => {
      expect(paths.resolveUser(user)).toEqual(expected);
    });

    it.each([
      ['nobody', /no user "nobody" in the image's \/etc\/passwd/],
      ['app:staff', /no group "staff" in the image's \/etc\/group/],
    ])('%s that the image does not have is a clear error', (user, message) => {
      let error: unknown;
      try {
        paths.resolveUser(user);
      } catch (caught) {
        error = caught;
      }
      expect(isMeshbuildError(error) && error.message).toMatch(message);
    });

    it("names need the image's account files", () => {
      expect(() => ImagePaths.empty().resolveUser('app')).toThrow(/no user "app"/);
      expect(ImagePaths.empty().resolveUser('7:8')).toEqual({ uid: 7, gid: 8 });
    });
  });
});
