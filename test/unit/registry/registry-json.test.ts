import { describe, expect, it } from 'vitest';
import { RegistryAuth, type TokenRequester } from '../../../src/registry/auth.js';
import { parseManifest } from '../../../src/registry/manifests.js';
import { describeErrorBody, RegistryError } from '../../../src/registry/registry-error.js';
import { isDescriptor, parseJsonObject, RegistryJsonError } from '../../../src/registry/registry-json.js';

const source = { registry: 'reg.example.com', what: 'tag list of mesh/pilot', url: 'https://reg.example.com/v2/mesh/pilot/tags/list?n=10' };
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('registry JSON is checked where it is read', () => {
  it.each([
    ['not json', /is not JSON/],
    ['null', /not a JSON object \(got null\)/],
    ['[1,2]', /not a JSON object \(got an array\)/],
    ['"text"', /not a JSON object \(got a string\)/],
  ])('%s is a RegistryJsonError naming the registry and URL', (text, problem) => {
    let caught: unknown;
    try {
      parseJsonObject(text, source);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RegistryJsonError);
    expect((caught as Error).message).toMatch(problem);
    expect((caught as Error).message).toContain('registry reg.example.com');
    expect((caught as Error).message).toContain(source.url);
  });

  it('knows a descriptor', () => {
    expect(isDescriptor({ mediaType: 'x', digest: DIGEST, size: 3 })).toBe(true);
    expect(isDescriptor({ mediaType: 'x', digest: DIGEST, size: '3' })).toBe(false);
    expect(isDescriptor({ mediaType: 'x', digest: 'nope', size: 3 })).toBe(false);
    expect(isDescriptor(null)).toBe(false);
  });

  it('refuses manifests whose descriptors are malformed, naming where they came from', () => {
    const where = 'manifest reg.example.com/mesh/pilot:1.0 (https://reg.example.com/v2/mesh/pilot/manifests/1.0)';
    const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: DIGEST, size: 2 };
    const manifest = (layers: unknown[]) =>
      Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers }));
    expect(() => parseManifest(manifest([config]), undefined, where)).not.toThrow();
    expect(() => parseManifest(manifest([null]), undefined, where)).toThrow(RegistryError);
    expect(() => parseManifest(manifest([{ digest: 7 }]), undefined, where)).toThrow(/layers\[0\] that is not a descriptor.*\n?/);
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: ['x'] }));
    expect(() => parseManifest(index, undefined, where)).toThrow(/manifests\[0\]/);
    expect(() => parseManifest(Buffer.from('null'), undefined, where)).toThrow(/reg\.example\.com\/v2\/mesh\/pilot\/manifests\/1\.0/);
  });

  it('reads error bodies of any shape without a TypeError', () => {
    expect(describeErrorBody('{"errors":[{"code":"DENIED","message":"no"}]}').codes).toEqual(['DENIED']);
    expect(describeErrorBody('{"errors":[null,{"code":"X"}]}').codes).toEqual(['X']);
    expect(describeErrorBody('{"errors":{"code":"X"}}').lines).toEqual(['{"errors":{"code":"X"}}']);
    expect(describeErrorBody('null').lines).toEqual(['null']);
    expect(describeErrorBody('<html>bad gateway</html>').lines).toEqual(['<html>bad gateway</html>']);
    expect(describeErrorBody('')).toEqual({ codes: [], lines: [] });
  });

  it.each([['null'], ['[]'], ['{"token": 5}'], ['{"access_token": ""}'], ['not json']])(
    'a token response %s is a RegistryJsonError naming the registry and realm',
    async (body) => {
      const requestToken: TokenRequester = async () => ({ status: 200, statusText: 'OK', headers: {}, body });
      const auth = new RegistryAuth({ registry: 'reg.example.com', loadCredentials: async () => undefined, requestToken });
      const scopes = [{ repository: 'mesh/pilot', actions: ['pull'] as const }];
      const challenge = auth.handleChallenge('Bearer realm="https://auth.example.com/token",service="reg"', scopes, undefined);
      await expect(challenge).rejects.toBeInstanceOf(RegistryJsonError);
      await expect(challenge).rejects.toThrow(/registry reg\.example\.com sent a token response .*https:\/\/auth\.example\.com\/token/);
    },
  );
});
