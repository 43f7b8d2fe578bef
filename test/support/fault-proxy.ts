/**
 * A fault-injecting HTTP proxy for integration tests: it sits on 127.0.0.1:0 in front of the real
 * (loopback) registry, forwards requests streaming both ways, rewrites `Location` headers that
 * point at the upstream so they point at the proxy, and can be scripted per test to answer
 * 5xx/429, drop a connection part-way through a request body, add latency, or decline
 * cross-repository mounts. It counts every request it sees and the body bytes it forwards.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RequestMatch {
  /** HTTP method; any when absent. */
  method?: string;
  /** Tested against the path and query (`/v2/x/blobs/uploads/...?...`); any when absent. */
  path?: RegExp;
  /** How many matching requests the rule applies to. Default 1. */
  count?: number;
  /** Let this many matching requests pass untouched first. Default 0. */
  skip?: number;
  /** Only requests that announce a body of at least this many bytes (`Content-Length`). */
  minLength?: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  outcome: 'forwarded' | 'injected' | 'dropped';
  status?: number;
  /** Request body bytes forwarded to the registry. */
  bodyBytes: number;
}

type Action =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'drop'; afterBytes: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'decline-mount' }
  | { kind: 'redirect' };

interface Rule {
  method: string | undefined;
  path: RegExp | undefined;
  minLength: number;
  skip: number;
  left: number;
  action: Action;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`, to use as the registry address. */
  readonly address: string;
  /** Answer `status` (with `Retry-After` when given) instead of forwarding, for the next matches. */
  failNext(match: RequestMatch & { status: number; retryAfter?: string }): void;
  /** Forward, then cut both connections after `afterBytes` bytes of the request body. */
  dropUpload(match: RequestMatch & { afterBytes: number }): void;
  /** Wait `ms` before forwarding matching requests (every one unless `count` is given). */
  delay(match: RequestMatch & { ms: number }): void;
  /** Strip `mount`/`from` from matching upload POSTs, so the registry opens a plain upload (202). */
  declineMount(match?: RequestMatch): void;
  /**
   * Answer 307 pointing at the same path under `localhost:PORT` (this proxy under another host
   * name), as registries do when blobs live in object storage.
   */
  redirect(match: RequestMatch): void;
  /** Every request seen so far. */
  readonly requests: readonly RecordedRequest[];
  /** Requests seen matching method and path. */
  count(method?: string, path?: RegExp): number;
  /** Request body bytes forwarded to the registry by requests matching method and path. */
  bodyBytes(method?: string, path?: RegExp): number;
  /** Forget the rules and the recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);
const LOOPBACK_UPSTREAM = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]):\d{1,5}$/;

function forwardableHeaders(headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

/** Starts a proxy in front of `upstream` (`127.0.0.1:PORT`; loopback only, by design). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  if (!LOOPBACK_UPSTREAM.test(upstream)) throw new Error(`fault proxy: upstream must be a loopback host:port, got "${upstream}"`);
  const [upstreamHost, upstreamPort] = [
    upstream.slice(0, upstream.lastIndexOf(':')).replace(/^\[|\]$/g, ''),
    Number(upstream.slice(upstream.lastIndexOf(':') + 1)),
  ];
  const agent = new http.Agent({ keepAlive: true });
  let rules: Rule[] = [];
  let requests: RecordedRequest[] = [];
  let address = '';

  const take = (method: string, url: string, length: number): Action | undefined => {
    const rule = rules.find(
      (r) => r.left > 0 && (r.method === undefined || r.method === method) && (r.path === undefined || r.path.test(url)) && length >= r.minLength,
    );
    if (rule === undefined) return undefined;
    if (rule.skip > 0) {
      rule.skip -= 1;
      return undefined;
    }
    rule.left -= 1;
    return rule.action;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, record: RecordedRequest, url: string, dropAfter: number | undefined): void => {
    const upstreamReq = http.request({
      host: upstreamHost,
      port: upstreamPort,
      method: req.method,
      path: url,
      agent,
      headers: { ...forwardableHeaders(req.headers), host: upstream },
    });
    upstreamReq.on('response', (upstreamRes) => {
      const headers = forwardableHeaders(upstreamRes.headers);
      const location = upstreamRes.headers.location;
      if (location !== undefined) headers.location = location.replace(`http://${upstream}`, `http://${address}`);
      record.status = upstreamRes.statusCode;
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, headers);
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
    });
    upstreamReq.on('error', () => {
      if (record.outcome === 'dropped') return;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('fault proxy: upstream failed');
      } else {
        res.destroy();
      }
    });
    if (dropAfter === undefined) {
      req.on('data', (chunk: Buffer) => (record.bodyBytes += chunk.length));
      req.pipe(upstreamReq);
      return;
    }
    let seen = 0;
    req.on('data', (chunk: Buffer) => {
      if (record.outcome === 'dropped') return;
      if (seen + chunk.length >= dropAfter) {
        upstreamReq.write(chunk.subarray(0, dropAfter - seen));
        record.bodyBytes += dropAfter - seen;
        seen = dropAfter;
        record.outcome = 'dropped';
        upstreamReq.destroy();
        req.socket.destroy();
        return;
      }
      seen += chunk.length;
      record.bodyBytes += chunk.length;
      if (!upstreamReq.write(chunk)) {
        req.pause();
        upstreamReq.once('drain', () => req.resume());
      }
    });
    req.on('end', () => {
      if (record.outcome !== 'dropped') upstreamReq.end();
    });
  };

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    let url = req.url ?? '/';
    const record: RecordedRequest = { method, url, outcome: 'forwarded', bodyBytes: 0 };
    requests.push(record);
    const action = take(method, url, Number(req.headers['content-length'] ?? 0));
    req.on('error', () => {});
    res.on('error', () => {});
    if (action?.kind === 'status') {
      record.outcome = 'injected';
      record.status = action.status;
      req.resume();
      req.once('end', () => {
        const body = JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `fault proxy: injected ${action.status}` }] });
        const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
        if (action.retryAfter !== undefined) headers['retry-after'] = action.retryAfter;
        res.writeHead(action.status, headers);
        res.end(method === 'HEAD' ? undefined : body);
      });
      return;
    }
    if (action?.kind === 'redirect') {
      record.outcome = 'injected';
      record.status = 307;
      req.resume();
      res.writeHead(307, { location: `http://localhost:${address.slice(address.lastIndexOf(':') + 1)}${url}`, 'content-length': 0 });
      res.end();
      return;
    }
    if (action?.kind === 'decline-mount') {
      const parsed = new URL(url, 'http://proxy');
      parsed.searchParams.delete('mount');
      parsed.searchParams.delete('from');
      url = `${parsed.pathname}${parsed.search}`;
    }
    if (action?.kind === 'delay') {
      req.pause();
      // A client that gave up meanwhile (Ctrl-C) never reaches the registry, as with a real proxy.
      let gone = false;
      res.on('close', () => (gone = true));
      setTimeout(() => {
        if (!gone) forward(req, res, record, url, undefined);
      }, action.ms);
      return;
    }
    forward(req, res, record, url, action?.kind === 'drop' ? action.afterBytes : undefined);
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  const add = (match: RequestMatch, action: Action, defaultCount = 1): void => {
    rules.push({
      method: match.method?.toUpperCase(),
      path: match.path,
      minLength: match.minLength ?? 0,
      skip: match.skip ?? 0,
      left: match.count ?? defaultCount,
      action,
    });
  };

  const matching = (method: string | undefined, path: RegExp | undefined): RecordedRequest[] =>
    requests.filter((r) => (method === undefined || r.method === method.toUpperCase()) && (path === undefined || path.test(r.url)));

  return {
    address,
    failNext: (match) => add(match, { kind: 'status', status: match.status, retryAfter: match.retryAfter }),
    dropUpload: (match) => add(match, { kind: 'drop', afterBytes: match.afterBytes }),
    delay: (match) => add(match, { kind: 'delay', ms: match.ms }, match.count ?? Number.POSITIVE_INFINITY),
    redirect: (match) => add(match, { kind: 'redirect' }),
    declineMount: (match = {}) => add({ method: 'POST', path: /[?&]mount=/, ...match }, { kind: 'decline-mount' }),
    get requests() {
      return requests;
    },
    count: (method, path) => matching(method, path).length,
    bodyBytes: (method, path) => matching(method, path).reduce((sum, r) => sum + r.bodyBytes, 0),
    reset: () => {
      rules = [];
      requests = [];
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
