/**
 * One HTTP exchange over node:http(s): request bodies stream from a Readable with backpressure
 * (memory stays flat whatever their size), dropped connections and idle sockets become errors,
 * and the response body is handed back as a stream. No retries, auth or policy here.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { abortError } from './abort.js';

/** Default idle time on a socket (waiting for headers or for body bytes) before the request fails. */
export const DEFAULT_TIMEOUT_MS = 60_000;

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

export interface HttpRequest {
  method: string;
  url: URL;
  /** Header names lower-case. `content-length` must be set for a streamed body. */
  headers: Record<string, string>;
  /** A Buffer, or a fresh Readable that is consumed (and destroyed on failure). */
  body?: Buffer | Readable;
  /** Socket idle timeout. Default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Aborting it destroys the request, or the response body once headers have arrived, with {@link abortError}. */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  /** Must be read to the end or destroyed (see {@link discardBody}). */
  body: IncomingMessage;
}

/** A timeout as a Node-style network error (`code: 'ETIMEDOUT'`), so retry logic treats it like one. */
export class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no data for ${Math.round(ms / 1000)}s`);
    this.name = 'TimeoutError';
  }
}

/**
 * Sends one request and resolves when the response headers arrive. Rejects with the body's own
 * error if the body stream fails (a digest mismatch, say), else with the socket error.
 */
export function sendHttp(request: HttpRequest): Promise<HttpResponse> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const isHttps = request.url.protocol === 'https:';
  const send = isHttps ? https.request : http.request;
  const signal = request.signal;
  if (signal?.aborted) {
    if (request.body !== undefined && !Buffer.isBuffer(request.body)) request.body.destroy();
    return Promise.reject(abortError(signal));
  }
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    let bodyError: unknown;
    let requestFinished = false;
    const body = request.body;
    const req = send(request.url, { method: request.method, headers: request.headers, agent: isHttps ? agents.https : agents.http });

    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      if (body !== undefined && !Buffer.isBuffer(body)) body.destroy();
      reject(bodyError ?? error);
    };

    let response: IncomingMessage | undefined;
    const onAbort = (): void => {
      const error = abortError(signal!);
      if (response !== undefined) response.destroy(error);
      else req.destroy(error);
    };
    if (signal !== undefined) {
      signal.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => {
        if (response === undefined) signal.removeEventListener('abort', onAbort);
      });
    }

    req.setTimeout(timeoutMs, () => req.destroy(new TimeoutError(timeoutMs)));
    req.on('error', fail);
    req.on('finish', () => {
      requestFinished = true;
    });
    req.on('response', (res) => {
      if (settled) {
        res.destroy();
        return;
      }
      settled = true;
      response = res;
      if (signal !== undefined) res.once('close', () => signal.removeEventListener('abort', onAbort));
      // Keep later socket errors (after an early answer) from becoming unhandled.
      req.on('error', () => {});
      if (!requestFinished && body !== undefined && !Buffer.isBuffer(body)) {
        // The server answered before taking the whole body (an error, usually): stop sending, and
        // do not reuse a socket whose request body was cut short.
        body.unpipe(req);
        body.destroy();
        res.once('end', () => req.destroy());
        res.once('close', () => req.destroy());
      }
      resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: res });
    });

    if (body === undefined) {
      req.end();
    } else if (Buffer.isBuffer(body)) {
      req.end(body);
    } else {
      body.once('error', (error) => {
        bodyError = error;
        req.destroy(error);
        fail(error);
      });
      body.pipe(req);
    }
  });
}

/** Reads a response body into a string, keeping at most `limit` bytes (default 64 KiB). */
export async function readBodyText(response: HttpResponse, limit = 64 * 1024): Promise<string> {
  const bytes = await readBodyBytes(response, limit, false);
  return bytes.toString('utf8');
}

/**
 * Reads a response body into a Buffer. With `strict` (default true) more than `limit` bytes is an
 * error; without it the rest is discarded.
 */
export async function readBodyBytes(response: HttpResponse, limit: number, strict = true): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    const buffer = chunk as Buffer;
    if (size + buffer.length > limit) {
      if (strict) {
        response.body.destroy();
        throw new Error(`response body larger than ${limit} bytes`);
      }
      chunks.push(buffer.subarray(0, limit - size));
      size = limit;
      continue;
    }
    chunks.push(buffer);
    size += buffer.length;
  }
  return Buffer.concat(chunks, size);
}

/** Drops a response body: small ones are drained so the socket can be reused, big ones closed. */
export function discardBody(response: HttpResponse): void {
  const length = Number(response.headers['content-length'] ?? 'NaN');
  if (Number.isFinite(length) && length <= 64 * 1024) {
    response.body.on('error', () => {});
    response.body.resume();
  } else {
    response.body.destroy();
  }
}
