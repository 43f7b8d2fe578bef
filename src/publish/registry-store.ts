/**
 * One repository of a registry as an image store. Blobs the registry has are skipped; blobs
 * another repository of the same registry has (a sibling image, another hub namespace) are
 * mounted rather than sent again.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/types.js';
import { MANIFEST_ACCEPT } from '../registry/manifests.js';
import { abortable } from '../registry/abort.js';
import type { RegistryClient } from '../registry/client.js';
import { RegistryError } from '../registry/registry-error.js';
import type { OpenBlobStream } from '../registry/blob-source.js';
import type { BlobRead, ImageStore } from './image-store.js';

/**
 * Uploads in flight or done, per client, by `repository@digest`. Two jobs storing the same blob
 * in the same repository at once (two variants of one image) share one upload: a registry on the
 * filesystem driver rewrites the repository's link file on each upload, and a manifest checked
 * while it is rewritten is refused (MANIFEST_BLOB_UNKNOWN).
 */
const uploadsByClient = new WeakMap<RegistryClient, Map<string, SharedUpload>>();

/** An upload in flight or done, and the signal of the job that started it. */
interface SharedUpload {
  promise: Promise<void>;
  signal: AbortSignal | undefined;
}

export class RegistryStore implements ImageStore {
  readonly name: string;
  /** Blobs this store was just told the repository lacks: their upload need not ask again. */
  private readonly lacking = new Set<string>();

  /**
   * @param mountFrom repositories of the same registry that may hold the blobs already
   *   (tried before uploading). Default none.
   */
  constructor(
    readonly client: RegistryClient,
    readonly repository: string,
    private readonly mountFrom: string[] = [],
  ) {
    this.name = `${client.registry}/${repository}`;
  }

  async hasBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<boolean> {
    const has = await this.client.withSignal(signal).hasBlob(this.repository, descriptor.digest);
    if (!has) this.lacking.add(descriptor.digest);
    return has;
  }

  openBlob(descriptor: Descriptor, signal?: AbortSignal, read: BlobRead = {}): Promise<Readable> {
    // `end` is left to the reader: a slice of a download stops it once it has its bytes.
    return this.client.withSignal(signal).getBlob(this.repository, descriptor.digest, { start: read.start ?? 0, verify: read.verify ?? true });
  }

  putBlob(descriptor: Descriptor, open: OpenBlobStream, signal?: AbortSignal): Promise<void> {
    let uploads = uploadsByClient.get(this.client);
    if (!uploads) uploadsByClient.set(this.client, (uploads = new Map()));
    const key = `${this.repository}@${descriptor.digest}`;
    let upload = uploads.get(key);
    if (!upload) {
      // Kept once done too: a job that looked before this upload finished must not send it again.
      const promise = this.upload(descriptor, open, signal).catch((error: unknown) => {
        uploads.delete(key);
        throw error;
      });
      upload = { promise, signal };
      uploads.set(key, upload);
    }
    const shared = upload;
    const joined = shared.promise.catch((error: unknown) => {
      // Started by another job and cancelled with it: this job still wants the blob, so it sends it.
      if (shared.signal !== signal && shared.signal?.aborted === true && signal?.aborted !== true) return this.putBlob(descriptor, open, signal);
      throw error;
    });
    return abortable(joined, signal);
  }

  /** One blob transfer: each client call below holds one slot of the host's limit, one at a time. */
  private async upload(descriptor: Descriptor, open: OpenBlobStream, signal: AbortSignal | undefined): Promise<void> {
    const client = this.client.withSignal(signal);
    for (const sibling of this.mountFrom) {
      if (sibling !== this.repository && (await client.hasBlob(sibling, descriptor.digest))) {
        await client.mountBlob(this.repository, descriptor, sibling, open);
        return;
      }
    }
    // One HEAD per blob: a copy asks hasBlob first, and the answer stands for the upload.
    await client.pushBlob(this.repository, descriptor, open, { skipExisting: !this.lacking.delete(descriptor.digest) });
  }

  async hasManifest(descriptor: Descriptor, signal?: AbortSignal): Promise<boolean> {
    return (await this.client.withSignal(signal).headManifest(this.repository, descriptor.digest, [descriptor.mediaType, ...MANIFEST_ACCEPT])) !== undefined;
  }

  async readManifest(descriptor: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    return (await this.client.withSignal(signal).getManifest(this.repository, descriptor.digest, [descriptor.mediaType, ...MANIFEST_ACCEPT])).bytes;
  }

  async putManifest(descriptor: Descriptor, bytes: Buffer, tag?: string, signal?: AbortSignal): Promise<void> {
    await this.client.withSignal(signal).putManifest(this.repository, tag ?? descriptor.digest, bytes, descriptor.mediaType);
  }

  resolveTag(tag: string, signal?: AbortSignal): Promise<Descriptor | undefined> {
    return this.client.withSignal(signal).headManifest(this.repository, tag);
  }

  /**
   * DELETE of the tag itself, never of the digest (that would take every other tag naming it).
   * Registries without tag deletion answer 400 (distribution 2.x), 405 or 403.
   */
  async deleteTag(tag: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.client.withSignal(signal).deleteManifest(this.repository, tag);
      return true;
    } catch (error) {
      if (error instanceof RegistryError && (error.status === 400 || error.status === 403 || error.status === 405)) return false;
      if (error instanceof RegistryError && error.status === 404) return true;
      throw error;
    }
  }
}
