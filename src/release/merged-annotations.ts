/**
 * The annotations of an index `merge` assembles: those every shard's own index agrees on (the
 * source, revision, version, created, title and `--annotation index:` values of one run), so a
 * merged image carries the same metadata as one built in a single run. A value the shards differ
 * on (the base each shard built for its own platform: `base.digest`) is left out.
 */
import { isIndexMediaType } from '../oci/media-types.js';
import type { ImageIndex } from '../oci/types.js';
import type { RegistryClient } from '../registry/client.js';

/** The key/value pairs present, with the same value, in every record; empty for none. Pure. */
export function commonAnnotations(records: ReadonlyArray<Readonly<Record<string, string>>>): Record<string, string> {
  const [first, ...rest] = records;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([key, value]) => rest.every((record) => record[key] === value)));
}

/** Reads each shard's index (by digest) from `repository` and returns the annotations all of them share. */
export async function mergedIndexAnnotations(client: RegistryClient, repository: string, shardIndexes: readonly string[]): Promise<Record<string, string>> {
  const records: Array<Record<string, string>> = [];
  for (const digest of new Set(shardIndexes)) {
    const fetched = await client.getManifest(repository, digest);
    records.push(isIndexMediaType(fetched.mediaType) ? ((fetched.parsed as ImageIndex).annotations ?? {}) : {});
  }
  return commonAnnotations(records);
}
