import { describe, expect, it } from 'vitest';
import { MeshbuildError } from '../../../src/errors.js';
import { assertLoopbackResolves, isLoopbackAddress } from '../../../src/registry/insecure-policy.js';

const answers = (addresses: string[]) => async () => addresses;

describe('*.localhost counts as loopback only when it resolves to loopback', () => {
  it('knows loopback addresses', () => {
    for (const ip of ['127.0.0.1', '127.9.8.7', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(ip)).toBe(true);
    for (const ip of ['10.0.0.1', '128.0.0.1', '::2', '::ffff:10.0.0.1', 'fe80::1']) expect(isLoopbackAddress(ip)).toBe(false);
  });

  it('passes a *.localhost name that resolves to loopback only', async () => {
    await expect(assertLoopbackResolves('registry.localhost:5000', {}, answers(['127.0.0.1', '::1']))).resolves.toBeUndefined();
  });

  it.each([
    [['10.1.2.3'], /resolves to 10\.1\.2\.3/],
    [['127.0.0.1', '192.168.1.5'], /resolves to 127\.0\.0\.1, 192\.168\.1\.5/],
    [[], /does not resolve/],
  ])('refuses plain HTTP to a *.localhost name resolving to %j (usage error naming --insecure-registry)', async (addresses, why) => {
    const check = assertLoopbackResolves('registry.localhost:5000', {}, answers(addresses));
    await expect(check).rejects.toBeInstanceOf(MeshbuildError);
    await expect(check).rejects.toThrow(why);
    const error = (await check.catch((e: unknown) => e)) as MeshbuildError;
    expect(error.exitCode).toBe(2);
    expect(error.hint).toContain('--insecure-registry registry.localhost:5000');
  });

  it('leaves other hosts and listed insecure names alone (no lookup)', async () => {
    const never = async (): Promise<string[]> => {
      throw new Error('looked up');
    };
    await expect(assertLoopbackResolves('127.0.0.1:5555', {}, never)).resolves.toBeUndefined();
    await expect(assertLoopbackResolves('localhost:5000', {}, never)).resolves.toBeUndefined();
    await expect(assertLoopbackResolves('registry.localhost', { insecureRegistries: ['registry.localhost'] }, never)).resolves.toBeUndefined();
  });
});
