/**
 * How an executor says it did nothing because nothing changed: it returns its last result wrapped
 * in `upToDate`, and the scheduler reports the job as up to date instead of as built.
 */
const UP_TO_DATE = Symbol('meshbuild.up-to-date');

export interface UpToDate {
  readonly [UP_TO_DATE]: true;
  /** What the job's last successful run returned, handed to the jobs that need it. */
  readonly result: unknown;
}

export function upToDate(result: unknown): UpToDate {
  return { [UP_TO_DATE]: true, result };
}

export function isUpToDate(value: unknown): value is UpToDate {
  return typeof value === 'object' && value !== null && UP_TO_DATE in value;
}
