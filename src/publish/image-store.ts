/**
 * A place images live, seen as content-addressed blobs and manifests plus names. An OCI layout
 * folder and a registry repository are both stores, so building, pushing, `push --from` and
 * mirroring are the same copy between two stores.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/types.js';
import type { OpenBlobStream } from '../registry/blob-source.js';

/**
 * Which bytes of a blob to read: from `start` (default 0) to `end` (exclusive; default the blob's
 * end), checked against the digest or not (`verify`, default true; only a whole blob can be
 * checked). A copy reads unchecked: the store it writes to hashes the bytes as it takes them.
 */
export interface BlobRead {
  start?: number;
  end?: number;
  verify?: boolean;
}

export interface ImageStore {
  // `signal` (optional everywhere): aborts the operation (Ctrl-C, a failed sibling transfer);
  // stores whose operations are local and short may ignore it.
  /** For messages: `oci:out/images`, `127.0.0.1:5555/mesh/pilot`. */
  readonly name: string;
  hasBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<boolean>;
  openBlob(descriptor: Descriptor, signal?: AbortSignal, read?: BlobRead): Promise<Readable>;
  /**
   * Stores a blob (config or layer) read from `open` (unchecked bytes from an offset), checking its
   * digest as it is stored; may skip the read when it can mount it.
   */
  putBlob(descriptor: Descriptor, open: OpenBlobStream, signal?: AbortSignal): Promise<void>;
  hasManifest(descriptor: Descriptor, signal?: AbortSignal): Promise<boolean>;
  readManifest(descriptor: Descriptor, signal?: AbortSignal): Promise<Buffer>;
  /** Stores a manifest or index by digest, and under `tag` when given. */
  putManifest(descriptor: Descriptor, bytes: Buffer, tag?: string, signal?: AbortSignal): Promise<void>;
  /** What `tag` names now, if anything. */
  resolveTag(tag: string, signal?: AbortSignal): Promise<Descriptor | undefined>;
  /** Removes `tag` (not what it names); false when the store does not allow deleting tags. */
  deleteTag(tag: string, signal?: AbortSignal): Promise<boolean>;
}
