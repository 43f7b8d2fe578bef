/**
 * `--output tar:DIR` as an image store: one OCI archive per tag (`DIR/pilot_1.0.0.tar`, an OCI
 * layout in a tar that `docker load` and skopeo read), holding the tagged image whole. Blobs wait
 * in a staging layout under `out/.tmp` until a tag names them; each archive is written to a temp
 * file and renamed into place, so a tag is an archive that is complete or absent.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readFileFromTar } from '../oci/tar-reader.js';
import type { OpenBlobStream } from '../registry/blob-source.js';
import { createTarStream, type TarInputEntry } from '../oci/tar-writer.js';
import type { Descriptor } from '../oci/types.js';
import { makeTempDir, moveIntoPlace } from '../run/atomic-files.js';
import { copyImage } from './copy-image.js';
import type { BlobRead, ImageStore } from './image-store.js';
import { LayoutStore } from './layout-store.js';

export class ArchiveStore implements ImageStore {
  readonly name: string;

  private constructor(
    readonly dir: string,
    private readonly staging: LayoutStore,
    private readonly tempDir: string,
  ) {
    this.name = `tar:${dir}`;
  }

  /** The archives of `dir`, staging under `<outDir>/.tmp`. */
  static async at(dir: string, outDir: string): Promise<ArchiveStore> {
    await mkdir(dir, { recursive: true });
    const tempDir = await makeTempDir(outDir, 'archives');
    return new ArchiveStore(dir, await LayoutStore.at(path.join(tempDir, 'staging')), tempDir);
  }

  /** `pilot:1.0.0` -> `DIR/pilot_1.0.0.tar` */
  archivePath(tag: string): string {
    return path.join(this.dir, `${tag.replace(/[/:]/g, '_')}.tar`);
  }

  hasBlob(descriptor: Descriptor): Promise<boolean> {
    return this.staging.hasBlob(descriptor);
  }

  openBlob(descriptor: Descriptor, signal?: AbortSignal, read?: BlobRead): Promise<Readable> {
    return this.staging.openBlob(descriptor, signal, read);
  }

  putBlob(descriptor: Descriptor, open: OpenBlobStream): Promise<void> {
    return this.staging.putBlob(descriptor, open);
  }

  hasManifest(descriptor: Descriptor): Promise<boolean> {
    return this.staging.hasManifest(descriptor);
  }

  readManifest(descriptor: Descriptor): Promise<Buffer> {
    return this.staging.readManifest(descriptor);
  }

  /** By digest: staged. Under a tag: the tag's archive, written whole from what is staged. */
  async putManifest(descriptor: Descriptor, bytes: Buffer, tag?: string): Promise<void> {
    await this.staging.putManifest(descriptor, bytes);
    if (tag !== undefined) await this.writeArchive(descriptor, bytes, tag);
  }

  /** What the tag's archive names; its index is staged, so the tag phase can read it back. */
  async resolveTag(tag: string): Promise<Descriptor | undefined> {
    const file = this.archivePath(tag);
    if (!(await stat(file).catch(() => undefined))) return undefined;
    const index = await readFileFromTar(createReadStream(file), 'index.json', { what: file });
    const root = index ? (JSON.parse(index.toString('utf8')) as { manifests?: Descriptor[] }).manifests?.[0] : undefined;
    if (!root) return undefined;
    const bytes = await readFileFromTar(createReadStream(file), `blobs/${root.digest.replace(':', '/')}`, { what: file });
    if (bytes) await this.staging.putManifest(root, bytes);
    return { mediaType: root.mediaType, digest: root.digest, size: root.size };
  }

  async deleteTag(tag: string): Promise<boolean> {
    await rm(this.archivePath(tag), { force: true });
    return true;
  }

  private async writeArchive(root: Descriptor, bytes: Buffer, tag: string): Promise<void> {
    const work = await mkdtemp(path.join(this.tempDir, 'archive-'));
    try {
      const layoutDir = path.join(work, 'layout');
      const layout = await LayoutStore.at(layoutDir);
      await copyImage(this.staging, layout, root);
      await layout.putManifest(root, bytes, tag);
      const file = path.join(work, 'image.tar');
      await pipeline(createTarStream(await filesUnder(layoutDir)), createWriteStream(file));
      await moveIntoPlace(file, this.archivePath(tag));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}

async function filesUnder(dir: string): Promise<TarInputEntry[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => {
      const full = path.join(e.parentPath, e.name);
      return { type: 'file' as const, path: path.relative(dir, full), source: full };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}
