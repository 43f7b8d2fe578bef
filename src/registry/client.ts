/**
 * `RegistryClient`: the OCI distribution API of one registry host, for blobs, manifests and tags.
 * Plain HTTP only where the insecure policy allows it, credentials from the options or the Docker
 * config, retries with backoff, cancellation through an AbortSignal, and a concurrency limit
 * shared by every client of the host: each public operation (one blob transfer, one manifest
 * operation) holds one slot for its whole length and never takes a second, so no limit deadlocks.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/types.js';
import { anySignal } from './abort.js';
import type { OpenBlobStream } from './blob-source.js';
import { uploadBlob, type UploadMode } from './blob-upload.js';
import { getBlob, hasBlob, mountBlob } from './blobs.js';
import { limiterForHost, type ConcurrencyLimiter } from './concurrency-limiter.js';
import { credentialsFromDockerConfig, type RegistryCredentials } from './docker-config.js';
import { registryOrigin } from './insecure-policy.js';
import { deleteManifest, getManifest, headManifest, putManifest, type FetchedManifest } from './manifests.js';
import { assertDigest, isDigest, registryApiHost } from './reference.js';
import { RegistryHttp } from './registry-http.js';
import { DEFAULT_RETRY_POLICY } from './retry-policy.js';
import { listTags, type ListTagsOptions } from './tags.js';
import { DEFAULT_TIMEOUT_MS } from './transport.js';

export type { FetchedManifest } from './manifests.js';
export type { OpenBlobStream } from './blob-source.js';

/** Default bytes per PATCH (when a registry asks for chunks, or a threshold is set): 16 MiB. */
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;

export interface RegistryClientOptions {
  /** Hosts allowed plain HTTP besides loopback ones (`--insecure-registry`). Default none. */
  insecureRegistries?: readonly string[];
  /** Ask for plain HTTP; a usage error unless the host is loopback or listed insecure. Default false. */
  plainHttp?: boolean;
  /** Credentials for this registry; default: read from the Docker config when the registry asks. */
  credentials?: RegistryCredentials;
  /** Folder of the Docker config.json. Default `$DOCKER_CONFIG`, else `~/.docker`. */
  dockerConfigDir?: string;
  /** Environment for `DOCKER_CONFIG`/`HOME`. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * Blob transfers and manifest operations in flight to this host, shared by every client of it in
   * this process; halved on 429/503 and grown back (AIMD). Default 8 (set by the first client of
   * the host; a client that passes a value changes the shared limit).
   */
  maxConcurrentRequests?: number;
  /**
   * Blobs larger than this are pushed in chunks. Default none: one request per blob, in chunks
   * only when the registry refuses a body that large (413).
   */
  chunkedUploadThreshold?: number;
  /** Bytes per chunk. Default 16 MiB. */
  chunkSize?: number;
  /** Attempts per request (and per upload without progress). Default 5. */
  maxAttempts?: number;
  /** First backoff; doubles per attempt, jittered. Default 250 ms. */
  retryBaseDelayMs?: number;
  /** Longest backoff. Default 10 s. */
  retryMaxDelayMs?: number;
  /** Longest wait a `Retry-After` header can ask for. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Socket idle timeout. Default 60 s. */
  timeoutMs?: number;
  /** Default `meshbuild`. */
  userAgent?: string;
  /** Receives one line per request and retry, scrubbed of secrets. Default: nothing is logged. */
  debug?: (line: string) => void;
  /**
   * Ctrl-C for this client: aborts its transfers (blobs, and manifests by digest) with every
   * request, retry wait and slot wait they make; they reject with an InterruptedError. Tag
   * operations (a manifest by tag, tag lists) are left to run: the tag phase must still be able
   * to put tags back after a signal, and watches the signal itself. A token fetch is aborted with
   * the operation that started it (one still waiting fetches anew). Default none.
   * {@link RegistryClient.withSignal} aborts every operation.
   */
  signal?: AbortSignal;
}

export interface PushBlobOptions {
  /**
   * `auto` (default): chunked above `chunkedUploadThreshold`, else one request, falling back to
   * chunks when the registry asks for them.
   */
  mode?: 'auto' | UploadMode;
  /** Skip the upload when the registry already has the blob (one HEAD first). Default true. */
  skipExisting?: boolean;
  /** Hears how many bytes of the blob have been sent, as they leave. Default none. */
  onProgress?: (sent: number) => void;
}

export class RegistryClient {
  /** The registry as named in references: `127.0.0.1:5555`, `docker.io`. */
  readonly registry: string;
  /** Without any signal: the auth state (credentials, tokens) lives here, shared by the others. */
  private readonly root: RegistryHttp;
  /** For transfers: the client signal and the operation signal. */
  private readonly http: RegistryHttp;
  /** For tag operations: the operation signal only. */
  private readonly tagHttp: RegistryHttp;
  private readonly chunkedThreshold: number;
  private readonly chunkSize: number;

  /**
   * Throws a usage error when `plainHttp` is asked for a host that may not use it.
   * @param derived internal: what {@link withSignal} hands the derived client.
   */
  constructor(
    registry: string,
    private readonly options: RegistryClientOptions = {},
    private readonly derived?: { root: RegistryHttp; signal: AbortSignal },
  ) {
    this.registry = registry;
    this.chunkedThreshold = options.chunkedUploadThreshold ?? Number.POSITIVE_INFINITY;
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.root = derived?.root ?? RegistryClient.createHttp(registry, options);
    this.http = this.root.withSignal(anySignal(options.signal, derived?.signal));
    this.tagHttp = this.root.withSignal(derived?.signal);
  }

  private static createHttp(registry: string, options: RegistryClientOptions): RegistryHttp {
    const apiHost = registryApiHost(registry);
    const schemePolicy = { insecureRegistries: options.insecureRegistries ?? [], plainHttp: options.plainHttp ?? false };
    const explicit = options.credentials;
    return new RegistryHttp({
      registry,
      origin: registryOrigin(apiHost, schemePolicy),
      schemePolicy,
      loadCredentials: async () => explicit ?? credentialsFromDockerConfig(registry, { configDir: options.dockerConfigDir, env: options.env ?? process.env }),
      limiter: limiterForHost(apiHost, options.maxConcurrentRequests),
      retry: {
        maxAttempts: options.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
        baseDelayMs: options.retryBaseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
        maxDelayMs: options.retryMaxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
        maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_RETRY_POLICY.maxRetryAfterMs,
      },
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      userAgent: options.userAgent ?? 'meshbuild',
      debug: options.debug,
    });
  }

  /**
   * This client with every operation also aborted by `signal` (one job, or one group of sibling
   * transfers); auth, tokens and the host's limit are shared with this one.
   */
  withSignal(signal: AbortSignal | undefined): RegistryClient {
    if (signal === undefined) return this;
    return new RegistryClient(this.registry, this.options, { root: this.root, signal: anySignal(this.derived?.signal, signal)! });
  }

  /** The HTTP layer for a manifest operation: by digest a transfer, by tag a tag operation. */
  private manifestHttp(reference: string): RegistryHttp {
    return isDigest(reference) ? this.http : this.tagHttp;
  }

  /** The host's shared limiter (current and configured limit). */
  get limiter(): ConcurrencyLimiter {
    return this.http.limiter;
  }

  /** Runs one operation holding one slot of the host's limit; the slot wait obeys `http`'s signal. */
  private limited<T>(work: () => Promise<T>, http: RegistryHttp = this.http): Promise<T> {
    return http.limiter.run(work, http.signal);
  }

  /** Whether `repo` holds the blob. */
  hasBlob(repo: string, digest: string): Promise<boolean> {
    assertDigest(digest);
    return this.limited(() => hasBlob(this.http, repo, digest));
  }

  /**
   * Pushes a blob streamed from `openStream` (called afresh per attempt), verifying its digest on
   * the way. Returns `existed` when the registry already had it (and `skipExisting` is on).
   */
  pushBlob(repo: string, descriptor: Descriptor, openStream: OpenBlobStream, options: PushBlobOptions = {}): Promise<'existed' | 'uploaded'> {
    assertDigest(descriptor.digest, 'blob digest');
    return this.limited(async () => {
      if ((options.skipExisting ?? true) && (await hasBlob(this.http, repo, descriptor.digest))) return 'existed';
      await uploadBlob(this.http, repo, descriptor, openStream, {
        mode: this.uploadMode(descriptor, options.mode),
        chunkSize: this.chunkSize,
        exists: () => hasBlob(this.http, repo, descriptor.digest),
        onProgress: options.onProgress,
      });
      return 'uploaded';
    });
  }

  private uploadMode(descriptor: Descriptor, asked: PushBlobOptions['mode']): UploadMode | 'auto' {
    if (asked !== undefined && asked !== 'auto') return asked;
    return descriptor.size > this.chunkedThreshold ? 'chunked' : 'auto';
  }

  /**
   * Mounts a blob from `fromRepo` of the same registry. If the registry declines (202), uploads it
   * from `openStream`, or without one copies it out of `fromRepo`.
   */
  mountBlob(repo: string, descriptor: Descriptor, fromRepo: string, openStream?: OpenBlobStream): Promise<'mounted' | 'uploaded'> {
    assertDigest(descriptor.digest, 'blob digest');
    return this.limited(() =>
      mountBlob(this.http, repo, descriptor, fromRepo, {
        openStream,
        exists: () => hasBlob(this.http, repo, descriptor.digest),
        chunkSize: this.chunkSize,
        mode: this.uploadMode(descriptor, 'auto'),
      }),
    );
  }

  /**
   * The blob as a stream (redirects followed, digest checked at the end unless `verify` is false
   * or it starts at `start`). Read it fully or destroy it. Takes no slot: a read is limited by the
   * transfer that consumes it (a copy holds the destination's slot), so a copy between two
   * repositories of one host needs one slot, not two.
   */
  getBlob(repo: string, digest: string, options: { start?: number; verify?: boolean } = {}): Promise<Readable> {
    assertDigest(digest);
    return getBlob(this.http, repo, digest, options);
  }

  /** A manifest or index by tag or digest; `accept` defaults to OCI and Docker v2 types. */
  getManifest(repo: string, reference: string, accept?: readonly string[]): Promise<FetchedManifest> {
    const http = this.manifestHttp(reference);
    return this.limited(() => getManifest(http, repo, reference, accept), http);
  }

  /** The manifest's descriptor, or undefined if the registry has none under `reference`. */
  headManifest(repo: string, reference: string, accept?: readonly string[]): Promise<Descriptor | undefined> {
    const http = this.manifestHttp(reference);
    return this.limited(() => headManifest(http, repo, reference, accept), http);
  }

  /** Stores a manifest or index under a tag or digest; returns its digest. */
  putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const http = this.manifestHttp(reference);
    return this.limited(() => putManifest(http, repo, reference, bytes, mediaType), http);
  }

  /** Every tag of `repo` (following `Link` pagination); none for an unknown repository. */
  listTags(repo: string, options?: ListTagsOptions): Promise<string[]> {
    return this.limited(() => listTags(this.tagHttp, repo, options), this.tagHttp);
  }

  /** Deletes a manifest by digest (or tag, where the registry allows it). */
  deleteManifest(repo: string, reference: string): Promise<void> {
    const http = this.manifestHttp(reference);
    return this.limited(() => deleteManifest(http, repo, reference), http);
  }
}
