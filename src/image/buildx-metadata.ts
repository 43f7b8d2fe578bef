/**
 * The plan's image metadata as a bake target's `labels` and `annotations` (`index:` / `manifest:`).
 * buildx refuses index annotations on a single-platform output, whose index meshbuild writes
 * itself, and the engine's image store (--load) takes none. `base.digest` is known for a base
 * read from a registry or built natively (an `oci-layout://DIR@DIGEST` context), not for one
 * built in the same bake session.
 */
import { withBaseDigest } from '../plan/image-metadata.js';
import type { ImageBuildJob } from '../plan/types.js';
import { formatReference, parseReference } from '../registry/reference.js';

/** The name BuildKit looks a named context up by for `FROM <reference>`: its familiar form, no `:latest`. */
export function namedContextKey(reference: string): string {
  return formatReference(parseReference(reference), { familiar: true }).replace(/:latest$/, '');
}

/** The digest of the base the job's last stage starts from, read off its named context (`oci-layout://DIR@DIGEST`). */
export function baseDigestOf(job: ImageBuildJob, namedContexts: Record<string, string>): string | undefined {
  const from = job.metadata.base?.from;
  if (from === undefined) return undefined;
  let familiar: string | undefined;
  try {
    familiar = namedContextKey(from);
  } catch {
    familiar = undefined;
  }
  const context = namedContexts[from] ?? (familiar !== undefined ? namedContexts[familiar] : undefined);
  return /^oci-layout:\/\/.*@(sha256:[0-9a-f]{64})$/.exec(context ?? '')?.[1];
}

export interface BakeMetadata {
  labels: Record<string, string>;
  annotations: string[];
}

export function bakeMetadata(job: ImageBuildJob, namedContexts: Record<string, string>, where: { index: boolean; manifests: boolean }): BakeMetadata {
  const metadata = withBaseDigest(job.metadata, baseDigestOf(job, namedContexts));
  const annotations: string[] = [];
  if (where.index) for (const [key, value] of Object.entries(metadata.indexAnnotations).sort()) annotations.push(`index:${key}=${value}`);
  if (where.manifests) for (const [key, value] of Object.entries(metadata.manifestAnnotations).sort()) annotations.push(`manifest:${key}=${value}`);
  return { labels: Object.fromEntries(Object.entries(metadata.labels).sort()), annotations };
}
