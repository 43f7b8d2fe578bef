import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isRetryableNetworkCode,
  isRetryableStatus,
  parseRetryAfter,
  retryDelay,
} from '../../../src/registry/retry-policy.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores absent and unreadable values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('backoff', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };

  it('doubles per attempt, capped, jittered between half and all of it', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(400);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
    expect(backoffDelay(10, policy, () => 0)).toBe(500);
  });

  it('prefers Retry-After, capped at maxRetryAfterMs', () => {
    expect(retryDelay(1, { ...policy, maxRetryAfterMs: 5000 }, 2000, () => 0)).toBe(2000);
    expect(retryDelay(1, { ...policy, maxRetryAfterMs: 5000 }, 3_600_000, () => 0)).toBe(5000);
    expect(retryDelay(2, policy, undefined, () => 1)).toBe(200);
  });
});

describe('what is retried', () => {
  it.each([
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [501, false],
    [505, false],
    [400, false],
    [401, false],
    [404, false],
  ])('status %i -> %s', (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });

  it('retries resets, broken pipes, timeouts and refusals, not DNS failures', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED']) expect(isRetryableNetworkCode(code)).toBe(true);
    expect(isRetryableNetworkCode('ENOTFOUND')).toBe(false);
    expect(isRetryableNetworkCode(undefined)).toBe(false);
  });
});
