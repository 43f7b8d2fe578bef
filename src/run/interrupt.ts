/**
 * Ties Ctrl-C (SIGINT) and SIGTERM to an AbortSignal for the duration of one piece of work, and
 * (for the command line) ends the process cleanly when a signal comes while no such work runs.
 */
import { setMaxListeners } from 'node:events';
import { EXIT_INTERRUPTED, InterruptedError } from '../errors.js';

/**
 * An AbortController for a signal that every running operation listens to at once (a run's
 * Ctrl-C, a client's cancellation): each removes its listener when done, so Node's leak warning
 * at 11 listeners would only be noise.
 */
export function sharedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** How many `withInterrupt` scopes are running: while any is, they own the signals. */
let activeScopes = 0;

/** Runs `work` with an AbortSignal that SIGINT/SIGTERM abort; an abort ends in an InterruptedError (exit 130). */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const interrupt = sharedAbortController();
  const onSignal = (signal: NodeJS.Signals) => interrupt.abort(new InterruptedError(signal));
  // `on`, not `once`: execa's exit hook (signal-exit) re-raises a signal when it finds itself the
  // only listener left, which would kill the process before running jobs stop and out/.tmp is cleared.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  activeScopes++;
  try {
    return await work(interrupt.signal);
  } catch (error) {
    if (interrupt.signal.aborted) throw interrupt.signal.reason;
    throw error;
  } finally {
    activeScopes--;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * For the `meshbuild` executable only (not for tests running `main` in-process): a signal that
 * comes while no `withInterrupt` work runs (parsing, tool checks, between steps) ends the process
 * at once with exit 130 and the same one line as an interrupted run, instead of Node's silent
 * default. A second signal while work is being stopped ends it the same way (a stuck cleanup
 * cannot hold the terminal).
 */
export function installInterruptFallback(stderr: NodeJS.WritableStream = process.stderr): void {
  let seen = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    seen++;
    if (activeScopes > 0 && seen === 1) return;
    stderr.write(`error: interrupted by ${signal}\n`);
    process.exit(EXIT_INTERRUPTED);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
