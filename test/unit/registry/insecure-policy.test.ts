import { describe, expect, it } from 'vitest';
import { MeshbuildError } from '../../../src/errors.js';
import { assertUrlAllowed, isLoopbackHost, registryOrigin, registryScheme } from '../../../src/registry/insecure-policy.js';
import { RegistryClient } from '../../../src/registry/client.js';

describe('insecure policy', () => {
  it.each(['127.0.0.1', '127.0.0.1:5555', '127.1.2.3:80', 'localhost', 'localhost:5000', 'LOCALHOST', '[::1]', '[::1]:5000', 'registry.localhost:80'])(
    '%s is loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true);
      expect(registryScheme(host)).toBe('http');
    },
  );

  it.each(['128.0.0.1', '10.0.0.5:5000', '127.0.0.256', 'gcr.io', 'localhost.example.com', '[::2]:5000', '127.0.0.1.example.com'])(
    '%s is not loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
      expect(registryScheme(host)).toBe('https');
    },
  );

  it('allows plain HTTP for listed insecure registries, with or without port', () => {
    expect(registryScheme('10.0.0.5:5000', { insecureRegistries: ['10.0.0.5:5000'] })).toBe('http');
    expect(registryScheme('10.0.0.5:5000', { insecureRegistries: ['10.0.0.5'] })).toBe('http');
    expect(registryScheme('10.0.0.5:5000', { insecureRegistries: ['10.0.0.5:6000'] })).toBe('https');
    expect(registryScheme('Reg.Example.com', { insecureRegistries: ['reg.example.com'] })).toBe('http');
    expect(registryOrigin('127.0.0.1:5555')).toBe('http://127.0.0.1:5555');
    expect(registryOrigin('gcr.io')).toBe('https://gcr.io');
  });

  it('refuses plain HTTP to any other host with a usage error naming --insecure-registry', () => {
    let caught: unknown;
    try {
      registryScheme('reg.example.com:5000', { plainHttp: true });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MeshbuildError);
    expect((caught as MeshbuildError).exitCode).toBe(2);
    expect(`${(caught as MeshbuildError).message} ${(caught as MeshbuildError).hint}`).toContain('--insecure-registry reg.example.com:5000');
    expect(() => new RegistryClient('reg.example.com:5000', { plainHttp: true })).toThrow(/--insecure-registry/);
    expect(() => new RegistryClient('reg.example.com:5000', { plainHttp: true, insecureRegistries: ['reg.example.com:5000'] })).not.toThrow();
  });

  it('checks URLs a registry hands out (redirects, token realms)', () => {
    expect(() => assertUrlAllowed(new URL('https://auth.example.com/token'))).not.toThrow();
    expect(() => assertUrlAllowed(new URL('http://127.0.0.1:9999/token'))).not.toThrow();
    expect(() => assertUrlAllowed(new URL('http://auth.example.com/token'))).toThrow(/--insecure-registry/);
    expect(() => assertUrlAllowed(new URL('ftp://auth.example.com/token'))).toThrow(/unsupported/);
  });
});
