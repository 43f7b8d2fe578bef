/**
 * A tiny HTTP server for fetch tests: serves files held in memory on 127.0.0.1 (a free port),
 * 404 for anything else, and records the paths asked for.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileServer {
  /** `127.0.0.1:PORT`, for `{env:...}` placeholders in artifact URLs. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Served files by URL path (`/envoy-amd64.tar.gz`); add or replace entries at any time. */
  files: Map<string, Uint8Array>;
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startFileServer(files: Record<string, string | Uint8Array> = {}): Promise<FileServer> {
  const served = new Map<string, Uint8Array>(Object.entries(files).map(([name, body]) => [name, typeof body === 'string' ? Buffer.from(body) : body]));
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const urlPath = new URL(request.url ?? '/', 'http://localhost').pathname;
    requests.push(urlPath);
    const body = served.get(urlPath);
    if (body === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(body === undefined ? 404 : 405, { 'content-type': 'text/plain' });
      response.end(body === undefined ? 'not found\n' : 'method not allowed\n');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.byteLength });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    files: served,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
