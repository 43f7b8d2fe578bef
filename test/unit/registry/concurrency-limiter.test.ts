import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter, limiterForHost } from '../../../src/registry/concurrency-limiter.js';

describe('ConcurrencyLimiter', () => {
  it('never lets more than the limit run, and serves waiters in order', async () => {
    const limiter = new ConcurrencyLimiter(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, async (_, i) => {
        const release = await limiter.acquire();
        running += 1;
        most = Math.max(most, running);
        order.push(i);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        release();
        release(); // a second call is ignored
      }),
    );
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(limiter.inFlight).toBe(0);
  });

  it('is shared per host, the last explicit limit winning', () => {
    const a = limiterForHost('Shared.Example.com:5000', 3);
    const b = limiterForHost('shared.example.com:5000', 5);
    expect(a).toBe(b);
    expect(a.limit).toBe(5);
    expect(limiterForHost('shared.example.com:5000').limit).toBe(5);
    expect(limiterForHost('other.example.com')).not.toBe(a);
    expect(() => new ConcurrencyLimiter(0)).toThrow(/positive integer/);
  });
});
