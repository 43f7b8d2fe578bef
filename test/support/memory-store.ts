/**
 * An in-memory image store for unit tests of what sits on the store interface (the tag phase):
 * manifests by digest, tags, and scripted faults on tag writes, deletes and reads.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Descriptor } from '../../src/oci/types.js';
import type { ImageStore } from '../../src/publish/image-store.js';
import { RegistryError } from '../../src/registry/registry-error.js';

export interface StoreFaults {
  /** Tag writes (puts with a tag) from this one on (1-based) fail. */
  failTagWritesFrom?: number;
  /** How the failing writes fail: retryable (503) or not (403). Default not. */
  retryable?: boolean;
  /** Only this many writes fail, then they succeed again. Default: all from `failTagWritesFrom` on. */
  failCount?: number;
  /** Retry-After on a failing write, in ms. */
  retryAfterMs?: number;
  /** deleteTag answers false (as registries without tag deletion do). */
  refuseDeletes?: boolean;
}

export class MemoryStore implements ImageStore {
  readonly manifests = new Map<string, Buffer>();
  readonly tags = new Map<string, Descriptor>();
  tagWrites = 0;
  failures = 0;
  readonly log: string[] = [];

  constructor(
    readonly name: string,
    public faults: StoreFaults = {},
  ) {}

  /** Stores an index (by digest) for `label` and returns its descriptor. */
  addIndex(label: string): { descriptor: Descriptor; bytes: Buffer } {
    const bytes = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [], annotations: { label } }),
    );
    const descriptor = {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      size: bytes.length,
    };
    this.manifests.set(descriptor.digest, bytes);
    return { descriptor, bytes };
  }

  hasBlob(): Promise<boolean> {
    return Promise.resolve(false);
  }

  openBlob(): Promise<Readable> {
    return Promise.resolve(Readable.from([]));
  }

  putBlob(): Promise<void> {
    return Promise.resolve();
  }

  hasManifest(descriptor: Descriptor): Promise<boolean> {
    return Promise.resolve(this.manifests.has(descriptor.digest));
  }

  readManifest(descriptor: Descriptor): Promise<Buffer> {
    const bytes = this.manifests.get(descriptor.digest);
    return bytes ? Promise.resolve(bytes) : Promise.reject(new RegistryError(`${this.name} has no ${descriptor.digest}`, { status: 404 }));
  }

  putManifest(descriptor: Descriptor, bytes: Buffer, tag?: string): Promise<void> {
    if (tag !== undefined) {
      this.tagWrites++;
      const { failTagWritesFrom, failCount, retryable, retryAfterMs } = this.faults;
      if (failTagWritesFrom !== undefined && this.tagWrites >= failTagWritesFrom && (failCount === undefined || this.failures < failCount)) {
        this.failures++;
        this.log.push(`refused ${tag}`);
        const status = retryable ? 503 : 403;
        return Promise.reject(
          new RegistryError(`${this.name} answered ${status} to a tag write`, {
            status,
            retryable: retryable ?? false,
            ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          }),
        );
      }
    }
    this.manifests.set(descriptor.digest, bytes);
    if (tag !== undefined) {
      this.tags.set(tag, descriptor);
      this.log.push(`put ${tag}`);
    }
    return Promise.resolve();
  }

  resolveTag(tag: string): Promise<Descriptor | undefined> {
    return Promise.resolve(this.tags.get(tag));
  }

  deleteTag(tag: string): Promise<boolean> {
    if (this.faults.refuseDeletes) return Promise.resolve(false);
    this.tags.delete(tag);
    this.log.push(`delete ${tag}`);
    return Promise.resolve(true);
  }
}
