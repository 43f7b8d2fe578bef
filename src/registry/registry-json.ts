/**
 * JSON a registry (or its token service) sends, checked where it is read: a wrong shape becomes
 * one RegistryError naming the registry, what was read and its URL, never a TypeError later.
 */
import type { Descriptor } from '../oci/types.js';
import { RegistryError } from './registry-error.js';

/** Where a JSON document came from, for messages. */
export interface JsonSource {
  registry: string;
  /** `token response`, `tag list of mesh/pilot`, `manifest mesh/pilot:1.0`. */
  what: string;
  /** The URL it was read from (no credentials: those travel in headers). */
  url: string;
}

/** A document from a registry that is not the JSON shape the API promises. */
export class RegistryJsonError extends RegistryError {
  readonly url: string;

  constructor(source: JsonSource, problem: string) {
    super(`registry ${source.registry} sent a ${source.what} that ${problem} (${source.url})`, {
      hint: 'the registry (or a proxy in front of it) answered with something other than the distribution API; check the registry address',
      code: 'INVALID_RESPONSE',
    });
    this.name = 'RegistryJsonError';
    this.url = source.url;
  }
}

/** Parses `text` as a JSON object; anything else (not JSON, null, an array, a string) is an error. */
export function parseJsonObject(text: string, source: JsonSource): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RegistryJsonError(source, 'is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RegistryJsonError(source, `is not a JSON object (got ${describeJson(value)})`);
  return value as Record<string, unknown>;
}

/** `null`, `an array`, `a string`, ... for messages. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Whether `value` has a descriptor's required fields: mediaType and digest strings, size a whole number. */
export function isDescriptor(value: unknown): value is Descriptor {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as Record<string, unknown>;
  return (
    typeof d.mediaType === 'string' &&
    typeof d.digest === 'string' &&
    /^[a-z0-9]+:[a-f0-9]+$/i.test(d.digest) &&
    Number.isSafeInteger(d.size) &&
    (d.size as number) >= 0
  );
}
