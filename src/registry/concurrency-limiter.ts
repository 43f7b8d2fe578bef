/**
 * A counting semaphore per registry host, shared by every client of that host in this process, so
 * that parallel pushes of many images never run more than `maxConcurrentRequests` transfers at
 * once. Slots are taken per blob transfer or manifest operation, never per nested request.
 *
 * The limit adapts (AIMD): a 429 or 503 halves it (down to 1), and every `growAfter` successes
 * in a row add one back, up to the configured maximum. Throttling answers to requests sent before
 * the last cut count once: a burst of 429s from one window halves the limit once, not per answer.
 */
import { abortError } from './abort.js';

/** Default requests in flight per registry host. */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 8;
/** Default successes in a row after which a cut limit grows by one. */
export const DEFAULT_GROW_AFTER = 10;

/** A release function: call it exactly once (extra calls are ignored). */
export type Release = () => void;

export class ConcurrencyLimiter {
  private ceiling: number;
  private max: number;
  private active = 0;
  private successes = 0;
  private cuts = 0;
  private readonly waiting: Array<() => void> = [];

  /**
   * @param max the configured limit (default 8), also the most the adaptive limit grows back to.
   * @param growAfter successes in a row that add one to a cut limit (default 10).
   */
  constructor(
    max: number = DEFAULT_MAX_CONCURRENT_REQUESTS,
    private readonly growAfter: number = DEFAULT_GROW_AFTER,
  ) {
    this.ceiling = ConcurrencyLimiter.check(max);
    this.max = this.ceiling;
  }

  private static check(max: number): number {
    if (!Number.isInteger(max) || max < 1) throw new Error(`Internal error: concurrency limit must be a positive integer, got ${max}`);
    return max;
  }

  /** Slots currently held. */
  get inFlight(): number {
    return this.active;
  }

  /** The limit in force now (the configured one, or less after throttling). */
  get limit(): number {
    return this.max;
  }

  /** The configured limit the adaptive one grows back to. */
  get maxLimit(): number {
    return this.ceiling;
  }

  /** Changes with every cut; a request notes it when sent and hands it to {@link throttled}. */
  get epoch(): number {
    return this.cuts;
  }

  /** Sets the configured limit (and the current one); waiting callers start if it allows. */
  setLimit(max: number): void {
    this.ceiling = ConcurrencyLimiter.check(max);
    this.max = this.ceiling;
    this.successes = 0;
    this.drain();
  }

  /**
   * The registry throttled (429/503) a request sent in `epoch`: halve the limit (at least 1),
   * unless it was already cut since that request was sent.
   */
  throttled(epoch: number): void {
    if (epoch !== this.cuts) return;
    this.cuts += 1;
    this.successes = 0;
    this.max = Math.max(1, Math.floor(this.max / 2));
  }

  /** A request succeeded: after `growAfter` in a row, a cut limit grows by one. */
  succeeded(): void {
    if (this.max >= this.ceiling) return;
    this.successes += 1;
    if (this.successes < this.growAfter) return;
    this.successes = 0;
    this.max += 1;
    this.drain();
  }

  /** Waits for a slot and returns the function that gives it back; `signal` ends the wait. */
  async acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) throw abortError(signal);
    if (this.active >= this.max || this.waiting.length > 0) {
      await new Promise<void>((resolve, reject) => {
        const waiter = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          const index = this.waiting.indexOf(waiter);
          if (index !== -1) this.waiting.splice(index, 1);
          reject(abortError(signal!));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(waiter);
      });
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

  /** Runs `work` holding one slot. */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await work();
    } finally {
      release();
    }
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
  } else if (max !== undefined && limiter.maxLimit !== max) {
    limiter.setLimit(max);
  }
  return limiter;
}
