/**
 * The one tag writer: the last step of every publishing command (`all --push`, `push --from`,
 * `mirror`, `merge`, `release`). Every image is stored by digest before it starts. It reads what
 * every tag names now, writes the immutable version tags first and the moving ones (`latest`,
 * `1.5`, branch names) last, retries tag writes much harder than blobs, and on a failure retries
 * cannot cure, or on Ctrl-C, puts every moved tag back and deletes every new one where the store
 * allows it. What could not be undone goes into a journal and into the error, with the command
 * that finishes the job.
 */
import { setTimeout as sleep } from 'node:timers/promises';
// The one function, not semver's index: that loads all fifty of its modules on every run.
import validSemver from 'semver/functions/valid.js';
import { InterruptedError, isMeshbuildError, MeshbuildError, stepError } from '../errors.js';
import type { Descriptor } from '../oci/types.js';
import type { ImageStore } from './image-store.js';
import { describeTagStates, removeJournal, writeJournal, type TagState } from './tags-journal.js';

/** A tag to point at an index the store already holds. */
export interface TagWrite {
  store: ImageStore;
  tag: string;
  index: Descriptor;
  /** The index's bytes, for stores that take the manifest with the tag. */
  bytes: Buffer;
}

export interface TagResult extends TagWrite {
  /** `unchanged`: the tag already named the index, nothing was sent. */
  status: 'written' | 'unchanged';
  /** What the tag named before the run. */
  before: Descriptor | undefined;
}

export interface TagPhaseOptions {
  /** Ctrl-C: stops the writes and undoes those done. */
  signal?: AbortSignal;
  /** Where to record tags that could not be undone (`out/tags-journal.json`). */
  journalFile: string;
  /** The command that completes the phase when run again, for messages. */
  rerun: string;
  /** How long one tag may be retried in all. Default 5 minutes. */
  deadlineMs?: number;
  /** How long undoing may take after Ctrl-C (the user is waiting). Default 2 s. */
  interruptedUndoMs?: number;
  /** First wait between attempts; doubles up to 30 s. Default 1 s. */
  baseDelayMs?: number;
  progress?(line: string): void;
  /**
   * Tags seen naming their target earlier in this run (an up-to-date image's check): counted as
   * already right without reading them again. Default: every tag is read.
   */
  alreadyNamed?(write: TagWrite): boolean;
}

const DEFAULT_DEADLINE_MS = 5 * 60_000;
const MAX_BACKOFF_MS = 30_000;

/** `latest`, `1.5`, `main`: tags that move from release to release. Full versions (`1.5.1`, `1.5.1-distroless`) do not. */
export function isMovingTag(tag: string): boolean {
  return validSemver(tag) === null;
}

/** Version tags first, moving tags last; otherwise in the order given. */
export function tagWriteOrder<T extends { tag: string }>(writes: readonly T[]): T[] {
  return [...writes.filter((w) => !isMovingTag(w.tag)), ...writes.filter((w) => isMovingTag(w.tag))];
}

export function tagReference(write: Pick<TagWrite, 'store' | 'tag'>): string {
  return `${write.store.name}:${write.tag}`;
}

export async function runTagPhase(writes: readonly TagWrite[], options: TagPhaseOptions): Promise<TagResult[]> {
  const unique = dedupe(writes);
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const retry = <T>(what: string, work: Attempt<T>) => retryHard(what, work, { deadlineMs, baseDelayMs: options.baseDelayMs ?? 1000, signal: options.signal });

  throwIfAborted(options.signal);
  options.progress?.(`reading ${unique.length} tags`);
  const results = await Promise.all(
    unique.map(async (write): Promise<TagResult> => {
      if (options.alreadyNamed?.(write)) return { ...write, before: write.index, status: 'unchanged' };
      const before = await retry(`read ${tagReference(write)}`, (signal) => write.store.resolveTag(write.tag, signal));
      return { ...write, before, status: before?.digest === write.index.digest ? 'unchanged' : 'written' };
    }),
  );
  const pending = tagWriteOrder(results.filter((r) => r.status === 'written'));
  // The bytes of what each moving tag names now, read before anything changes: undoing then needs only writes.
  const previous = new Map<TagResult, Buffer>();
  await Promise.all(
    pending
      .filter((r) => r.before)
      .map(async (r) => previous.set(r, await retry(`read ${tagReference(r)}`, (signal) => r.store.readManifest(r.before!, signal)))),
  );

  options.progress?.(`writing ${pending.length} tags (${results.length - pending.length} already right)`);
  const touched: TagResult[] = [];
  try {
    for (const result of pending) {
      throwIfAborted(options.signal);
      touched.push(result); // before the write: an interrupted write may still land
      await retry(`write ${tagReference(result)}`, (signal) => result.store.putManifest(result.index, result.bytes, result.tag, signal));
    }
  } catch (error) {
    const interrupted = error instanceof InterruptedError || options.signal?.aborted === true;
    // One budget for all of the undoing (each request included): after Ctrl-C the user is waiting.
    const undoUntil = Date.now() + (interrupted ? (options.interruptedUndoMs ?? 1500) : deadlineMs);
    const states = await undo(touched, previous, (what, work) => retryHard(what, work, { deadlineMs: undoUntil - Date.now(), baseDelayMs: 200 }));
    throw await undoneError(error, interrupted, states, options);
  }
  await removeJournal(options.journalFile);
  return results;
}

/** One write per store and tag; two different indexes for one tag is a bug in the caller. */
function dedupe(writes: readonly TagWrite[]): TagWrite[] {
  const byReference = new Map<string, TagWrite>();
  for (const write of writes) {
    const reference = tagReference(write);
    const seen = byReference.get(reference);
    if (seen && seen.index.digest !== write.index.digest)
      throw new Error(`Internal error: ${reference} would name both ${seen.index.digest} and ${write.index.digest}`);
    if (!seen) byReference.set(reference, write);
  }
  return [...byReference.values()];
}

/** One attempt of an operation; `signal` ends it (Ctrl-C, or the deadline). */
type Attempt<T> = (signal: AbortSignal) => Promise<T>;
type Retrier = <T>(what: string, work: Attempt<T>) => Promise<T>;

/**
 * Puts moved tags back and deletes new ones, newest first. Each tag is read first (a write that
 * failed or was cut off may not have landed: nothing to undo) and again after undoing it.
 */
async function undo(touched: readonly TagResult[], previous: Map<TagResult, Buffer>, retry: Retrier): Promise<TagState[]> {
  const states: TagState[] = [];
  for (const result of [...touched].reverse()) {
    const state: TagState = { reference: tagReference(result), before: result.before?.digest, intended: result.index.digest, now: undefined, undone: false };
    const readBack = async (last: boolean) => {
      try {
        state.now = (await retry(`read ${state.reference}`, (signal) => result.store.resolveTag(result.tag, signal)))?.digest;
      } catch (error) {
        if (last) state.problem ??= `could not read it back: ${(error as Error).message}`;
        state.now = 'unknown';
      }
      state.undone = state.now === state.before;
    };
    await readBack(false);
    if (!state.undone) {
      try {
        if (result.before) {
          await retry(`put back ${state.reference}`, (signal) => result.store.putManifest(result.before!, previous.get(result)!, result.tag, signal));
        } else if (!(await retry(`delete ${state.reference}`, (signal) => result.store.deleteTag(result.tag, signal)))) {
          state.problem = 'the store refused to delete it (registries often do not allow deleting tags)';
        }
      } catch (error) {
        state.problem = (error as Error).message;
      }
      await readBack(true);
    }
    states.unshift(state);
  }
  return states;
}

async function undoneError(cause: unknown, interrupted: boolean, states: TagState[], options: TagPhaseOptions): Promise<MeshbuildError> {
  const left = states.filter((s) => !s.undone);
  const undone = states.filter((s) => s.undone);
  const lines: string[] = [];
  if (undone.length > 0) lines.push(`as before the run again (${undone.length}): ${undone.map((s) => s.reference).join(', ')}`);
  if (left.length > 0) {
    await writeJournal(options.journalFile, { command: options.rerun, interrupted, tags: states });
    lines.push(`could not be undone (${left.length}), recorded in ${options.journalFile}:`, ...describeTagStates(left));
  } else {
    lines.push(states.length === 0 ? 'no tag had been written' : 'every tag is as it was before the run');
  }
  const hint = `run \`${options.rerun}\` again once the registry answers: it finishes the tags (everything else is already pushed)`;
  if (interrupted) return new InterruptedError(cause instanceof InterruptedError ? cause.signal : 'SIGINT', { detail: lines.join('\n'), hint });
  const message = isMeshbuildError(cause) ? cause.message : String(cause);
  return stepError(`the tag phase failed: ${message}`, {
    cause,
    detail: [cause instanceof MeshbuildError ? cause.detail : undefined, ...lines].filter(Boolean).join('\n'),
    hint,
  });
}

interface HardRetry {
  deadlineMs: number;
  baseDelayMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * Retries transient failures (429, 5xx, dropped connections) until the deadline, honouring a
 * registry's Retry-After however long, as long as it ends before the deadline. No attempt
 * outlives the deadline, even against a registry that never answers.
 */
export async function retryHard<T>(what: string, work: Attempt<T>, policy: HardRetry): Promise<T> {
  const giveUpAt = Date.now() + policy.deadlineMs;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(policy.signal);
    const timeout = AbortSignal.timeout(Math.max(1, giveUpAt - Date.now()));
    const signal = policy.signal ? AbortSignal.any([policy.signal, timeout]) : timeout;
    try {
      return await raceAbort(work(signal), signal);
    } catch (error) {
      throwIfAborted(policy.signal);
      if (timeout.aborted) throw stepError(`${what}: no answer within ${Math.ceil(policy.deadlineMs / 1000)} s`, { cause: error });
      if (!isTransient(error)) throw error;
      const wait = retryAfterOf(error) ?? Math.min(MAX_BACKOFF_MS, policy.baseDelayMs * 2 ** (attempt - 1));
      if (Date.now() + wait > giveUpAt) throw error;
      try {
        await sleep(wait, undefined, policy.signal ? { signal: policy.signal } : {});
      } catch {
        throwIfAborted(policy.signal);
      }
    }
  }
}

function isTransient(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'retryable' in error && error.retryable === true;
}

function retryAfterOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'retryAfterMs' in error && typeof error.retryAfterMs === 'number' ? error.retryAfterMs : undefined;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

/** Settles with `work`, or rejects as soon as `signal` aborts (the request may still finish on its own). */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new InterruptedError());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
