/**
 * `RegistryClient`: the OCI distribution API of one registry host, for blobs, manifests and tags.
 * Plain HTTP only where the insecure policy allows it, credentials from the options or the Docker
 * config, retries with backoff, and a concurrency limit shared by every client of the host.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/types.js';
import type { OpenBlobStream } from './blob-source.js';
import { uploadBlob, type UploadMode } from './blob-upload.js';
import { getBlob, hasBlob, mountBlob } from './blobs.js';
import { limiterForHost } from './concurrency-limiter.js';
import { credentialsFromDockerConfig, type RegistryCredentials } from './docker-config.js';
import { registryOrigin } from './insecure-policy.js';
import { deleteManifest, getManifest, headManifest, putManifest, type FetchedManifest } from './manifests.js';
import { assertDigest, registryApiHost } from './reference.js';
import { RegistryHttp } from './registry-http.js';
import { DEFAULT_RETRY_POLICY } from './retry-policy.js';
import { listTags, type ListTagsOptions } from './tags.js';
import { DEFAULT_TIMEOUT_MS } from './transport.js';

export type { FetchedManifest } from './manifests.js';
export type { OpenBlobStream } from './blob-source.js';

/** Blobs larger than this are pushed in chunks by default: 64 MiB. */
export const DEFAULT_CHUNKED_THRESHOLD = 64 * 1024 * 1024;
/** Default bytes per PATCH: 16 MiB. */
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
   * Requests in flight to this host, shared by every client of it in this process. Default 8 (set
   * by the first client of the host; a client that passes a value changes the shared limit).
   */
  maxConcurrentRequests?: number;
  /** Blobs larger than this are pushed in chunks. Default 64 MiB. */
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
}

export interface PushBlobOptions {
  /** `auto` (default) picks chunked above `chunkedUploadThreshold`. */
  mode?: 'auto' | UploadMode;
  /** Skip the upload when the registry already has the blob (one HEAD first). Default true. */
  skipExisting?: boolean;
}

export class RegistryClient {
  /** The registry as named in references: `127.0.0.1:5555`, `docker.io`. */
  readonly registry: string;
  private readonly http: RegistryHttp;
  private readonly chunkedThreshold: number;
  private readonly chunkSize: number;

  /** Throws a usage error when `plainHttp` is asked for a host that may not use it. */
  constructor(registry: string, options: RegistryClientOptions = {}) {
    this.registry = registry;
    const apiHost = registryApiHost(registry);
    const schemePolicy = { insecureRegistries: options.insecureRegistries ?? [], plainHttp: options.plainHttp ?? false };
    this.chunkedThreshold = options.chunkedUploadThreshold ?? DEFAULT_CHUNKED_THRESHOLD;
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const explicit = options.credentials;
    this.http = new RegistryHttp({
      registry,
      origin: registryOrigin(apiHost, schemePolicy),
      schemePolicy,
      loadCredentials: async () =>
        explicit ?? credentialsFromDockerConfig(registry, { configDir: options.dockerConfigDir, env: options.env ?? process.env }),
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

  /** Whether `repo` holds the blob. */
  hasBlob(repo: string, digest: string): Promise<boolean> {
    assertDigest(digest);
    return hasBlob(this.http, repo, digest);
  }

  /**
   * Pushes a blob streamed from `openStream` (called afresh per attempt), verifying its digest on
   * the way. Returns `existed` when the registry already had it (and `skipExisting` is on).
   */
  async pushBlob(repo: string, descriptor: Descriptor, openStream: OpenBlobStream, options: PushBlobOptions = {}): Promise<'existed' | 'uploaded'> {
    assertDigest(descriptor.digest, 'blob digest');
    if ((options.skipExisting ?? true) && (await this.hasBlob(repo, descriptor.digest))) return 'existed';
    const mode = options.mode === undefined || options.mode === 'auto' ? (descriptor.size > this.chunkedThreshold ? 'chunked' : 'monolithic') : options.mode;
    await uploadBlob(this.http, repo, descriptor, openStream, {
      mode,
      chunkSize: this.chunkSize,
      exists: () => hasBlob(this.http, repo, descriptor.digest),
    });
    return 'uploaded';
  }

  /**
   * Mounts a blob from `fromRepo` of the same registry. If the registry declines (202), uploads it
   * from `openStream`, or without one copies it out of `fromRepo`.
   */
  mountBlob(repo: string, descriptor: Descriptor, fromRepo: string, openStream?: OpenBlobStream): Promise<'mounted' | 'uploaded'> {
    assertDigest(descriptor.digest, 'blob digest');
    return mountBlob(this.http, repo, descriptor, fromRepo, {
      openStream,
      exists: () => hasBlob(this.http, repo, descriptor.digest),
      chunkSize: this.chunkSize,
      chunked: descriptor.size > this.chunkedThreshold,
    });
  }

  /** The blob as a stream (redirects followed, digest checked at the end). Read it fully or destroy it. */
  getBlob(repo: string, digest: string): Promise<Readable> {
    assertDigest(digest);
    return getBlob(this.http, repo, digest);
  }

  /** A manifest or index by tag or digest; `accept` defaults to OCI and Docker v2 types. */
  getManifest(repo: string, reference: string, accept?: readonly string[]): Promise<FetchedManifest> {
    return getManifest(this.http, repo, reference, accept);
  }

  /** The manifest's descriptor, or undefined if the registry has none under `reference`. */
  headManifest(repo: string, reference: string, accept?: readonly string[]): Promise<Descriptor | undefined> {
    return headManifest(this.http, repo, reference, accept);
  }

  /** Stores a manifest or index under a tag or digest; returns its digest. */
  putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    return putManifest(this.http, repo, reference, bytes, mediaType);
  }

  /** Every tag of `repo` (following `Link` pagination); none for an unknown repository. */
  listTags(repo: string, options?: ListTagsOptions): Promise<string[]> {
    return listTags(this.http, repo, options);
  }

  /** Deletes a manifest by digest (or tag, where the registry allows it). */
  deleteManifest(repo: string, reference: string): Promise<void> {
    return deleteManifest(this.http, repo, reference);
  }
}
