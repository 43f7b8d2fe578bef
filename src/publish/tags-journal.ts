/**
 * `out/tags-journal.json`: what a tag phase that could not undo itself left behind, so a person
 * (or the next run) can see which tag names what. A phase that completes removes it.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../run/atomic-files.js';

export const TAGS_JOURNAL_FILE = 'tags-journal.json';

/** `<out>/tags-journal.json`, absolute. */
export function journalPath(outDir: string): string {
  return path.resolve(outDir, TAGS_JOURNAL_FILE);
}

/** One tag the phase touched. */
export interface TagState {
  /** `registry/repo:tag` */
  reference: string;
  /** What it named before the run; undefined when it did not exist. */
  before: string | undefined;
  /** What the run meant it to name. */
  intended: string;
  /** What it names now, as read back; `unknown` when it could not be read. */
  now: string | undefined;
  /** True when `now` is `before` again. */
  undone: boolean;
  /** Why it could not be put back. */
  problem?: string;
}

export interface TagsJournal {
  /** The command that completes the phase. */
  command: string;
  interrupted: boolean;
  tags: TagState[];
}

export async function writeJournal(file: string, journal: TagsJournal): Promise<void> {
  // null, not absent, for a tag that did not exist: the file is read by people and scripts.
  const tags = journal.tags.map((t) => ({ ...t, before: t.before ?? null, now: t.now ?? null }));
  const body = { schemaVersion: 1, writtenAt: new Date().toISOString(), ...journal, tags };
  await writeFileAtomic(file, `${JSON.stringify(body, null, 2)}\n`);
}

export async function removeJournal(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** `  127.0.0.1:5555/mesh/pilot:latest names sha256:... (this run's; before: sha256:...; delete refused)` */
export function describeTagStates(states: readonly TagState[]): string[] {
  return states.map((state) => {
    const now = state.now === undefined ? 'nothing' : state.now === state.intended ? `${state.now} (this run's)` : state.now;
    const before = state.before === undefined ? 'did not exist' : state.before;
    return `  ${state.reference} names ${now}; before the run: ${before}${state.problem ? `; ${state.problem}` : ''}`;
  });
}
