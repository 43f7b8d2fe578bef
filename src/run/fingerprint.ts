/**
 * A job's input fingerprint: one sha256 over a canonical JSON of everything that decides what the
 * job produces (its resolved plan data, the content digests of what it reads, tool versions).
 * Object keys are sorted, so the same inputs give the same fingerprint whatever built the object.
 */
import { sha256Digest } from '../oci/digest.js';

/** Bumped when what goes into fingerprints, or what meshbuild builds from the same inputs, changes. */
const FINGERPRINT_FORMAT = 1;

export function fingerprintOf(inputs: unknown): string {
  return sha256Digest(canonicalJson([FINGERPRINT_FORMAT, inputs]));
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
