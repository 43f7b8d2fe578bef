import { describe, expect, it } from 'vitest';
import { MeshbuildError } from '../../../src/errors.js';
import { formatReference, parseHub, parseReference, referenceTarget, registryApiHost, repositoryFromHub } from '../../../src/registry/reference.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    ['alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
    ['istio/pilot:1.22.0', { registry: 'docker.io', repository: 'istio/pilot', tag: '1.22.0' }],
    ['docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    ['index.docker.io/istio/proxyv2', { registry: 'docker.io', repository: 'istio/proxyv2' }],
    ['127.0.0.1:5555/mesh/pilot:dev', { registry: '127.0.0.1:5555', repository: 'mesh/pilot', tag: 'dev' }],
    ['localhost/pilot', { registry: 'localhost', repository: 'pilot' }],
    ['localhost:5000/a/b/c:v1', { registry: 'localhost:5000', repository: 'a/b/c', tag: 'v1' }],
    ['[::1]:5000/mesh/pilot', { registry: '[::1]:5000', repository: 'mesh/pilot' }],
    ['gcr.io/istio-release/pilot', { registry: 'gcr.io', repository: 'istio-release/pilot' }],
    [`gcr.io/istio-release/pilot@${DIGEST}`, { registry: 'gcr.io', repository: 'istio-release/pilot', digest: DIGEST }],
    [`127.0.0.1:5555/mesh/pilot:1.0@${DIGEST}`, { registry: '127.0.0.1:5555', repository: 'mesh/pilot', tag: '1.0', digest: DIGEST }],
    ['Registry.Example.com/a__b/c-d.e_f', { registry: 'registry.example.com', repository: 'a__b/c-d.e_f' }],
  ])('parses %s', (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  it.each([
    '',
    'UPPER/case',
    'mesh/pilot:bad tag',
    'mesh/pilot:-tag',
    'mesh/pilot@sha256:short',
    'mesh/pilot@md5:' + 'a'.repeat(32),
    'mesh//pilot',
    'http://127.0.0.1:5555/mesh/pilot',
    'bad_host.example.com_/x',
  ])('refuses %j with a usage error', (input) => {
    let caught: unknown;
    try {
      parseReference(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MeshbuildError);
    expect((caught as MeshbuildError).exitCode).toBe(2);
  });

  it('defaults the target to latest, and prefers the digest', () => {
    expect(referenceTarget(parseReference('alpine'))).toBe('latest');
    expect(referenceTarget(parseReference('alpine:3'))).toBe('3');
    expect(referenceTarget(parseReference(`alpine:3@${DIGEST}`))).toBe(DIGEST);
  });
});

describe('formatReference', () => {
  it.each(['127.0.0.1:5555/mesh/pilot:dev', `gcr.io/istio-release/pilot@${DIGEST}`, `localhost:5000/a:v1@${DIGEST}`, 'docker.io/library/alpine:3.20'])(
    'round-trips %s',
    (input) => {
      expect(formatReference(parseReference(input))).toBe(input);
    },
  );

  it('prints the familiar Docker Hub form on request', () => {
    expect(formatReference(parseReference('alpine:3'), { familiar: true })).toBe('alpine:3');
    expect(formatReference(parseReference('istio/pilot'), { familiar: true })).toBe('istio/pilot');
    expect(formatReference(parseReference('gcr.io/x/y:1'), { familiar: true })).toBe('gcr.io/x/y:1');
  });
});

describe('hubs', () => {
  it('joins a hub and an image name', () => {
    expect(repositoryFromHub('127.0.0.1:5555/mesh', 'pilot', 'dev')).toEqual({ registry: '127.0.0.1:5555', repository: 'mesh/pilot', tag: 'dev' });
    expect(repositoryFromHub('127.0.0.1:5555', 'pilot')).toEqual({ registry: '127.0.0.1:5555', repository: 'pilot' });
    expect(repositoryFromHub('gcr.io/istio-release/', 'proxyv2')).toEqual({ registry: 'gcr.io', repository: 'istio-release/proxyv2' });
    expect(repositoryFromHub('istio', 'pilot')).toEqual({ registry: 'docker.io', repository: 'istio/pilot' });
    expect(repositoryFromHub('docker.io', 'pilot')).toEqual({ registry: 'docker.io', repository: 'library/pilot' });
  });

  it('parses hubs and refuses tags, digests and schemes in them', () => {
    expect(parseHub('localhost:5000')).toEqual({ registry: 'localhost:5000', namespace: '' });
    expect(parseHub('docker.io/istio')).toEqual({ registry: 'docker.io', namespace: 'istio' });
    expect(() => parseHub('127.0.0.1:5555/mesh:tag')).toThrow(/not a tag or digest/);
    expect(() => parseHub('istio:tag')).toThrow(/invalid --hub/);
    expect(() => parseHub('http://127.0.0.1:5555/mesh')).toThrow(/scheme/);
    expect(() => repositoryFromHub('127.0.0.1:5555/mesh', 'Pilot')).toThrow(/not a valid repository path component/);
  });

  it('maps Docker Hub to its API host', () => {
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('127.0.0.1:5555')).toBe('127.0.0.1:5555');
  });
});
