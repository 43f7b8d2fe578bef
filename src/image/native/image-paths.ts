/**
 * What the native builder knows of an image's file tree without unpacking it: the type, mode and
 * owner of every path, read from the headers of its layers (whiteouts applied), and the text of
 * /etc/passwd and /etc/group for USER names. With it a new layer writes parent folders as BuildKit
 * does: one that exists keeps its mode and owner, a new one is 0755 and owned by the --chown or
 * USER owner; and a destination through a symlink (`/lib -> usr/lib`) lands where the link leads.
 */
import type { Readable } from 'node:stream';
import { stepError } from '../../errors.js';
import { readTar, type TarEntryType } from '../../oci/tar-reader.js';

export interface PathInfo {
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Symlink target; '' otherwise. */
  linkname: string;
}

export interface LayerListing {
  paths: Map<string, PathInfo>;
  /** Whited-out paths (`.wh.name`), and folders made opaque (`.wh..wh..opq`): lower layers' content goes. */
  removed: string[];
  opaque: string[];
  /** Content of etc/passwd and etc/group when this layer has them. */
  accounts: Map<string, string>;
}

const ACCOUNT_FILES = new Set(['etc/passwd', 'etc/group']);
const MAX_SYMLINK_HOPS = 40;

/** Listings by layer digest: bases shared by several images of a run are read once. */
const listings = new Map<string, Promise<LayerListing>>();

/** The headers of one layer (content skipped), read once per digest in this process. */
export function listLayer(digest: string, open: () => Promise<Readable>): Promise<LayerListing> {
  let listing = listings.get(digest);
  if (!listing) {
    listing = readListing(digest, open);
    listings.set(digest, listing);
    listing.catch(() => listings.delete(digest));
  }
  return listing;
}

async function readListing(digest: string, open: () => Promise<Readable>): Promise<LayerListing> {
  const listing: LayerListing = { paths: new Map(), removed: [], opaque: [], accounts: new Map() };
  for await (const entry of readTar(await open(), { what: `layer ${digest}` })) {
    const slash = entry.path.lastIndexOf('/');
    const dir = slash < 0 ? '' : entry.path.slice(0, slash);
    const name = entry.path.slice(slash + 1);
    if (name === '.wh..wh..opq') listing.opaque.push(dir);
    else if (name.startsWith('.wh.')) listing.removed.push(dir === '' ? name.slice(4) : `${dir}/${name.slice(4)}`);
    else {
      listing.paths.set(entry.path, { type: entry.type, mode: entry.mode, uid: entry.uid, gid: entry.gid, linkname: entry.linkname });
      if (entry.type === 'file' && ACCOUNT_FILES.has(entry.path)) listing.accounts.set(entry.path, (await entry.buffer(1 << 20)).toString('utf8'));
    }
  }
  return listing;
}

/** An image's paths (no leading `/`), bottom layer first; copy with `clone` before changing. */
export class ImagePaths {
  private constructor(
    private readonly paths: Map<string, PathInfo>,
    private readonly accounts: Map<string, string>,
  ) {}

  static empty(): ImagePaths {
    return new ImagePaths(new Map(), new Map());
  }

  clone(): ImagePaths {
    return new ImagePaths(new Map(this.paths), new Map(this.accounts));
  }

  get(path: string): PathInfo | undefined {
    return this.paths.get(path);
  }

  /** Puts a layer on top: its whiteouts remove lower paths, then its entries replace them. */
  applyListing(listing: LayerListing): void {
    for (const gone of [...listing.removed, ...listing.opaque.map((dir) => `${dir}/`)]) {
      for (const path of [...this.paths.keys()]) {
        if (gone.endsWith('/') ? path.startsWith(gone) : path === gone || path.startsWith(`${gone}/`)) this.paths.delete(path);
      }
    }
    for (const [path, info] of listing.paths) this.paths.set(path, info);
    for (const [path, text] of listing.accounts) this.accounts.set(path, text);
  }

  /** Records an account file (etc/passwd, etc/group) a new layer writes. */
  setAccountFile(path: string, text: string): void {
    if (ACCOUNT_FILES.has(path)) this.accounts.set(path, text);
  }

  /**
   * `path` (no leading `/` in the result) with every symlink among its folders followed inside the
   * image, as BuildKit resolves a COPY or WORKDIR destination; the last component too when
   * `followLast` (a destination folder). Default: not the last.
   */
  resolve(path: string, followLast = false): string {
    const segments = path.split('/').filter((s) => s !== '' && s !== '.');
    const resolved: string[] = [];
    let hops = 0;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      if (segment === '..') {
        resolved.pop();
        continue;
      }
      const candidate = [...resolved, segment].join('/');
      const info = this.paths.get(candidate);
      if ((followLast || i < segments.length - 1) && info?.type === 'symlink') {
        if (++hops > MAX_SYMLINK_HOPS) throw stepError(`too many levels of symlinks resolving /${path} in the base image`);
        const target = info.linkname.split('/').filter((s) => s !== '' && s !== '.');
        if (info.linkname.startsWith('/')) resolved.length = 0;
        segments.splice(0, i + 1, ...resolved.splice(0), ...target);
        i = -1;
        continue;
      }
      resolved.push(segment);
    }
    return resolved.join('/');
  }

  /**
   * uid and gid for a USER value (`1337`, `1337:1337`, `app`, `app:app`): numbers as given (a
   * lone uid also as the gid, as BuildKit does), names looked up in the image's /etc/passwd and
   * /etc/group.
   */
  resolveUser(user: string): { uid: number; gid: number } {
    const [name = '', group] = user.split(':', 2);
    let uid: number;
    let gid: number | undefined;
    if (/^\d+$/.test(name)) {
      uid = Number(name);
    } else {
      const entry = this.lookup('etc/passwd', name);
      if (!entry)
        throw stepError(`USER ${user}: no user "${name}" in the image's /etc/passwd`, { hint: 'add the user to the base image, or use a numeric uid:gid' });
      uid = Number(entry[2]);
      gid = Number(entry[3]);
    }
    if (group !== undefined && group !== '') {
      if (/^\d+$/.test(group)) gid = Number(group);
      else {
        const entry = this.lookup('etc/group', group);
        if (!entry)
          throw stepError(`USER ${user}: no group "${group}" in the image's /etc/group`, { hint: 'add the group to the base image, or use a numeric uid:gid' });
        gid = Number(entry[2]);
      }
    }
    return { uid, gid: gid ?? uid };
  }

  private lookup(file: string, name: string): string[] | undefined {
    for (const line of (this.accounts.get(file) ?? '').split('\n')) {
      const fields = line.split(':');
      if (fields[0] === name && fields.length >= 3) return fields;
    }
    return undefined;
  }
}
