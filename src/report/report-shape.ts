/**
 * The shape of a JSON report read back (`merge` shards, `push --from`, a release's own steps):
 * every field the readers use, with its type. A report edited by hand or cut short is a user's
 * input, so a wrong field is exit 2 naming the file and the field (`images[2].platforms[0].digest`),
 * never a crash further on.
 */
import { usageError } from '../errors.js';

const JOB_STATUSES = ['succeeded', 'failed', 'skipped', 'not-run'];

type Check = (value: unknown, at: string) => void;

/** Checks the parsed report `value`; throws a usage error naming `file` and the first wrong field. */
export function checkReportShape(value: Record<string, unknown>, file: string): void {
  const wrong = (at: string, expected: string, found: unknown): never => {
    throw usageError(`${file}: ${at} must be ${expected}, not ${describeValue(found)}`, {
      hint: 'pass a report written by meshbuild --report, unedited',
    });
  };
  const string: Check = (v, at) => {
    if (typeof v !== 'string') wrong(at, 'a string', v);
  };
  const number: Check = (v, at) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) wrong(at, 'a number', v);
  };
  const boolean: Check = (v, at) => {
    if (typeof v !== 'boolean') wrong(at, 'true or false', v);
  };
  const optional =
    (check: Check): Check =>
    (v, at) => {
      if (v !== undefined) check(v, at);
    };
  const array =
    (each: Check): Check =>
    (v, at) => {
      if (!Array.isArray(v)) return wrong(at, 'an array', v);
      v.forEach((item, i) => each(item, `${at}[${i}]`));
    };
  const object =
    (fields: Record<string, Check>): Check =>
    (v, at) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return wrong(at, 'an object', v);
      const record = v as Record<string, unknown>;
      for (const [name, check] of Object.entries(fields)) check(record[name], at === '' ? name : `${at}.${name}`);
    };
  const oneOf =
    (allowed: string[]): Check =>
    (v, at) => {
      if (typeof v !== 'string' || !allowed.includes(v)) wrong(at, `one of ${allowed.join(', ')}`, v);
    };

  const platformImage = object({ platform: string, digest: string, size: number, mediaType: string, compressedSize: optional(number) });
  const image = object({
    image: string,
    variant: string,
    repository: string,
    refs: array(string),
    digest: string,
    mediaType: string,
    size: number,
    platforms: array(platformImage),
    durationMs: optional(number),
  });
  const job = object({
    id: string,
    kind: string,
    title: optional(string),
    status: oneOf(JOB_STATUSES),
    error: optional(object({ message: string, detail: optional(string) })),
    reason: optional(string),
  });
  object({
    version: optional(string),
    platforms: array(string),
    hubs: array(string),
    tags: array(string),
    ok: optional(boolean),
    jobs: array(job),
    images: array(image),
  })(value, '');
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
