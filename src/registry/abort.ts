/**
 * Cancellation for registry work: one AbortSignal (Ctrl-C, or a failed sibling transfer) ends
 * every request, backoff wait, slot wait and token fetch promptly, with the project's
 * InterruptedError (or the error that cancelled the work), never a retryable network error.
 */
import { setMaxListeners } from 'node:events';
import { InterruptedError, MeshbuildError } from '../errors.js';

/**
 * The error an aborted signal stands for: its reason when that is a MeshbuildError (an
 * InterruptedError from Ctrl-C, or the failure that cancelled sibling transfers), else an
 * InterruptedError.
 */
export function abortError(signal: AbortSignal): MeshbuildError {
  const reason: unknown = signal.reason;
  if (reason instanceof MeshbuildError) return reason;
  return new InterruptedError('cancellation');
}

/** Throws {@link abortError} when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** Settles like `promise`, or rejects with {@link abortError} as soon as `signal` aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Resolves after `ms` milliseconds, or rejects with {@link abortError} when `signal` aborts first. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One signal aborted by whichever of `signals` aborts first; undefined when none is given. */
export function anySignal(...signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  const any = AbortSignal.any(present);
  setMaxListeners(0, any); // shared by every operation of a client: see sharedAbortController
  return any;
}
