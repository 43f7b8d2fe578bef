import { describe, expect, it } from 'vitest';
import { formatScope, RegistryAuth, type TokenRequester } from '../../../src/registry/auth.js';
import { RegistryError } from '../../../src/registry/registry-error.js';

const scopes = [{ repository: 'mesh/pilot', actions: ['push', 'pull'] as const }];
const challenge = 'Bearer realm="https://auth.example.com/token",service="reg.example.com",scope="repository:mesh/pilot:pull,push"';

function tokenServer(answers: Array<{ status: number; body: unknown }>): {
  requestToken: TokenRequester;
  requests: Array<{ method: string; url: URL; headers: Record<string, string>; body?: string }>;
} {
  const requests: Array<{ method: string; url: URL; headers: Record<string, string>; body?: string }> = [];
  return {
    requests,
    requestToken: async (request) => {
      requests.push(request);
      const answer = answers.shift() ?? { status: 200, body: { token: `token-${requests.length}` } };
      return { status: answer.status, statusText: '', headers: {}, body: JSON.stringify(answer.body) };
    },
  };
}

describe('RegistryAuth', () => {
  it('formats scopes with sorted actions', () => {
    expect(formatScope({ repository: 'a/b', actions: ['push', 'pull'] })).toBe('repository:a/b:pull,push');
  });

  it('starts anonymous, follows a Bearer challenge with basic credentials, and caches the token per scope', async () => {
    const server = tokenServer([{ status: 200, body: { token: 'tok-1', expires_in: 300 } }]);
    let now = 1_000_000;
    const auth = new RegistryAuth({
      registry: 'reg.example.com',
      loadCredentials: async () => ({ username: 'u', password: 'p' }),
      requestToken: server.requestToken,
      now: () => now,
    });
    expect(await auth.authorization(scopes)).toBeUndefined();
    expect(await auth.handleChallenge(challenge, scopes, undefined)).toBe(true);
    expect(await auth.authorization(scopes)).toBe('Bearer tok-1');
    expect(await auth.authorization(scopes)).toBe('Bearer tok-1');
    expect(server.requests).toHaveLength(1);
    const [first] = server.requests;
    expect(first?.method).toBe('GET');
    expect(`${first?.url.origin ?? ''}${first?.url.pathname ?? ''}`).toBe('https://auth.example.com/token');
    expect(first?.url.searchParams.get('service')).toBe('reg.example.com');
    expect(first?.url.searchParams.getAll('scope')).toEqual(['repository:mesh/pilot:pull,push']);
    expect(first?.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);

    // Another scope gets its own token; an expiring token is refreshed.
    expect(await auth.authorization([{ repository: 'mesh/proxy', actions: ['pull'] }])).toBe('Bearer token-2');
    now += 295_000;
    expect(await auth.authorization(scopes)).toBe('Bearer token-3');
  });

  it('fetches a fresh token once when the one sent is refused, and gives up on a second refusal', async () => {
    const server = tokenServer([]);
    const auth = new RegistryAuth({ registry: 'reg.example.com', loadCredentials: async () => undefined, requestToken: server.requestToken });
    await auth.handleChallenge(challenge, scopes, undefined);
    const sent = await auth.authorization(scopes);
    expect(sent).toBe('Bearer token-1');
    expect(await auth.handleChallenge(challenge, scopes, sent)).toBe(true);
    expect(await auth.authorization(scopes)).toBe('Bearer token-2');
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('uses the OAuth2 refresh-token POST for identity tokens', async () => {
    const server = tokenServer([{ status: 200, body: { access_token: 'oauth-tok' } }]);
    const auth = new RegistryAuth({
      registry: 'docker.io',
      loadCredentials: async () => ({ identityToken: 'refresh-abc' }),
      requestToken: server.requestToken,
    });
    await auth.handleChallenge(challenge, scopes, undefined);
    expect(await auth.authorization(scopes)).toBe('Bearer oauth-tok');
    expect(server.requests[0]?.method).toBe('POST');
    const form = new URLSearchParams(server.requests[0]?.body);
    expect(form.get('grant_type')).toBe('refresh_token');
    expect(form.get('refresh_token')).toBe('refresh-abc');
    expect(form.get('scope')).toBe('repository:mesh/pilot:pull,push');
  });

  it('turns a refused token request into a clear 401 without the password', async () => {
    const server = tokenServer([{ status: 401, body: { details: 'incorrect username or password' } }]);
    const auth = new RegistryAuth({
      registry: 'reg.example.com',
      loadCredentials: async () => ({ username: 'u', password: 'Secret-Pw-77' }),
      requestToken: server.requestToken,
    });
    const error = await auth.handleChallenge(challenge, scopes, undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toContain('registry reg.example.com rejected the credentials for repository mesh/pilot');
    expect((error as RegistryError).hint).toContain('docker login reg.example.com');
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain('Secret-Pw-77');
  });

  it('answers Basic challenges only when there are credentials it has not yet sent', async () => {
    const none = new RegistryAuth({ registry: 'r', loadCredentials: async () => undefined, requestToken: tokenServer([]).requestToken });
    expect(await none.handleChallenge('Basic realm="x"', scopes, undefined)).toBe(false);
    const some = new RegistryAuth({
      registry: 'r',
      loadCredentials: async () => ({ username: 'u', password: 'p' }),
      requestToken: tokenServer([]).requestToken,
    });
    expect(await some.handleChallenge('Basic realm="x"', scopes, undefined)).toBe(true);
    const sent = await some.authorization(scopes);
    expect(sent).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(await some.handleChallenge('Basic realm="x"', scopes, sent)).toBe(false);
  });

  it('refuses a plain-HTTP token realm on a non-loopback host', async () => {
    const auth = new RegistryAuth({ registry: 'r', loadCredentials: async () => undefined, requestToken: tokenServer([]).requestToken });
    await expect(auth.handleChallenge('Bearer realm="http://auth.example.com/token"', scopes, undefined)).rejects.toThrow(/--insecure-registry/);
  });
});
