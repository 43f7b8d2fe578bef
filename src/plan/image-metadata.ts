/**
 * The metadata every image carries: OCI annotations on its index and on each platform's manifest
 * (`org.opencontainers.image.source`, `revision`, `version`, `created`, `title`, `base.name`, and
 * `base.digest` once the base is built or read) and the same as config labels, which replace what
 * the base image says of itself. `--label` and `--annotation` add to it. Pure: the planner puts it
 * in the plan, the builders write it.
 */
import { usageError } from '../errors.js';

const OCI = 'org.opencontainers.image';
export const BASE_DIGEST = `${OCI}.base.digest`;

/**
 * Labels describing an image that a base's config must not pass on to the images built on it:
 * the pilot image is not titled "base". The builders drop them from an inherited config.
 */
export const OWN_LABELS = ['title', 'description', 'version', 'source', 'revision', 'created', 'url', 'documentation', 'base.name', 'base.digest'].map(
  (key) => `${OCI}.${key}`,
);

export interface ImageMetadata {
  /** Annotations of the image's index. */
  indexAnnotations: Record<string, string>;
  /** Annotations of each platform's manifest. */
  manifestAnnotations: Record<string, string>;
  /** Config labels, over the Dockerfile's own (as buildx's `--label` is). */
  labels: Record<string, string>;
  /**
   * The image the last stage starts from, when not scratch: `name` is what `base.name` says (an
   * in-graph base's first reference, or the registry reference); `from` is how FROM names it.
   * The builder adds `base.digest` (the base's index) once it has built or read it.
   */
  base?: { name: string; from: string };
}

/** What the user added: `--label K=V`, `--annotation [index:|manifest:]K=V`. */
export interface ExtraMetadata {
  labels: Record<string, string>;
  indexAnnotations: Record<string, string>;
  manifestAnnotations: Record<string, string>;
}

/** The run's side of every image's metadata. */
export interface SourceMetadata {
  /** https address of the source's repository; none without a remote. */
  source?: string;
  revision?: string;
  version: string;
  /** Seconds since 1970 (SOURCE_DATE_EPOCH, else the commit time, else 0). */
  epoch: number;
  extra?: ExtraMetadata;
}

/** RFC 3339 (UTC, no fraction) of seconds since 1970. */
export function rfc3339(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function imageMetadata(
  image: string,
  run: SourceMetadata,
  base: ImageMetadata['base'],
  /** Labels the Dockerfile's last stage sets itself: an own description is kept. */
  ownLabelKeys: ReadonlySet<string>,
): ImageMetadata {
  const common: Record<string, string> = {
    ...(run.source !== undefined ? { [`${OCI}.source`]: run.source } : {}),
    ...(run.revision !== undefined ? { [`${OCI}.revision`]: run.revision } : {}),
    [`${OCI}.version`]: run.version,
    [`${OCI}.created`]: rfc3339(run.epoch),
    [`${OCI}.title`]: image,
    ...(base ? { [`${OCI}.base.name`]: base.name } : {}),
  };
  // buildx cannot drop an inherited label, only set it: a base's description becomes empty.
  const description: Record<string, string> = base && !ownLabelKeys.has(`${OCI}.description`) ? { [`${OCI}.description`]: '' } : {};
  return {
    indexAnnotations: { ...common, ...run.extra?.indexAnnotations },
    manifestAnnotations: { ...common, ...run.extra?.manifestAnnotations },
    labels: { ...common, ...description, ...run.extra?.labels },
    ...(base ? { base } : {}),
  };
}

/** The metadata with `base.digest` added (where `base.name` is), once the base's index digest is known. */
export function withBaseDigest(metadata: ImageMetadata, digest: string | undefined): Omit<ImageMetadata, 'base'> {
  const add = (record: Record<string, string>) => (digest && metadata.base ? { ...record, [BASE_DIGEST]: digest } : record);
  return { indexAnnotations: add(metadata.indexAnnotations), manifestAnnotations: add(metadata.manifestAnnotations), labels: add(metadata.labels) };
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/** `--label K=V` (repeatable). Throws a usage error naming the flag for a value without a key. */
export function parseLabelFlags(values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values) {
    const [key, rest] = splitPair(value, '--label');
    labels[key] = rest;
  }
  return labels;
}

/** `--annotation [index:|manifest:]K=V` (repeatable): no prefix puts it on both. */
export function parseAnnotationFlags(values: readonly string[]): Pick<ExtraMetadata, 'indexAnnotations' | 'manifestAnnotations'> {
  const indexAnnotations: Record<string, string> = {};
  const manifestAnnotations: Record<string, string> = {};
  for (const value of values) {
    const scope = /^(index|manifest):/.exec(value)?.[1];
    const [key, rest] = splitPair(scope ? value.slice(scope.length + 1) : value, '--annotation');
    if (scope !== 'manifest') indexAnnotations[key] = rest;
    if (scope !== 'index') manifestAnnotations[key] = rest;
  }
  return { indexAnnotations, manifestAnnotations };
}

function splitPair(value: string, flag: string): [string, string] {
  const at = value.indexOf('=');
  const key = at < 0 ? value : value.slice(0, at);
  if (at < 0 || !KEY.test(key)) {
    const form = flag === '--annotation' ? '--annotation [index:|manifest:]KEY=VALUE' : '--label KEY=VALUE';
    throw usageError(`${flag}: "${value}" is not KEY=VALUE`, {
      hint: `e.g. ${form.replace('KEY=VALUE', 'org.opencontainers.image.vendor=Example')} (${form})`,
    });
  }
  return [key, value.slice(at + 1)];
}
