/**
 * An OCI image layout folder (image-spec image-layout.md) as a place images live, read and written:
 * `oci-layout`, content-addressed `blobs/sha256/<hex>`, and `index.json` naming images by the
 * `org.opencontainers.image.ref.name` annotation, which is what `skopeo ... oci:DIR:REF` reads.
 * Every file is written to a temp path beside it and renamed into place, so an interrupted write
 * leaves the layout as it was; blobs already present are never rewritten.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, pipeline as pipelineCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stepError, usageError } from '../errors.js';
import { DigestingStream, fileRangeStream, parseDigest, sha256Digest, type DigestAndSize } from './digest.js';
import { orderDescriptor } from './manifest.js';
import { MEDIA_TYPE, REF_NAME_ANNOTATION, isIndexMediaType, isManifestMediaType } from './media-types.js';
import type { Descriptor, ImageIndex } from './types.js';

/** The `imageLayoutVersion` written to `oci-layout`, and the only one read. */
export const OCI_LAYOUT_VERSION = '1.0.0';

/** The ref grammar of image-layout.md: components of alphanumerics joined by `-._:@+` or `--`, split by `/`. */
const REF_PATTERN = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

/** Pending index.json updates per layout folder, so writers in one process never lose each other's refs. */
const indexQueues = new Map<string, Promise<unknown>>();

/** Throws a usage error unless `ref` is a valid ref name (a tag such as `1.24.0` or `latest`). */
export function checkRefName(ref: string): string {
  if (!REF_PATTERN.test(ref)) {
    throw usageError(`"${ref}" is not a valid OCI layout ref name`, {
      hint: 'use letters, digits and . _ - : @ + between them, e.g. 1.24.0 or pilot-amd64',
    });
  }
  return ref;
}

function tempPath(folder: string, name: string): string {
  return join(folder, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function writeFileAtomically(path: string, folder: string, name: string, data: Uint8Array | string): Promise<void> {
  const temp = tempPath(folder, name);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export interface WriteBlobOptions {
  /** When given, a blob already present is not read again, and content with another digest is refused. */
  digest?: string;
}

/** An OCI image layout on disk. Open one with `OciLayout.create` or `OciLayout.open`. */
export class OciLayout {
  /** Absolute path of the layout folder. */
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Opens `dir` as a layout, creating the folder, `oci-layout`, `blobs/sha256` and an empty `index.json` where missing. */
  static async create(dir: string): Promise<OciLayout> {
    const layout = new OciLayout(dir);
    await mkdir(layout.blobFolder, { recursive: true });
    if (await exists(layout.layoutFile)) {
      await layout.checkVersion();
    } else {
      await writeFileAtomically(layout.layoutFile, layout.dir, 'oci-layout', JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION }));
    }
    await layout.serialiseIndexUpdate(async () => {
      if (!(await exists(layout.indexFile))) await layout.writeIndex([]);
    });
    return layout;
  }

  /**
   * A layout another tool is still writing (blobs first; `oci-layout` and `index.json` may come
   * last): for reading and adding blobs only, unchecked.
   */
  static beingWritten(dir: string): OciLayout {
    return new OciLayout(dir);
  }

  /** Opens an existing layout; throws a usage error when `dir` is not one. */
  static async open(dir: string): Promise<OciLayout> {
    const layout = new OciLayout(dir);
    await layout.checkVersion();
    return layout;
  }

  private get blobFolder(): string {
    return join(this.dir, 'blobs', 'sha256');
  }

  private get layoutFile(): string {
    return join(this.dir, 'oci-layout');
  }

  private get indexFile(): string {
    return join(this.dir, 'index.json');
  }

  private async checkVersion(): Promise<void> {
    const text = await readFile(this.layoutFile, 'utf8').catch(() => undefined);
    if (text === undefined) {
      throw usageError(`${this.dir} is not an OCI image layout (it has no oci-layout file)`, {
        hint: 'point at a folder meshbuild or skopeo wrote with oci:DIR',
      });
    }
    let version: unknown;
    try {
      version = (JSON.parse(text) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
    } catch {
      version = undefined;
    }
    if (version !== OCI_LAYOUT_VERSION) {
      throw usageError(`${this.layoutFile}: imageLayoutVersion ${JSON.stringify(version)} is not supported (only ${OCI_LAYOUT_VERSION})`);
    }
  }

  /** Path of a blob in the layout, whether or not it is there. Throws a usage error for a malformed digest. */
  blobPath(digest: string): string {
    return join(this.blobFolder, parseDigest(digest).hex);
  }

  /** The digests of the blobs present (sha256 only; files of other names are not blobs). */
  async blobDigests(): Promise<string[]> {
    const names = await readdir(this.blobFolder).catch(() => []);
    return names.filter((name) => /^[0-9a-f]{64}$/.test(name)).map((hex) => `sha256:${hex}`);
  }

  async hasBlob(digest: string): Promise<boolean> {
    return exists(this.blobPath(digest));
  }

  /**
   * Stores content as a blob and returns its digest and size. A blob that is already present is
   * left untouched (the content is read only to learn its digest, unless `options.digest` is given).
   */
  async writeBlob(content: Uint8Array | Readable, options: WriteBlobOptions = {}): Promise<DigestAndSize> {
    if (options.digest !== undefined && (await this.hasBlob(options.digest))) {
      const size = content instanceof Readable ? (await stat(this.blobPath(options.digest))).size : content.byteLength;
      if (content instanceof Readable) content.destroy();
      return { digest: options.digest, size };
    }
    if (!(content instanceof Readable)) {
      const digest = sha256Digest(content);
      if (options.digest !== undefined && options.digest !== digest) {
        throw stepError(`blob content has digest ${digest}, expected ${options.digest}`);
      }
      if (!(await this.hasBlob(digest))) await writeFileAtomically(this.blobPath(digest), this.blobFolder, parseDigest(digest).hex, content);
      return { digest, size: content.byteLength };
    }
    const counter = new DigestingStream({ expected: options.digest, what: 'blob content' });
    const temp = tempPath(this.blobFolder, 'blob');
    try {
      await pipeline(content, counter, createWriteStream(temp));
      const digest = counter.digest();
      if (await this.hasBlob(digest)) await rm(temp, { force: true });
      else await rename(temp, this.blobPath(digest));
      return { digest, size: counter.size };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  /** Stores the file at `path` as a blob (streamed); see `writeBlob`. */
  async writeBlobFromFile(path: string, options: WriteBlobOptions = {}): Promise<DigestAndSize> {
    if (options.digest !== undefined && (await this.hasBlob(options.digest))) {
      return { digest: options.digest, size: (await stat(this.blobPath(options.digest))).size };
    }
    return this.writeBlob(createReadStream(path), options);
  }

  private async requireBlob(digest: string): Promise<string> {
    const path = this.blobPath(digest);
    if (!(await exists(path)))
      throw stepError(`blob ${digest} is not in the OCI layout ${this.dir}`, { hint: 'the layout is incomplete; write the image to it again' });
    return path;
  }

  /**
   * A blob as a stream that fails at its end if the content does not match its digest (unless
   * `verify` is false; default true). Unchecked, it may start at `start` and stop before `end`.
   */
  async openBlob(digest: string, options: { verify?: boolean; start?: number; end?: number } = {}): Promise<Readable> {
    const { start = 0, end } = options;
    const whole = start === 0 && end === undefined;
    if (options.verify !== false && !whole) throw new Error('Internal error: only a whole blob can be checked against its digest');
    const source = fileRangeStream(await this.requireBlob(digest), start, end);
    if (options.verify === false) return source;
    const check = new DigestingStream({ expected: digest, what: `blob ${digest} in ${this.dir}` });
    return pipelineCallback(source, check, () => undefined); // errors surface on the returned stream
  }

  /** A blob's bytes, checked against its digest. */
  async readBlob(digest: string): Promise<Buffer> {
    const bytes = await readFile(await this.requireBlob(digest));
    if (sha256Digest(bytes) !== digest) throw stepError(`blob ${digest} in ${this.dir} is corrupt (its content has another digest)`);
    return bytes;
  }

  /** A blob parsed as JSON (a manifest, index or config). The type is the caller's claim, not checked. */
  async readJsonBlob<T>(digest: string): Promise<T> {
    const bytes = await this.readBlob(digest);
    try {
      return JSON.parse(bytes.toString('utf8')) as T;
    } catch (error) {
      throw stepError(`blob ${digest} in ${this.dir} is not JSON`, { cause: error });
    }
  }

  /** The layout's `index.json`. */
  async readIndex(): Promise<ImageIndex> {
    const text = await readFile(this.indexFile, 'utf8').catch((error: unknown) => {
      throw stepError(`cannot read ${this.indexFile}`, { cause: error, detail: String(error) });
    });
    let index: ImageIndex;
    try {
      index = JSON.parse(text) as ImageIndex;
    } catch (error) {
      throw stepError(`${this.indexFile} is not valid JSON`, { cause: error });
    }
    if (index.schemaVersion !== 2 || !Array.isArray(index.manifests)) throw stepError(`${this.indexFile} is not an OCI image index`);
    return index;
  }

  /** The ref names in `index.json`, sorted. */
  async listRefs(): Promise<string[]> {
    const { manifests } = await this.readIndex();
    return manifests.flatMap((d) => d.annotations?.[REF_NAME_ANNOTATION] ?? []).sort();
  }

  /** The descriptor `ref` names (an index or manifest), or undefined when the layout has no such ref. */
  async resolveRef(ref: string): Promise<Descriptor | undefined> {
    const { manifests } = await this.readIndex();
    return manifests.find((d) => d.annotations?.[REF_NAME_ANNOTATION] === ref);
  }

  /**
   * Names `descriptor` (an image index or manifest already stored here) `ref`, replacing what the
   * ref named before. Updates of one folder are applied one at a time within this process.
   */
  async putRef(ref: string, descriptor: Descriptor): Promise<void> {
    checkRefName(ref);
    if (!isIndexMediaType(descriptor.mediaType) && !isManifestMediaType(descriptor.mediaType)) {
      throw new Error(`Internal error: ref ${ref} must name an index or a manifest, not ${descriptor.mediaType}`);
    }
    await this.requireBlob(descriptor.digest);
    const entry: Descriptor = { ...descriptor, annotations: { ...descriptor.annotations, [REF_NAME_ANNOTATION]: ref } };
    await this.updateIndex((manifests) => [...manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== ref), entry]);
  }

  /** Removes `ref` from `index.json` (its blobs stay); returns whether it was there. */
  async removeRef(ref: string): Promise<boolean> {
    let removed = false;
    await this.updateIndex((manifests) => {
      const kept = manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== ref);
      removed = kept.length !== manifests.length;
      return kept;
    });
    return removed;
  }

  /** Makes every `index.json` entry that names `digest` name `descriptor` instead (its annotations kept). */
  async replaceEntry(digest: string, descriptor: Descriptor): Promise<void> {
    const { mediaType, size } = descriptor;
    await this.updateIndex((manifests) => manifests.map((m) => (m.digest === digest ? { ...m, mediaType, digest: descriptor.digest, size } : m)));
  }

  private async updateIndex(change: (manifests: Descriptor[]) => Descriptor[]): Promise<void> {
    await this.serialiseIndexUpdate(async () => this.writeIndex(change((await this.readIndex()).manifests)));
  }

  /** Runs `update` after every index.json update of this folder queued before it in this process. */
  private async serialiseIndexUpdate(update: () => Promise<void>): Promise<void> {
    const previous = indexQueues.get(this.dir) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(update);
    indexQueues.set(this.dir, next);
    try {
      await next;
    } finally {
      if (indexQueues.get(this.dir) === next) indexQueues.delete(this.dir);
    }
  }

  /** Writes index.json: entries without a ref first, in their order, then named ones sorted by ref. */
  private async writeIndex(manifests: Descriptor[]): Promise<void> {
    const refOf = (d: Descriptor): string | undefined => d.annotations?.[REF_NAME_ANNOTATION];
    const unnamed = manifests.filter((d) => refOf(d) === undefined);
    const named = manifests.filter((d) => refOf(d) !== undefined).sort((a, b) => Buffer.compare(Buffer.from(refOf(a)!), Buffer.from(refOf(b)!)));
    const index: ImageIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: [...unnamed, ...named].map(orderDescriptor) };
    await writeFileAtomically(this.indexFile, this.dir, 'index.json', `${JSON.stringify(index)}\n`);
  }
}
