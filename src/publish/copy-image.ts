/**
 * Copies an image index (or a single manifest) with everything it references from one store to
 * another, by digest, children before parents, skipping what the destination already has.
 * Nothing is tagged here: naming comes last, in one step, once every copy succeeded. The first
 * failed transfer cancels its siblings unless `keepGoing`.
 */
import { Transform, type Readable } from 'node:stream';
import { MeshbuildError, stepError } from '../errors.js';
import { isIndexMediaType } from '../oci/media-types.js';
import type { Descriptor, ImageIndex, ImageManifest } from '../oci/types.js';
import { anySignal, throwIfAborted } from '../registry/abort.js';
import type { ImageStore } from './image-store.js';

export interface CopyStats {
  blobsSent: number;
  blobsSkipped: number;
  bytesSent: number;
}

export interface CopyOptions {
  /** Aborts the copy (Ctrl-C, or a failure elsewhere in the job). Default none. */
  signal?: AbortSignal;
  /**
   * Let sibling transfers finish after one fails (then throw the first failure). Default false:
   * the first failure aborts the transfers still running, which stop before it is thrown.
   */
  keepGoing?: boolean;
  /** Called as a blob's bytes are read for sending: how many of `blob.size` so far (from 0 again on a retry). */
  onBlobProgress?: (blob: Descriptor, sent: number) => void;
}

/**
 * Children and blobs are copied concurrently (the registry client caps transfers per host, one
 * slot per blob), so a push waits on the slowest blob rather than on the sum of their round trips.
 */
export async function copyImage(from: ImageStore, to: ImageStore, root: Descriptor, options: CopyOptions = {}): Promise<CopyStats> {
  throwIfAborted(options.signal);
  const stats: CopyStats = { blobsSent: 0, blobsSkipped: 0, bytesSent: 0 };
  await copyTree(from, to, root, stats, { signal: options.signal, keepGoing: options.keepGoing ?? false, onBlobProgress: options.onBlobProgress });
  return stats;
}

async function copyTree(
  from: ImageStore,
  to: ImageStore,
  root: Descriptor,
  stats: CopyStats,
  options: { signal: AbortSignal | undefined; keepGoing: boolean; onBlobProgress: CopyOptions['onBlobProgress'] },
): Promise<void> {
  const { signal, onBlobProgress } = options;
  const bytes = await from.readManifest(root, signal);
  if (await to.hasManifest(root, signal)) {
    stats.blobsSkipped++;
    return;
  }
  const parsed = JSON.parse(bytes.toString('utf8')) as ImageIndex | ImageManifest;
  if (isIndexMediaType(root.mediaType) || 'manifests' in parsed) {
    await allOrCancel(
      (parsed as ImageIndex).manifests.map((child) => (group) => copyTree(from, to, child, stats, { ...options, signal: group })),
      options,
    );
  } else {
    const manifest = parsed as ImageManifest;
    if (!manifest.config || !Array.isArray(manifest.layers)) throw stepError(`${from.name}: ${root.digest} is neither an image index nor a manifest`);
    await allOrCancel(
      [manifest.config, ...manifest.layers].map((blob) => async (group) => {
        if (await to.hasBlob(blob, group)) {
          stats.blobsSkipped++;
          return;
        }
        // Read unchecked from the offset the upload asks for: the destination hashes the bytes as it takes them.
        const open = (start: number, end?: number) => from.openBlob(blob, group, { start, ...(end !== undefined ? { end } : {}), verify: false });
        await to.putBlob(
          blob,
          onBlobProgress ? async (start, end) => counted(await open(start, end), (read) => onBlobProgress(blob, start + read)) : open,
          group,
        );
        stats.blobsSent++;
        stats.bytesSent += blob.size;
      }),
      options,
    );
  }
  await to.putManifest(root, bytes, undefined, signal);
}

/** `source` as it is read, telling `onRead` the bytes read so far. */
function counted(source: Readable, onRead: (bytes: number) => void): Readable {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      onRead(bytes);
      done(null, chunk);
    },
  });
  source.once('error', (error) => counter.destroy(error));
  counter.once('close', () => source.destroy());
  return source.pipe(counter);
}

/**
 * Runs `tasks` concurrently under one signal derived from `options.signal`. Unless `keepGoing`,
 * the first failure aborts the others (with that failure as the reason). Either way every task
 * has stopped before the first failure is thrown, so nothing of this copy runs on afterwards.
 */
async function allOrCancel(
  tasks: Array<(signal: AbortSignal) => Promise<void>>,
  options: { signal: AbortSignal | undefined; keepGoing: boolean },
): Promise<void> {
  const group = new AbortController();
  const signal = anySignal(options.signal, group.signal)!;
  let first: { error: unknown } | undefined;
  await Promise.all(
    tasks.map((task) =>
      task(signal).catch((error: unknown) => {
        if (first !== undefined) return;
        first = { error };
        if (!options.keepGoing && !signal.aborted) group.abort(error instanceof MeshbuildError ? error : stepError(String(error), { cause: error }));
      }),
    ),
  );
  if (first !== undefined) {
    // An abort from above wins over the errors it caused.
    throwIfAborted(options.signal);
    throw first.error;
  }
}

/** The first of `manifests` that `store` lacks, asked about all at once; undefined when it has them all. */
export async function firstMissingManifest(store: ImageStore, manifests: readonly Descriptor[]): Promise<Descriptor | undefined> {
  const present = await Promise.all(manifests.map((descriptor) => store.hasManifest(descriptor)));
  return manifests.find((_, i) => !present[i]);
}

/** The platforms an index lists, attestation entries (unknown/unknown) left out. */
export function indexPlatforms(index: ImageIndex): string[] {
  return index.manifests
    .filter((m) => m.platform && m.platform.os !== 'unknown' && m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')
    .map((m) => [m.platform!.os, m.platform!.architecture, m.platform!.variant].filter(Boolean).join('/'));
}
