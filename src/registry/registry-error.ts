/**
 * The errors a registry operation ends in: one clear sentence that names the registry, the
 * repository and what was being done, a hint, and never a credential (every text is scrubbed).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { EXIT_USAGE, MeshbuildError, type MeshbuildErrorOptions } from '../errors.js';
import { isLoopbackHost } from './insecure-policy.js';
import { DOCKER_HUB, DOCKER_HUB_API_HOST } from './reference.js';
import { redactText } from './redact.js';
import { isRetryableNetworkCode, isRetryableStatus, parseRetryAfter } from './retry-policy.js';

export interface RegistryErrorOptions extends MeshbuildErrorOptions {
  /** HTTP status, when the registry answered. */
  status?: number;
  /** A Node network error code (`ECONNRESET`) or the registry's error code (`MANIFEST_UNKNOWN`). */
  code?: string;
  /** Whether another attempt could succeed. Default false. */
  retryable?: boolean;
  /** What the registry's `Retry-After` asked for, in ms. */
  retryAfterMs?: number;
}

/** A failed registry operation; exit code 1 unless given. Message, hint and detail are scrubbed of secrets. */
export class RegistryError extends MeshbuildError {
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: RegistryErrorOptions = {}) {
    const { status, code, retryable, retryAfterMs, ...rest } = options;
    super(redactText(message), {
      ...rest,
      hint: rest.hint === undefined ? undefined : redactText(rest.hint),
      detail: rest.detail === undefined ? undefined : redactText(rest.detail),
    });
    this.name = 'RegistryError';
    this.status = status;
    this.code = code;
    this.retryable = retryable ?? false;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * HTTPS spoken to a registry that serves plain HTTP: the TLS handshake read an HTTP answer
 * ("wrong version number", "packet length too long"). A setup mistake the user fixes with
 * `--insecure-registry <host>`: exit code 2, never retried.
 */
export class PlainHttpRegistryError extends RegistryError {
  readonly host: string;

  constructor(host: string, what: string, reason: string, cause: unknown) {
    super(`registry ${host} seems to serve plain HTTP, not HTTPS: the TLS handshake failed (${reason}) while trying to ${what}`, {
      hint: `if ${host} really serves plain HTTP, pass --insecure-registry ${host} (loopback registries use plain HTTP without it)`,
      exitCode: EXIT_USAGE,
      code: 'PLAIN_HTTP',
      cause,
    });
    this.name = 'PlainHttpRegistryError';
    this.host = host;
  }
}

/** OpenSSL's words when the other end answered a ClientHello in plain text. */
const PLAIN_HTTP_REASONS = /wrong version number|packet length too long|http request|unknown protocol/i;

/** What a request was doing, for messages. */
export interface RequestContext {
  /** The registry as the user wrote it (`127.0.0.1:5555`, `docker.io`). */
  registry: string;
  repository?: string;
  /** `push blob sha256:1234abcd... to mesh/pilot` */
  what: string;
}

/** The `docker login` argument for a registry: nothing for Docker Hub. */
export function loginCommand(registry: string): string {
  return registry === DOCKER_HUB || registry === DOCKER_HUB_API_HOST ? 'docker login' : `docker login ${registry}`;
}

function networkCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Turns a socket-level failure into a RegistryError; retryable for resets, timeouts and refusals. */
export function networkError(error: unknown, context: RequestContext, host: string = context.registry): RegistryError {
  if (error instanceof MeshbuildError)
    return error instanceof RegistryError ? error : new RegistryError(error.message, { hint: error.hint, exitCode: error.exitCode, cause: error });
  const code = networkCode(error) ?? 'UNKNOWN';
  const reason = error instanceof Error ? error.message : String(error);
  const where = `registry ${context.registry}`;
  const local = isLoopbackHost(context.registry);
  const startHint = local
    ? `start it (the test registry: eval "$(scripts/env-up | tail -n 1)") or fix the registry address`
    : `check the registry address and your network`;
  let message: string;
  let hint: string | undefined;
  if (code === 'ECONNREFUSED') {
    message = `cannot reach ${where}: connection refused, so no registry is running at that address (${context.what})`;
    hint = startHint;
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    message = `cannot reach ${where}: its host name does not resolve (${context.what})`;
    hint = 'check the registry host name';
  } else if (code === 'ETIMEDOUT') {
    message = `${where} did not answer in time (${context.what}); it may be overloaded or unreachable`;
    hint = startHint;
  } else if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') {
    message = `the connection to ${where} dropped (${context.what}): ${reason}`;
  } else if ((/SSL|TLS|EPROTO/i.test(code) || /ssl/i.test(reason)) && PLAIN_HTTP_REASONS.test(`${code} ${reason}`)) {
    const words = PLAIN_HTTP_REASONS.exec(`${code} ${reason}`)?.[0]?.toLowerCase() ?? code;
    return new PlainHttpRegistryError(host, context.what, words, error);
  } else if (/SSL|TLS|EPROTO/i.test(code) || /ssl/i.test(reason)) {
    message = `TLS handshake with ${where} failed (${context.what}): ${reason}`;
    hint = `if ${context.registry} serves plain HTTP, pass --insecure-registry ${context.registry}`;
  } else if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) {
    message = `the TLS certificate of ${where} is not trusted (${code}) (${context.what})`;
    hint = 'add its CA to NODE_EXTRA_CA_CERTS';
  } else {
    message = `request to ${where} failed (${context.what}): ${reason}`;
  }
  return new RegistryError(message, { code, hint, retryable: isRetryableNetworkCode(code), cause: error });
}

interface RegistryErrorBody {
  errors?: Array<{ code?: unknown; message?: unknown; detail?: unknown }>;
}

/** The `errors[]` of a registry's JSON error body as `CODE: message` lines; empty when absent. */
export function describeErrorBody(body: string): { codes: string[]; lines: string[] } {
  const codes: string[] = [];
  const lines: string[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const errors = typeof parsed === 'object' && parsed !== null ? (parsed as RegistryErrorBody).errors : undefined;
  if (Array.isArray(errors)) {
    for (const entry of errors) {
      if (typeof entry !== 'object' || entry === null) continue;
      const code = typeof entry.code === 'string' ? entry.code : 'UNKNOWN';
      codes.push(code);
      const message = typeof entry.message === 'string' ? entry.message : '';
      const detail = entry.detail === undefined ? '' : ` ${JSON.stringify(entry.detail)}`.slice(0, 500);
      lines.push(`${code}: ${message}${detail}`);
    }
  }
  if (lines.length === 0) {
    // Not the distribution error format (a proxy's HTML page, `{"errors": null}`): show the text.
    const text = body.trim();
    if (text !== '') lines.push(text.slice(0, 500));
  }
  return { codes, lines };
}

export interface ResponseErrorInput {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Attempts made so far (mentioned when more than one). */
  attempts: number;
  /** Whether credentials were sent with the request that got 401. */
  sentCredentials?: boolean;
}

const CODE_HINTS: Record<string, string> = {
  MANIFEST_UNKNOWN: 'check the tag or digest, and that the image was pushed to this registry',
  NAME_UNKNOWN: 'check the repository name (--hub and the image name)',
  MANIFEST_BLOB_UNKNOWN: "push the manifest's config and layers (or its platform manifests) before the manifest",
  BLOB_UPLOAD_UNKNOWN: 'retry the push: the registry forgot the upload session',
  DIGEST_INVALID: 'the bytes sent do not match their digest',
  DENIED: 'check that your account may push to this repository',
};

const NOT_FOUND_WORDS: Record<string, string> = {
  MANIFEST_UNKNOWN: 'manifest not found',
  BLOB_UNKNOWN: 'blob not found',
  NAME_UNKNOWN: 'repository not found',
  BLOB_UPLOAD_UNKNOWN: 'blob upload session not found (it may have expired)',
};

/** Turns an unexpected HTTP answer into a RegistryError. */
export function responseError(context: RequestContext, input: ResponseErrorInput): RegistryError {
  const { status, statusText, attempts } = input;
  const { codes, lines } = describeErrorBody(input.body);
  const detail = lines.length > 0 ? lines.join('\n') : undefined;
  const retryAfter = header(input.headers, 'retry-after');
  const hinted = codes.find((c) => c in CODE_HINTS);
  const common = {
    status,
    code: codes[0],
    hint: hinted === undefined ? undefined : CODE_HINTS[hinted],
    detail,
    // A registry on the filesystem driver rewrites a blob's link file in place whenever that blob is
    // uploaded again (another CI runner pushing the same layer at the same moment); a manifest checked
    // meanwhile is refused as naming an unknown blob, and is accepted a moment later.
    retryable: isRetryableStatus(status) || codes.includes('MANIFEST_BLOB_UNKNOWN'),
    retryAfterMs: parseRetryAfter(retryAfter),
  };
  const repo = context.repository === undefined ? '' : ` repository ${context.repository}`;
  const login = loginCommand(context.registry);
  if (status === 401) {
    const message = input.sentCredentials
      ? `registry ${context.registry} rejected the credentials for${repo || ' it'} (401 Unauthorized) while trying to ${context.what}`
      : `registry ${context.registry} requires authentication for${repo || ' it'} (401 Unauthorized) while trying to ${context.what}`;
    return new RegistryError(message, { ...common, retryable: false, hint: `run \`${login}\` with an account that can access${repo || ' it'}` });
  }
  if (status === 403) {
    return new RegistryError(`registry ${context.registry} denied access to${repo || ' the repository'} (403 Forbidden) while trying to ${context.what}`, {
      ...common,
      retryable: false,
      hint: `run \`${login}\` with an account allowed to ${context.what.split(' ')[0] ?? 'use'}${repo}`,
    });
  }
  const code = codes.find((c) => c in NOT_FOUND_WORDS);
  if (status === 404 || code !== undefined) {
    const words = code === undefined ? 'not found' : NOT_FOUND_WORDS[code];
    return new RegistryError(`${words} on registry ${context.registry} (${context.what})`, { ...common, retryable: false });
  }
  const after = attempts > 1 ? ` after ${attempts} attempts` : '';
  const statusLine = `${status}${statusText ? ` ${statusText}` : ''}`;
  if (isRetryableStatus(status)) {
    return new RegistryError(`registry ${context.registry} answered ${statusLine} to ${context.what}${after}`, {
      ...common,
      hint: status === 429 ? 'the registry is rate-limiting: retry later or lower --jobs' : 'the registry failed on its side: retry later or check its logs',
    });
  }
  const why = lines[0] === undefined ? '' : `: ${lines[0]}`;
  return new RegistryError(`registry ${context.registry} rejected ${context.what} with ${statusLine}${why}`, common);
}

/** One header's value as a string (the first, when repeated). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
