/** An OCI image layout folder as an image store; tags are `org.opencontainers.image.ref.name`s. */
import type { Readable } from 'node:stream';
import { OciLayout } from '../oci/layout.js';
import type { Descriptor } from '../oci/types.js';
import type { OpenBlobStream } from '../registry/blob-source.js';
import type { BlobRead, ImageStore } from './image-store.js';

export class LayoutStore implements ImageStore {
  readonly name: string;

  private constructor(readonly layout: OciLayout) {
    this.name = `oci:${layout.dir}`;
  }

  /** Opens (creating when `create`) the layout at `dir`. */
  static async at(dir: string, create = true): Promise<LayoutStore> {
    return new LayoutStore(create ? await OciLayout.create(dir) : await OciLayout.open(dir));
  }

  hasBlob(descriptor: Descriptor): Promise<boolean> {
    return this.layout.hasBlob(descriptor.digest);
  }

  openBlob(descriptor: Descriptor, _signal?: AbortSignal, read: BlobRead = {}): Promise<Readable> {
    return this.layout.openBlob(descriptor.digest, read);
  }

  /** Streams the blob in, hashing it on the way (once): content with another digest is refused. */
  async putBlob(descriptor: Descriptor, open: OpenBlobStream): Promise<void> {
    if (await this.layout.hasBlob(descriptor.digest)) return;
    await this.layout.writeBlob(await open(0), { digest: descriptor.digest });
  }

  hasManifest(descriptor: Descriptor): Promise<boolean> {
    return this.layout.hasBlob(descriptor.digest);
  }

  readManifest(descriptor: Descriptor): Promise<Buffer> {
    return this.layout.readBlob(descriptor.digest);
  }

  async putManifest(descriptor: Descriptor, bytes: Buffer, tag?: string): Promise<void> {
    await this.layout.writeBlob(bytes, { digest: descriptor.digest });
    if (tag !== undefined) await this.layout.putRef(tag, { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size });
  }

  resolveTag(tag: string): Promise<Descriptor | undefined> {
    return this.layout.resolveRef(tag);
  }

  async deleteTag(tag: string): Promise<boolean> {
    await this.layout.removeRef(tag);
    return true;
  }
}
