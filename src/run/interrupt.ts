/** Ties Ctrl-C (SIGINT) and SIGTERM to an AbortSignal for the duration of one piece of work. */
import { InterruptedError } from '../errors.js';

/** Runs `work` with an AbortSignal that SIGINT/SIGTERM abort; an abort ends in an InterruptedError (exit 130). */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => interrupt.abort(new InterruptedError(signal));
  // `on`, not `once`: execa's exit hook (signal-exit) re-raises a signal when it finds itself the
  // only listener left, which would kill the process before running jobs stop and out/.tmp is cleared.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(interrupt.signal);
  } catch (error) {
    if (interrupt.signal.aborted) throw interrupt.signal.reason;
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
