/**
 * A plan: the jobs one run will do and what each needs first. It is data (printed by
 * `meshbuild plan --json`, compared in tests); the scheduler runs nothing that is not in it.
 */
import type { Platform } from '../platform.js';
import type { ImageMetadata } from './image-metadata.js';

export const PLAN_SCHEMA_VERSION = 1;

export type BuilderName = 'buildx' | 'native';
export type BuilderChoice = BuilderName | 'auto';

/** Where built images go. `registry`: pushed (by digest, tags last); `oci`/`tar`: files; `docker`: the local engine. */
export type ImageOutput =
  /** `tags: false` pushes by digest only (a CI shard); `merge` writes the tags later. */
  { kind: 'registry'; tags: boolean } | { kind: 'oci'; dir: string } | { kind: 'tar'; dir: string } | { kind: 'docker' };

interface JobBase {
  id: string;
  /** Jobs that must succeed first. */
  needs: string[];
  /** Jobs that must have ended first, whatever their outcome: an order, not a dependency. */
  after?: string[];
  /** One line for people: what this job does. */
  title: string;
}

export interface GoBinaryOutput {
  name: string;
  /** Go package path relative to the source root. */
  package: string;
  /** Absolute path of the finished binary. */
  output: string;
}

export interface GoBuildJob extends JobBase {
  kind: 'go-build';
  platform: Platform;
  binaries: GoBinaryOutput[];
  tags: string[];
  cgo: boolean;
  /** The whole `-ldflags` value, its placeholders filled for this platform. */
  ldflags: string;
  sourceDir: string;
  /**
   * 2, 3...: a further batch of the same platform and flags, for packages whose last element
   * another batch already has (`go build -o DIR` names outputs after it). Absent for the first.
   */
  sameFlagsBatch?: number;
}

export interface FetchJob extends JobBase {
  kind: 'fetch';
  artifact: string;
  platform: Platform;
  /** Download URL (placeholders filled), unless `localPath` is used. */
  url?: string;
  localPath?: string;
  /**
   * Who named `localPath` when the user did (`--artifact envoy=PATH`, ISTIO_ENVOY_LINUX_RELEASE_PATH):
   * such a path is trusted (not confined to the targets' roots). Absent for a targets file's `path:`.
   */
  localPathFrom?: string;
  /** Expected sha256 hex, or where to read it (a published checksum file). */
  sha256?: string;
  sha256Url?: string;
  /** Member of a .tar.gz download to keep. */
  extract?: string;
  output: string;
}

export interface ContextEntry {
  /** Absolute path of a built binary, artifact or declared file/folder. */
  from: string;
  /** Path inside the build context. */
  to: string;
  /** For binaries/artifacts: the platform whose ELF machine the file must have. */
  platform?: Platform;
  /** Declared files from the source tree must stay inside it (checked when staging). */
  root?: 'source' | 'targets' | 'build';
}

export interface ImageVariantTags {
  variant: string;
  /** Full references this variant is published under (`hub/image:tag-suffix`), or layout ref names. */
  refs: string[];
}

export interface ImageBuildJob extends JobBase {
  kind: 'image-build';
  image: string;
  builder: BuilderName;
  /** Why this builder: `auto` explains its choice (`RUN at line 4 needs buildx`). */
  builderReason: string;
  platforms: Platform[];
  dockerfile: string;
  contextDir: string;
  context: ContextEntry[];
  buildArgs: Record<string, string>;
  /**
   * In-graph base images: name used in FROM, and the job that builds it; `reference`, when the
   * base declares `standsFor`, is the registry reference it stands in for in this job's FROM lines.
   */
  bases: Array<{ name: string; jobId: string; reference?: string }>;
  /** Variants served by this one build (byte-identical ones share it) and their tags. */
  variants: ImageVariantTags[];
  /** Repository names per hub the image is pushed to (`hub/image`), for registry output. */
  repositories: string[];
  /** Annotations and labels the image gets (source, revision, version, created, title, base). */
  metadata: ImageMetadata;
}

export interface PublishJob extends JobBase {
  kind: 'publish';
  /** Image-build jobs whose tags this job writes, all together, after all of them succeeded. */
  images: string[];
}

export type Job = GoBuildJob | FetchJob | ImageBuildJob | PublishJob;
export type JobKind = Job['kind'];

export interface Plan {
  schemaVersion: typeof PLAN_SCHEMA_VERSION;
  version: string;
  platforms: Platform[];
  variants: string[];
  hubs: string[];
  tags: string[];
  outDir: string;
  /** The source tree built. */
  sourceDir: string;
  /**
   * Seconds since 1970 of every time in the images (config `created`, layer times, the `created`
   * annotation): SOURCE_DATE_EPOCH, else the source's commit time, else 0.
   */
  sourceDateEpoch: number;
  output: ImageOutput | null;
  /** In an order that respects `needs`. */
  jobs: Job[];
}
