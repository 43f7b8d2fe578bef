/**
 * Blob upload sessions of the distribution API: start one (optionally as a cross-repository
 * mount), ask where one stands (`Range`), finish and cancel one.
 */
import type { AuthScope } from './auth.js';
import type { RegistryHttp } from './registry-http.js';
import { RegistryError, header } from './registry-error.js';
import { discardBody, type HttpResponse } from './transport.js';

export interface UploadSession {
  /** Where the next PATCH/PUT goes (absolute, or a path under the registry). */
  location: string;
  /** Bytes the registry holds for this session. */
  offset: number;
  /** `OCI-Chunk-Min-Length`, when the registry asks for a minimum chunk. */
  minChunkLength: number | undefined;
}

/**
 * Upload sessions a registry may lose per blob before the push gives up, whatever progress each
 * made: a registry that forgets every session (load-balanced without shared state, say) must end
 * in an error, not restart forever.
 */
export const MAX_SESSION_RESTARTS = 5;

/** A blob push given up because the registry kept losing its upload session. */
export class UploadSessionLostError extends RegistryError {
  readonly digest: string;
  readonly registry: string;

  constructor(registry: string, repo: string, digest: string, restarts: number) {
    super(`registry ${registry} lost the upload session of blob ${digest} in ${repo} ${restarts} times; gave up pushing it`, {
      code: 'BLOB_UPLOAD_UNKNOWN',
      hint: 'the registry forgets upload sessions (several replicas without shared upload state, a restart, or sessions that expire too soon): check its logs and setup',
    });
    this.name = 'UploadSessionLostError';
    this.digest = digest;
    this.registry = registry;
  }
}

/** `push blob sha256:0123456789ab to mesh/pilot` */
export function describeBlob(action: string, digest: string, repo: string): string {
  return `${action} blob ${digest.slice(0, 19)} to ${repo}`;
}

export function pushScopes(repo: string, fromRepo?: string): AuthScope[] {
  const scopes: AuthScope[] = [{ repository: repo, actions: ['pull', 'push'] }];
  if (fromRepo !== undefined && fromRepo !== repo) scopes.push({ repository: fromRepo, actions: ['pull'] });
  return scopes;
}

function sessionFrom(http: RegistryHttp, response: HttpResponse, what: string): UploadSession {
  const location = header(response.headers, 'location');
  discardBody(response);
  if (location === undefined || location === '') {
    throw new RegistryError(`registry ${http.registry} started an upload without a Location header (${what})`);
  }
  const minChunk = Number(header(response.headers, 'oci-chunk-min-length') ?? 'NaN');
  return {
    location,
    offset: parseRangeEnd(header(response.headers, 'range')),
    minChunkLength: Number.isFinite(minChunk) && minChunk > 0 ? minChunk : undefined,
  };
}

/**
 * `Range: 0-<last>` to the number of bytes held. The distribution registry says `0-0` for an empty
 * upload as well as for one byte; 0 is assumed, and a wrong guess ends in a 416 and a restart.
 */
export function parseRangeEnd(range: string | undefined): number {
  if (range === undefined) return 0;
  const match = /^(?:bytes=)?(\d+)-(\d+)$/.exec(range.trim());
  if (!match) return 0;
  const end = Number(match[2]);
  return end === 0 ? 0 : end + 1;
}

/** POST a new upload session (retried). */
export async function startUpload(http: RegistryHttp, repo: string, digest: string): Promise<UploadSession> {
  const what = describeBlob('push', digest, repo);
  const response = await http.request({
    method: 'POST',
    target: `/v2/${repo}/blobs/uploads/`,
    scopes: pushScopes(repo),
    context: { repository: repo, what },
    expect: [202],
  });
  return sessionFrom(http, response, what);
}

/** POST a cross-repository mount: `mounted`, or the upload session the registry opened instead (202). */
export async function startMount(http: RegistryHttp, repo: string, digest: string, fromRepo: string): Promise<'mounted' | UploadSession> {
  const what = `mount blob ${digest.slice(0, 19)} from ${fromRepo} into ${repo}`;
  const query = new URLSearchParams({ mount: digest, from: fromRepo });
  const response = await http.request({
    method: 'POST',
    target: `/v2/${repo}/blobs/uploads/?${query.toString()}`,
    scopes: pushScopes(repo, fromRepo),
    context: { repository: repo, what },
    expect: [201, 202],
  });
  if (response.status === 201) {
    discardBody(response);
    return 'mounted';
  }
  return sessionFrom(http, response, what);
}

/** Where a session stands, or undefined when the registry no longer knows it (start over). */
export async function uploadStatus(http: RegistryHttp, repo: string, session: UploadSession): Promise<UploadSession | undefined> {
  try {
    const response = await http.request({
      method: 'GET',
      target: session.location,
      scopes: pushScopes(repo),
      context: { repository: repo, what: `check an upload to ${repo}` },
      expect: [204],
    });
    const next = sessionFrom(http, response, 'upload status');
    return { ...next, minChunkLength: next.minChunkLength ?? session.minChunkLength };
  } catch (error) {
    if (
      error instanceof RegistryError &&
      error.status !== undefined &&
      error.status >= 400 &&
      error.status < 500 &&
      error.status !== 401 &&
      error.status !== 403 &&
      error.status !== 429
    ) {
      return undefined;
    }
    throw error;
  }
}

/** Cancels a session the client gives up on; failures are ignored (the registry expires it anyway). */
export async function cancelUpload(http: RegistryHttp, repo: string, session: UploadSession): Promise<void> {
  try {
    const response = await http.request({
      method: 'DELETE',
      target: session.location,
      scopes: pushScopes(repo),
      context: { repository: repo, what: `cancel an upload to ${repo}` },
      expect: [200, 202, 204, 404],
      retry: false,
    });
    discardBody(response);
  } catch {
    // Best effort only.
  }
}

/** The session URL with `digest=` added, for the closing PUT. */
export function withDigestQuery(http: RegistryHttp, location: string, digest: string): string {
  const url = http.resolve(location);
  url.searchParams.set('digest', digest);
  return url.toString();
}

/** Checks the registry's `Docker-Content-Digest` (when it sent one) against what was pushed. */
export function checkReportedDigest(http: RegistryHttp, response: HttpResponse, expected: string, what: string): void {
  const reported = header(response.headers, 'docker-content-digest');
  if (reported !== undefined && reported !== expected) {
    throw new RegistryError(`registry ${http.registry} stored ${reported} but ${expected} was sent (${what})`);
  }
}
