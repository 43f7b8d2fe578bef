/** Which registry answers are worth another attempt, from the status and the error body's codes. */
import { describe, expect, it } from 'vitest';
import { responseError } from '../../../src/registry/registry-error.js';

const context = { registry: 'reg.example.com', repository: 'mesh/proxyv2', what: 'push manifest mesh/proxyv2@sha256:abc' };
const answer = (status: number, codes: string[]) =>
  responseError(context, {
    status,
    statusText: status === 400 ? 'Bad Request' : 'Service Unavailable',
    headers: {},
    body: JSON.stringify({ errors: codes.map((code) => ({ code, message: code.toLowerCase() })) }),
    attempts: 1,
  });

describe('responseError: retryable', () => {
  it('retries a manifest refused for a blob a concurrent upload of it hid for a moment', () => {
    // distribution's answer: DIGEST_INVALID first, the unknown blob after it.
    expect(answer(400, ['DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN']).retryable).toBe(true);
    expect(answer(400, ['MANIFEST_BLOB_UNKNOWN']).retryable).toBe(true);
  });

  it('does not retry other refusals; does retry what the status says may pass', () => {
    expect(answer(400, ['DIGEST_INVALID']).retryable).toBe(false);
    expect(answer(400, ['MANIFEST_INVALID']).retryable).toBe(false);
    expect(answer(503, ['UNAVAILABLE']).retryable).toBe(true);
  });
});
