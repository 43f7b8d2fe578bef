import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../../src/errors.js';
import { ConcurrencyLimiter } from '../../../src/registry/concurrency-limiter.js';

/** Lets queued microtasks (slot hand-overs) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ConcurrencyLimiter adapts (AIMD)', () => {
  it('halves on throttling down to 1, once per epoch', () => {
    const limiter = new ConcurrencyLimiter(8, 3);
    const before = limiter.epoch;
    limiter.throttled(before);
    expect(limiter.limit).toBe(4);
    // Answers to requests sent before the cut are the same congestion: no second cut.
    limiter.throttled(before);
    limiter.throttled(before);
    expect(limiter.limit).toBe(4);
    limiter.throttled(limiter.epoch);
    expect(limiter.limit).toBe(2);
    limiter.throttled(limiter.epoch);
    limiter.throttled(limiter.epoch);
    limiter.throttled(limiter.epoch);
    expect(limiter.limit).toBe(1);
    expect(limiter.maxLimit).toBe(8);
  });

  it('grows by one after N successes in a row, never past the configured limit', () => {
    const limiter = new ConcurrencyLimiter(3, 2);
    limiter.throttled(limiter.epoch);
    expect(limiter.limit).toBe(1);
    limiter.succeeded();
    expect(limiter.limit).toBe(1);
    limiter.succeeded();
    expect(limiter.limit).toBe(2);
    limiter.succeeded();
    limiter.throttled(limiter.epoch); // a throttle resets the count
    expect(limiter.limit).toBe(1);
    limiter.succeeded();
    expect(limiter.limit).toBe(1);
    for (let i = 0; i < 10; i += 1) limiter.succeeded();
    expect(limiter.limit).toBe(3);
  });

  it('a cut limit holds new callers back until slots drop below it; growth lets them in', async () => {
    const limiter = new ConcurrencyLimiter(4, 1);
    const held = await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);
    limiter.throttled(limiter.epoch);
    expect(limiter.limit).toBe(2);
    let started = false;
    const waiting = limiter.acquire().then((release) => {
      started = true;
      return release;
    });
    held[0]!();
    await settle();
    expect(started).toBe(false); // 2 still held, limit 2
    limiter.succeeded(); // limit 3: the waiter starts
    await settle();
    expect(started).toBe(true);
    (await waiting)();
    held[1]!();
    held[2]!();
    expect(limiter.inFlight).toBe(0);
  });

  it('setLimit sets the configured limit and the current one', () => {
    const limiter = new ConcurrencyLimiter(8);
    limiter.throttled(limiter.epoch);
    limiter.setLimit(6);
    expect(limiter.limit).toBe(6);
    expect(limiter.maxLimit).toBe(6);
  });

  it('a wait for a slot ends when its signal aborts, and the slot goes to the next caller', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const first = await limiter.acquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    const next = limiter.acquire();
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(InterruptedError);
    first();
    (await next)();
    expect(limiter.inFlight).toBe(0);
  });
});
