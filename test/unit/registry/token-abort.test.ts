import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../../src/errors.js';
import { RegistryAuth, type TokenRequester } from '../../../src/registry/auth.js';

const scopes = [{ repository: 'mesh/pilot', actions: ['pull'] as const }];
const challenge = 'Bearer realm="https://auth.example.com/token",service="reg.example.com"';

/** A token service that answers only when told to, and gives up a request when its signal aborts. */
function slowTokenService() {
  const waiting: Array<{ answer: (token: string) => void; signal: AbortSignal | undefined }> = [];
  const requestToken: TokenRequester = (request) =>
    new Promise((resolve, reject) => {
      request.signal?.addEventListener('abort', () => reject(new InterruptedError('SIGINT')), { once: true });
      waiting.push({ signal: request.signal, answer: (token) => resolve({ status: 200, statusText: 'OK', headers: {}, body: JSON.stringify({ token }) }) });
    });
  return { requestToken, waiting };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('token fetches and cancellation', () => {
  it('a token fetch ends with the operation that started it; another waiting for it fetches anew', async () => {
    const service = slowTokenService();
    const auth = new RegistryAuth({ registry: 'reg.example.com', loadCredentials: async () => undefined, requestToken: service.requestToken });
    const first = new AbortController();
    const second = new AbortController();
    const a = auth.handleChallenge(challenge, scopes, undefined, first.signal);
    await tick();
    const b = auth.authorization(scopes, second.signal);
    await tick();
    expect(service.waiting).toHaveLength(1);
    first.abort(new InterruptedError('SIGINT'));
    await expect(a).rejects.toBeInstanceOf(InterruptedError);
    await tick();
    expect(service.waiting).toHaveLength(2);
    expect(service.waiting[1]?.signal).toBe(second.signal);
    service.waiting[1]?.answer('tok-2');
    expect(await b).toBe('Bearer tok-2');
  });

  it('an operation that stops waiting does not cancel the fetch others share', async () => {
    const service = slowTokenService();
    const auth = new RegistryAuth({ registry: 'reg.example.com', loadCredentials: async () => undefined, requestToken: service.requestToken });
    const starter = new AbortController();
    const joiner = new AbortController();
    const a = auth.handleChallenge(challenge, scopes, undefined, starter.signal);
    await tick();
    const b = auth.authorization(scopes, joiner.signal);
    joiner.abort();
    await expect(b).rejects.toBeInstanceOf(InterruptedError);
    service.waiting[0]?.answer('tok-1');
    expect(await a).toBe(true);
    expect(await auth.authorization(scopes)).toBe('Bearer tok-1');
    expect(service.waiting).toHaveLength(1);
  });
});
