/**
 * A counting semaphore per registry host, shared by every client of that host in this process, so
 * that parallel pushes of many images never open more than `maxConcurrentRequests` requests at once.
 */

/** Default requests in flight per registry host. */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 8;

/** A release function: call it exactly once (extra calls are ignored). */
export type Release = () => void;

export class ConcurrencyLimiter {
  private max: number;
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(max: number = DEFAULT_MAX_CONCURRENT_REQUESTS) {
    this.max = ConcurrencyLimiter.check(max);
  }

  private static check(max: number): number {
    if (!Number.isInteger(max) || max < 1) throw new Error(`Internal error: concurrency limit must be a positive integer, got ${max}`);
    return max;
  }

  /** Requests currently holding a slot. */
  get inFlight(): number {
    return this.active;
  }

  get limit(): number {
    return this.max;
  }

  /** Changes the limit; waiting callers start if the new limit allows. */
  setLimit(max: number): void {
    this.max = ConcurrencyLimiter.check(max);
    this.drain();
  }

  /** Waits for a slot and returns the function that gives it back. */
  async acquire(): Promise<Release> {
    if (this.active >= this.max) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active += 1;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      this.drain();
    };
  }

  private drain(): void {
    while (this.active < this.max) {
      const next = this.waiting.shift();
      if (next === undefined) return;
      this.active += 1;
      next();
    }
  }
}

const byHost = new Map<string, ConcurrencyLimiter>();

/**
 * The limiter shared by all clients of `host`. The first caller creates it with `max` (default 8);
 * a later caller that passes `max` changes the shared limit (the last explicit setting wins), one
 * that passes nothing leaves it alone.
 */
export function limiterForHost(host: string, max?: number): ConcurrencyLimiter {
  const key = host.toLowerCase();
  let limiter = byHost.get(key);
  if (limiter === undefined) {
    limiter = new ConcurrencyLimiter(max ?? DEFAULT_MAX_CONCURRENT_REQUESTS);
    byHost.set(key, limiter);
  } else if (max !== undefined && limiter.limit !== max) {
    limiter.setLimit(max);
  }
  return limiter;
}
