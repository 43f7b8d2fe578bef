/**
 * A place images live, seen as content-addressed blobs and manifests plus names. An OCI layout
 * folder and a registry repository are both stores, so building, pushing, `push --from` and
 * mirroring are the same copy between two stores.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/types.js';

export interface ImageStore {
  // `signal` (optional everywhere): aborts the operation (Ctrl-C, a failed sibling transfer);
  // stores whose operations are local and short may ignore it.
  /** For messages: `oci:out/images`, `127.0.0.1:5555/mesh/pilot`. */
  readonly name: string;
  hasBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<boolean>;
  openBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<Readable>;
  /** Stores a blob (config or layer) read from `open`; may skip the read when it can mount it. */
  putBlob(descriptor: Descriptor, open: () => Promise<Readable>, signal?: AbortSignal): Promise<void>;
  hasManifest(descriptor: Descriptor, signal?: AbortSignal): Promise<boolean>;
  readManifest(descriptor: Descriptor, signal?: AbortSignal): Promise<Buffer>;
  /** Stores a manifest or index by digest, and under `tag` when given. */
  putManifest(descriptor: Descriptor, bytes: Buffer, tag?: string, signal?: AbortSignal): Promise<void>;
  /** What `tag` names now, if anything. */
  resolveTag(tag: string, signal?: AbortSignal): Promise<Descriptor | undefined>;
  /** Removes `tag` (not what it names); false when the store does not allow deleting tags. */
  deleteTag(tag: string, signal?: AbortSignal): Promise<boolean>;
}
