import { describe, expect, it } from 'vitest';
import { findChallenge, parseWwwAuthenticate } from '../../../src/registry/www-authenticate.js';

describe('parseWwwAuthenticate', () => {
  it('parses a Bearer challenge with realm, service and scope', () => {
    const header = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"';
    expect(parseWwwAuthenticate(header)).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' },
      },
    ]);
  });

  it('parses Basic, unquoted values, odd spacing and case', () => {
    expect(parseWwwAuthenticate('Basic realm="Registry Realm"')).toEqual([{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    expect(parseWwwAuthenticate('BEARER  Realm = https://x/token , Service=reg')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://x/token', service: 'reg' } },
    ]);
  });

  it('parses several challenges in one header and skips token68 values', () => {
    const challenges = parseWwwAuthenticate('Negotiate abc123==, Basic realm="r", Bearer realm="https://t/token",error="insufficient_scope"');
    expect(challenges.map((c) => c.scheme)).toEqual(['negotiate', 'basic', 'bearer']);
    expect(findChallenge(challenges, 'Bearer')?.params).toEqual({ realm: 'https://t/token', error: 'insufficient_scope' });
  });

  it('handles escaped quotes and commas inside quoted values', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://t/token?a=1,b=2",scope="x\\"y"')[0]?.params).toEqual({ realm: 'https://t/token?a=1,b=2', scope: 'x"y' });
  });

  it('returns nothing for a missing or empty header', () => {
    expect(parseWwwAuthenticate(undefined)).toEqual([]);
    expect(parseWwwAuthenticate('')).toEqual([]);
    expect(findChallenge([], 'basic')).toBeUndefined();
  });
});
