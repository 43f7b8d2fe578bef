/**
 * Pushing one blob: monolithic (POST, then one PUT carrying the bytes) or chunked (PATCH chunks
 * with Content-Range, then PUT). Bytes stream from the caller's source through a digest check, so
 * memory stays flat, every byte is read and hashed once, and wrong bytes never complete an upload.
 * A registry that refuses a body that large (413) gets the blob in chunks instead; each chunk is
 * read from its own offset. A failed monolithic attempt starts over from a fresh stream; a failed
 * chunk asks the registry where the upload stands and resumes from there, or starts over when the
 * registry has lost the session.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/types.js';
import { throwIfAborted } from './abort.js';
import { DigestVerifier, digestAlgorithm, digestMismatch, sliceStream, type OpenBlobStream } from './blob-source.js';
import type { RegistryHttp } from './registry-http.js';
import { withAttempts } from './registry-http.js';
import { RegistryError, networkError } from './registry-error.js';
import { discardBody } from './transport.js';
import {
  cancelUpload,
  checkReportedDigest,
  describeBlob,
  parseRangeEnd,
  pushScopes,
  startUpload,
  uploadStatus,
  withDigestQuery,
  MAX_SESSION_RESTARTS,
  UploadSessionLostError,
  type UploadSession,
} from './upload-session.js';

export type UploadMode = 'monolithic' | 'chunked';

export interface BlobUploadOptions {
  /** `auto`: monolithic, in chunks when the registry refuses the whole body (413). */
  mode: UploadMode | 'auto';
  /** Bytes per PATCH in chunked mode. */
  chunkSize: number;
  /** Hears how far the upload has got (bytes from the blob's start), as the bytes leave. */
  onProgress?: ((sent: number) => void) | undefined;
  /** A session the registry already opened (a mount answered 202); used for the first attempt. */
  session?: UploadSession;
  /** Asks whether the blob exists after a failure whose answer was lost. */
  exists: () => Promise<boolean>;
}

/** Pipes `source` into `through`, forwarding the source's errors. */
function pipeThrough<T extends NodeJS.WritableStream & Readable>(source: Readable, through: T): T {
  source.once('error', (error) => through.destroy(error));
  through.once('close', () => source.destroy());
  return source.pipe(through);
}

/** Counts bytes from `start` for `onProgress`, when there is one. */
function progress({ onProgress }: Pick<BlobUploadOptions, 'onProgress'>, start: number): ((bytes: number) => void) | undefined {
  if (onProgress === undefined) return undefined;
  let sent = start;
  return (bytes) => {
    sent += bytes;
    onProgress(sent);
  };
}

/** Whether an upload failure is worth recovering from (416: the registry disagrees on the offset). */
function recoverable(error: unknown): error is RegistryError {
  return error instanceof RegistryError && (error.retryable || error.status === 416);
}

function asRegistryError(http: RegistryHttp, error: unknown, what: string, repo: string): RegistryError {
  return error instanceof RegistryError ? error : networkError(error, { registry: http.registry, repository: repo, what });
}

/** Uploads a blob; resolves once the registry has it under `descriptor.digest`. */
export async function uploadBlob(http: RegistryHttp, repo: string, descriptor: Descriptor, open: OpenBlobStream, options: BlobUploadOptions): Promise<void> {
  digestAlgorithm(descriptor.digest);
  if (options.mode === 'chunked') {
    await uploadChunked(http, repo, descriptor, open, options);
    return;
  }
  try {
    await uploadMonolithic(http, repo, descriptor, open, options);
  } catch (error) {
    if (options.mode !== 'auto' || !(error instanceof RegistryError) || error.status !== 413) throw error;
    http.log(`${describeBlob('push', descriptor.digest, repo)}: the registry refused ${descriptor.size} bytes in one request; sending chunks`);
    await uploadChunked(http, repo, descriptor, open, { ...options, session: undefined });
  }
}

async function uploadMonolithic(http: RegistryHttp, repo: string, descriptor: Descriptor, open: OpenBlobStream, options: BlobUploadOptions): Promise<void> {
  const what = describeBlob('push', descriptor.digest, repo);
  let given = options.session;
  for (let attempt = 1; ; attempt += 1) {
    const session = given ?? (await startUpload(http, repo, descriptor.digest));
    given = undefined;
    try {
      const response = await http.request({
        method: 'PUT',
        target: withDigestQuery(http, session.location, descriptor.digest),
        headers: { 'content-type': 'application/octet-stream' },
        body: { length: descriptor.size, open: async () => pipeThrough(await open(0), new DigestVerifier(descriptor, { onBytes: progress(options, 0) })) },
        scopes: pushScopes(repo),
        context: { repository: repo, what },
        expect: [201, 204],
        retry: false,
      });
      discardBody(response);
      checkReportedDigest(http, response, descriptor.digest, what);
      return;
    } catch (caught) {
      throwIfAborted(http.signal);
      const error = asRegistryError(http, caught, what, repo);
      if (!recoverable(error) || attempt >= http.retryPolicy.maxAttempts) {
        await cancelUpload(http, repo, session);
        throw withAttempts(error, attempt);
      }
      http.log(`upload of ${descriptor.digest} failed (${error.message}); starting over`);
      if (await options.exists().catch(() => false)) return;
      await cancelUpload(http, repo, session);
      await http.backoff(attempt, error.retryAfterMs, error.code ?? String(error.status ?? 'error'));
    }
  }
}

/** Chunked upload progress: what the registry has acknowledged, and the hash of exactly those bytes. */
interface ChunkState {
  session: UploadSession;
  committed: number;
  hash: Hash;
}

async function uploadChunked(http: RegistryHttp, repo: string, descriptor: Descriptor, open: OpenBlobStream, options: BlobUploadOptions): Promise<void> {
  const what = describeBlob('push', descriptor.digest, repo);
  const algorithm = digestAlgorithm(descriptor.digest);
  // Failures in a row, reset by a good chunk; session restarts in all, never reset (a registry
  // that accepts one chunk per session and then forgets it must not keep this loop going).
  let failures = 0;
  let restarts = 0;
  let given = options.session;
  let state: ChunkState | undefined;
  for (;;) {
    if (state === undefined) {
      state = { session: given ?? (await startUpload(http, repo, descriptor.digest)), committed: 0, hash: createHash(algorithm) };
      given = undefined;
    }
    if (state.committed >= descriptor.size) {
      const actual = `${algorithm}:${state.hash.copy().digest('hex')}`;
      if (actual !== descriptor.digest) {
        await cancelUpload(http, repo, state.session);
        throw digestMismatch(descriptor, { digest: actual, size: state.committed });
      }
    }
    try {
      if (state.committed < descriptor.size) {
        await sendChunk(http, repo, descriptor, open, state, { chunkSize: options.chunkSize, what, onProgress: options.onProgress });
        failures = 0;
        continue;
      }
      const response = await http.request({
        method: 'PUT',
        target: withDigestQuery(http, state.session.location, descriptor.digest),
        scopes: pushScopes(repo),
        context: { repository: repo, what },
        expect: [201, 204],
        retry: false,
      });
      discardBody(response);
      checkReportedDigest(http, response, descriptor.digest, what);
      return;
    } catch (caught) {
      throwIfAborted(http.signal);
      const error = asRegistryError(http, caught, what, repo);
      failures += 1;
      if (!recoverable(error) || failures >= http.retryPolicy.maxAttempts) {
        await cancelUpload(http, repo, state.session);
        throw withAttempts(error, failures);
      }
      http.log(`chunk of ${descriptor.digest} at ${state.committed} failed (${error.message}); recovering`);
      await http.backoff(failures, error.retryAfterMs, error.code ?? String(error.status ?? 'error'));
      if (await options.exists().catch(() => false)) return;
      state = await resume(http, repo, descriptor, open, state);
      if (state === undefined) {
        restarts += 1;
        if (restarts > MAX_SESSION_RESTARTS) throw new UploadSessionLostError(http.registry, repo, descriptor.digest, restarts);
      }
    }
  }
}

async function sendChunk(
  http: RegistryHttp,
  repo: string,
  descriptor: Descriptor,
  open: OpenBlobStream,
  state: ChunkState,
  { chunkSize, what, onProgress }: { chunkSize: number; what: string; onProgress: BlobUploadOptions['onProgress'] },
): Promise<void> {
  const start = state.committed;
  const length = Math.min(Math.max(chunkSize, state.session.minChunkLength ?? 0), descriptor.size - start);
  let chunkHash = state.hash.copy();
  const response = await http.request({
    method: 'PATCH',
    target: state.session.location,
    headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${start + length - 1}` },
    body: {
      length,
      open: async () => {
        chunkHash = state.hash.copy();
        const verifier = new DigestVerifier(descriptor, { hash: chunkHash, offset: start, verifyAtEnd: false, onBytes: progress({ onProgress }, start) });
        return pipeThrough(sliceStream(await open(start, start + length), length), verifier);
      },
    },
    scopes: pushScopes(repo),
    context: { repository: repo, what },
    expect: [202, 204],
    retry: false,
  });
  discardBody(response);
  const next: UploadSession = {
    location: response.headers.location ?? state.session.location,
    offset: parseRangeEnd(response.headers.range),
    minChunkLength: state.session.minChunkLength,
  };
  // `0-0` means "empty" and "one byte" alike: after a one-byte first chunk it means the latter.
  if (start + length === 1 && next.offset === 0 && /^(?:bytes=)?0-0$/.test(response.headers.range ?? '')) next.offset = 1;
  if (next.offset !== start + length) {
    throw new RegistryError(`registry ${http.registry} holds ${next.offset} bytes after a chunk ending at ${start + length} (${what})`, { status: 416 });
  }
  state.session = next;
  state.committed = start + length;
  state.hash = chunkHash;
}

/**
 * After a failed chunk: continue from what the registry reports holding (hashing any bytes it took
 * beyond the last acknowledged chunk), or start a new session when it no longer knows this one.
 */
async function resume(http: RegistryHttp, repo: string, descriptor: Descriptor, open: OpenBlobStream, state: ChunkState): Promise<ChunkState | undefined> {
  const status = await uploadStatus(http, repo, state.session);
  if (status === undefined || status.offset < state.committed || status.offset > descriptor.size) {
    if (status !== undefined) await cancelUpload(http, repo, status);
    http.log(`upload session for ${descriptor.digest} lost; starting over`);
    return undefined;
  }
  if (status.offset > state.committed) {
    const extra = status.offset - state.committed;
    const hash = state.hash.copy();
    for await (const chunk of sliceStream(await open(state.committed, status.offset), extra)) hash.update(chunk as Buffer);
    http.log(`resuming ${descriptor.digest} at ${status.offset} (the registry kept ${extra} bytes of the failed chunk)`);
    return { session: status, committed: status.offset, hash };
  }
  http.log(`resuming ${descriptor.digest} at ${status.offset}`);
  return { ...state, session: status };
}
