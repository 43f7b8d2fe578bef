/**
 * Requests to one registry host with everything around the single exchange: the scheme policy,
 * authorization (and answering 401 challenges), redirects, retries with backoff on dropped
 * connections, timeouts, 429 and 5xx, and cancellation through one AbortSignal. The per-host
 * concurrency limit is not taken here (a nested request would wait on its own caller): callers
 * take it once per blob transfer or manifest operation; this layer only tells the limiter how
 * the registry copes (429/503 shrink it, successes grow it back).
 */
import type { Readable } from 'node:stream';
import { abortableSleep, abortError, anySignal, throwIfAborted } from './abort.js';
import { RegistryAuth, type AuthScope, type TokenHttpResponse, type TokenRequester } from './auth.js';
import type { ConcurrencyLimiter } from './concurrency-limiter.js';
import type { RegistryCredentials } from './docker-config.js';
import { assertLoopbackResolves, assertUrlAllowed, type SchemePolicyOptions } from './insecure-policy.js';
import { redactText } from './redact.js';
import { header, networkError, RegistryError, responseError, type RequestContext } from './registry-error.js';
import { isRetryableStatus, retryDelay, type RetryPolicy } from './retry-policy.js';
import { discardBody, readBodyText, sendHttp, type HttpResponse } from './transport.js';

/** A request body: bytes in memory, or a stream opened afresh for every attempt. */
export type RequestBody = { bytes: Buffer } | { length: number; open: () => Readable | Promise<Readable> };

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path under the registry origin (`/v2/...`) or an absolute URL (a `Location` header). */
  target: string;
  headers?: Record<string, string>;
  body?: RequestBody;
  scopes: readonly AuthScope[];
  context: Omit<RequestContext, 'registry'>;
  /** Statuses handed back to the caller; any other status becomes a RegistryError. */
  expect: readonly number[];
  /** Retry dropped connections and retryable statuses here. Default true. */
  retry?: boolean;
  /** Follow 301/302/303/307/308 (blob downloads). Default false. */
  followRedirects?: boolean;
}

export interface RegistryHttpOptions {
  /** The registry as the user names it (`docker.io`, `127.0.0.1:5555`). */
  registry: string;
  /** `http://127.0.0.1:5555`, `https://registry-1.docker.io`. */
  origin: string;
  schemePolicy: SchemePolicyOptions;
  loadCredentials: () => Promise<RegistryCredentials | undefined>;
  /** The host's limiter: not acquired here, only told about throttling (429/503) and successes. */
  limiter: ConcurrencyLimiter;
  retry: RetryPolicy;
  timeoutMs: number;
  userAgent: string;
  debug?: ((line: string) => void) | undefined;
  /** Aborts every request, backoff wait and token fetch; they reject with an InterruptedError. */
  signal?: AbortSignal | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** A 401 is answered at most this often per request (a fresh token, then give up). */
const MAX_AUTH_ROUNDS = 2;

export class RegistryHttp {
  readonly registry: string;
  readonly auth: RegistryAuth;
  readonly retryPolicy: RetryPolicy;
  private readonly origin: URL;

  /** @param auth shared with the instance this one was derived from ({@link withSignal}). */
  constructor(
    private readonly options: RegistryHttpOptions,
    auth?: RegistryAuth,
  ) {
    this.registry = options.registry;
    this.origin = new URL(options.origin);
    this.retryPolicy = options.retry;
    this.auth =
      auth ??
      new RegistryAuth({
        registry: options.registry,
        loadCredentials: options.loadCredentials,
        requestToken: (request) => this.requestToken(request),
        schemePolicy: options.schemePolicy,
      });
  }

  /** The signal every request of this instance obeys, if any. */
  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  get limiter(): ConcurrencyLimiter {
    return this.options.limiter;
  }

  /**
   * The same host, auth and tokens, with requests (and the token fetches they start) also
   * aborted by `signal`.
   */
  withSignal(signal: AbortSignal | undefined): RegistryHttp {
    if (signal === undefined || signal === this.options.signal) return this;
    return new RegistryHttp({ ...this.options, signal: anySignal(this.options.signal, signal) }, this.auth);
  }

  /** Logs one line through the `debug` option, scrubbed of secrets. */
  log(line: string): void {
    this.options.debug?.(redactText(line));
  }

  /** Waits before attempt `attempt + 1`, honouring a capped `Retry-After`; `signal` (default this instance's) ends the wait. */
  async backoff(attempt: number, retryAfterMs: number | undefined, why: string, signal: AbortSignal | undefined = this.options.signal): Promise<void> {
    const ms = retryDelay(attempt, this.retryPolicy, retryAfterMs);
    this.log(`retry: ${why}; waiting ${ms} ms before attempt ${attempt + 1}`);
    await abortableSleep(ms, signal);
  }

  /** Resolves a path or an absolute URL against the registry origin. */
  resolve(target: string): URL {
    return new URL(target, this.origin);
  }

  /**
   * Sends a request and returns the response when its status is one of `expect`; the caller must
   * read or discard its body. Rejects with an InterruptedError once the signal aborts.
   */
  async request(request: RegistryRequest): Promise<HttpResponse> {
    const signal = this.options.signal;
    const limiter = this.options.limiter;
    const context: RequestContext = { registry: this.registry, ...request.context };
    const retry = request.retry ?? true;
    let url = this.resolve(request.target);
    let method = request.method;
    let attempt = 0;
    let authRounds = 0;
    let redirects = 0;
    for (;;) {
      attempt += 1;
      throwIfAborted(signal);
      assertUrlAllowed(url, this.options.schemePolicy);
      if (url.protocol === 'http:') await assertLoopbackResolves(url.host, this.options.schemePolicy);
      const ownHost = url.host === this.origin.host;
      const authorization = ownHost ? await this.auth.authorization(request.scopes, signal) : undefined;
      const epoch = limiter.epoch;
      let response: HttpResponse;
      try {
        const body = await openBody(request.body);
        response = await this.send(method, url, request, authorization, body);
      } catch (error) {
        if (signal?.aborted) throw abortError(signal);
        const failure = networkError(error, context, ownHost ? this.registry : url.host);
        this.log(`${method} ${url.pathname} failed: ${failure.code ?? ''} ${failure.message} (attempt ${attempt})`);
        if (retry && failure.retryable && attempt < this.retryPolicy.maxAttempts) {
          await this.backoff(attempt, undefined, failure.code ?? 'network error');
          continue;
        }
        throw withAttempts(failure, attempt);
      }
      const { status } = response;
      this.log(`${method} ${url.pathname}${url.search} -> ${status} (attempt ${attempt})`);
      if (status === 429 || status === 503) limiter.throttled(epoch);
      if (status === 401 && ownHost && authRounds < MAX_AUTH_ROUNDS) {
        discardBody(response);
        authRounds += 1;
        if (await this.auth.handleChallenge(header(response.headers, 'www-authenticate'), request.scopes, authorization, signal)) {
          attempt -= 1;
          continue;
        }
        throw responseError(context, {
          status,
          statusText: response.statusText,
          headers: response.headers,
          body: '',
          attempts: 1,
          sentCredentials: authorization !== undefined,
        });
      }
      if (request.followRedirects && REDIRECTS.has(status) && header(response.headers, 'location') !== undefined && redirects < MAX_REDIRECTS) {
        discardBody(response);
        redirects += 1;
        url = new URL(header(response.headers, 'location') ?? '', url);
        if (status === 303) method = 'GET';
        attempt -= 1;
        continue;
      }
      if (request.expect.includes(status)) {
        limiter.succeeded();
        return response;
      }
      const body = await readBodyText(response).catch(() => '');
      throwIfAborted(signal);
      const failure = responseError(context, {
        status,
        statusText: response.statusText,
        headers: response.headers,
        body,
        attempts: attempt,
        sentCredentials: authorization !== undefined,
      });
      if (retry && failure.retryable && attempt < this.retryPolicy.maxAttempts) {
        await this.backoff(attempt, failure.retryAfterMs, `${status} ${response.statusText}`);
        continue;
      }
      throw failure;
    }
  }

  private send(
    method: string,
    url: URL,
    request: RegistryRequest,
    authorization: string | undefined,
    body: Buffer | Readable | undefined,
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent };
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
    if (authorization !== undefined) headers.authorization = authorization;
    if (request.body !== undefined) {
      headers['content-length'] = String('bytes' in request.body ? request.body.bytes.length : request.body.length);
    } else if (method === 'PUT' || method === 'POST' || method === 'PATCH') {
      headers['content-length'] = '0';
    }
    return sendHttp({ method, url, headers, body, timeoutMs: this.options.timeoutMs, signal: this.options.signal });
  }

  /**
   * Token realm requests: retried like registry requests, aborted by the signal of the operation
   * that asked. They take no slot (the request waiting for the token holds one) but count against
   * the limit: 429/503 shrink it, successes grow it.
   */
  private async requestToken(request: Parameters<TokenRequester>[0]): Promise<TokenHttpResponse> {
    const context: RequestContext = { registry: this.registry, what: `get a token from ${request.url.host}` };
    const signal = request.signal;
    const limiter = this.options.limiter;
    for (let attempt = 1; ; attempt += 1) {
      throwIfAborted(signal);
      if (request.url.protocol === 'http:') await assertLoopbackResolves(request.url.host, this.options.schemePolicy);
      const headers: Record<string, string> = { 'user-agent': this.options.userAgent, ...request.headers };
      const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
      if (body !== undefined) headers['content-length'] = String(body.length);
      const epoch = limiter.epoch;
      try {
        const response = await sendHttp({ method: request.method, url: request.url, headers, body, timeoutMs: this.options.timeoutMs, signal });
        const text = await readBodyText(response, 1024 * 1024);
        this.log(`${request.method} ${request.url.origin}${request.url.pathname} -> ${response.status} (token, attempt ${attempt})`);
        if (response.status === 429 || response.status === 503) limiter.throttled(epoch);
        else if (response.status === 200) limiter.succeeded();
        if (isRetryableStatus(response.status) && attempt < this.retryPolicy.maxAttempts) {
          await this.backoff(attempt, undefined, `token service ${response.status}`, signal);
          continue;
        }
        return { status: response.status, statusText: response.statusText, headers: response.headers, body: text };
      } catch (error) {
        if (signal?.aborted) throw abortError(signal);
        const failure = networkError(error, context, request.url.host);
        if (failure.retryable && attempt < this.retryPolicy.maxAttempts) {
          await this.backoff(attempt, undefined, failure.code ?? 'network error', signal);
          continue;
        }
        throw withAttempts(failure, attempt);
      }
    }
  }
}

async function openBody(body: RequestBody | undefined): Promise<Buffer | Readable | undefined> {
  if (body === undefined) return undefined;
  return 'bytes' in body ? body.bytes : body.open();
}

/** The same error, its message saying how many attempts were made when there was more than one. */
export function withAttempts(error: RegistryError, attempts: number): RegistryError {
  if (attempts <= 1) return error;
  return new RegistryError(`${error.message} (gave up after ${attempts} attempts)`, {
    hint: error.hint,
    detail: error.detail,
    exitCode: error.exitCode,
    status: error.status,
    code: error.code,
    retryable: error.retryable,
    cause: error.cause,
  });
}
