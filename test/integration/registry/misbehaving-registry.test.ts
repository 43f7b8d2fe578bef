import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyLimiter } from '../../../src/registry/concurrency-limiter.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { PlainHttpRegistryError, RegistryError } from '../../../src/registry/registry-error.js';
import { RegistryHttp } from '../../../src/registry/registry-http.js';
import { RegistryJsonError } from '../../../src/registry/registry-json.js';
import { DEFAULT_RETRY_POLICY } from '../../../src/registry/retry-policy.js';
import { listTags } from '../../../src/registry/tags.js';
import { localRegistry } from '../../support/registry.js';
import { uniqueRepo } from './fixtures.js';

describe('a registry that answers in ways the client does not expect', () => {
  it('HTTPS to a plain-HTTP registry is a usage error naming --insecure-registry, not retried', async () => {
    const registry = await localRegistry();
    let requests = 0;
    const transport = new RegistryHttp({
      registry,
      origin: `https://${registry}`,
      schemePolicy: {},
      loadCredentials: async () => undefined,
      limiter: new ConcurrencyLimiter(2),
      retry: { ...DEFAULT_RETRY_POLICY, baseDelayMs: 5 },
      timeoutMs: 10_000,
      userAgent: 'meshbuild-test',
      debug: (line) => {
        if (/failed/.test(line)) requests += 1;
      },
    });
    const list = listTags(transport, uniqueRepo('tls'));
    await expect(list).rejects.toBeInstanceOf(PlainHttpRegistryError);
    const error = (await list.catch((e: unknown) => e)) as PlainHttpRegistryError;
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/plain HTTP/);
    expect(error.message).toMatch(/wrong version number|packet length too long/);
    expect(error.hint).toContain(`--insecure-registry ${registry}`);
    expect(requests).toBe(1);
  });

  describe('with a server that sends wrong JSON shapes', () => {
    let server: http.Server;
    let address: string;
    const bodies = new Map<string, { type: string; body: string }>();

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        const answer = bodies.get(path);
        if (path === '/v2/' || answer === undefined) {
          res.writeHead(path === '/v2/' ? 200 : 404, { 'content-type': 'application/json' });
          res.end('{}');
          return;
        }
        res.writeHead(200, { 'content-type': answer.type, 'content-length': Buffer.byteLength(answer.body) });
        res.end(answer.body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it.each([
      ['{"name":"x","tags":"v1"}', /"tags" as a string, not a list/],
      ['{"name":"x","tags":[1]}', /a tag that is a number/],
      ['null', /not a JSON object \(got null\)/],
      ['<html>', /is not JSON/],
    ])('a tag list %s is a RegistryJsonError naming the registry and URL', async (body, why) => {
      bodies.set('/v2/mesh/x/tags/list', { type: 'application/json', body });
      const list = new RegistryClient(address).listTags('mesh/x');
      await expect(list).rejects.toBeInstanceOf(RegistryJsonError);
      await expect(list).rejects.toThrow(why);
      await expect(list).rejects.toThrow(`registry ${address}`);
      await expect(list).rejects.toThrow(`http://${address}/v2/mesh/x/tags/list`);
    });

    it('"tags": null is a repository without tags', async () => {
      bodies.set('/v2/mesh/empty/tags/list', { type: 'application/json', body: '{"name":"mesh/empty","tags":null}' });
      expect(await new RegistryClient(address).listTags('mesh/empty')).toEqual([]);
    });

    it('a manifest with a malformed layer is a RegistryError naming the registry and URL', async () => {
      const manifest = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 2 },
        layers: [{ size: 'big' }],
      };
      bodies.set('/v2/mesh/bad/manifests/1.0', { type: 'application/vnd.oci.image.manifest.v1+json', body: JSON.stringify(manifest) });
      const read = new RegistryClient(address).getManifest('mesh/bad', '1.0');
      await expect(read).rejects.toBeInstanceOf(RegistryError);
      await expect(read).rejects.toThrow(/layers\[0\] that is not a descriptor/);
      await expect(read).rejects.toThrow(`http://${address}/v2/mesh/bad/manifests/1.0`);
    });
  });
});
