/**
 * The `docker buildx bake` definition of a run's buildx images: one target per image (or, on a
 * builder of several nodes, per image and platform), each base of the run linked as a named
 * context `target:<base's target>` so that BuildKit builds it first within the same session.
 * Pure: no files, no Docker.
 */
import { stepError } from '../errors.js';
import { formatPlatform, platformDirName, samePlatform, type Platform } from '../platform.js';
import type { ImageBuildJob } from '../plan/types.js';
import { bakeMetadata, namedContextKey } from './buildx-metadata.js';

/** One image of the session, as its job hands it in. */
export interface BakeImage {
  job: ImageBuildJob;
  contextDir: string;
  /** Named contexts that are not images of the session: registry bases read by meshbuild, bases built natively. */
  contexts: Record<string, string>;
  /** Folder for this image's outputs: `layout` (or `layout-<i>` per platform) is created inside it. */
  outputDir: string;
  /** Build into the local engine under these names instead of an OCI layout. */
  loadNames?: string[];
  /** Called when a target's export has written the blobs of its layout (its index.json comes when the bake ends). */
  onExported?(layoutDir: string): void;
}

/** A target of the definition and what it builds. */
export interface BakeTarget {
  name: string;
  jobId: string;
  image: string;
  platforms: Platform[];
  /** OCI layout buildx writes (absent for --load). */
  layoutDir?: string;
  /** Targets of the session this one links to (its bases). */
  bases: string[];
}

export interface BakeOptions {
  /** One target per platform: a builder of several nodes refuses an OCI-layout output spread over them. */
  perPlatform: boolean;
  /**
   * Provenance/SBOM attestations: their index entries name image manifests by digest, so BuildKit
   * compresses the layers itself and meshbuild does not rewrite those manifests afterwards.
   */
  attest?: boolean;
}

interface BakeFileTarget {
  context: string;
  dockerfile: string;
  platforms: string[];
  args: Record<string, string>;
  contexts?: Record<string, string>;
  labels: Record<string, string>;
  annotations?: string[];
  output: string[];
}

export interface BakeFile {
  group: { default: { targets: string[] } };
  target: Record<string, BakeFileTarget>;
}

/** A bake target name (letters, digits, `_`, `-`) for an image, and a platform when split per platform. */
export function bakeTargetName(job: ImageBuildJob, platform?: Platform): string {
  const name = job.id.replace(/^image:/, '').replace(/[^a-zA-Z0-9_-]/g, '_');
  return platform ? `${name}__${platformDirName(platform)}` : name;
}

/** The definition for the images of a session, in the order given (bases before what is built on them). */
export function bakeDefinition(images: BakeImage[], options: BakeOptions): { file: BakeFile; targets: BakeTarget[] } {
  const file: BakeFile = { group: { default: { targets: [] } }, target: {} };
  const targets: BakeTarget[] = [];
  const inSession = new Map(images.map((i) => [i.job.id, i.job]));
  for (const image of images) {
    const { job } = image;
    const split = options.perPlatform && !image.loadNames && job.platforms.length > 1;
    const parts = split ? job.platforms.map((p, i) => ({ platforms: [p], layout: `layout-${i}` })) : [{ platforms: job.platforms, layout: 'layout' }];
    for (const part of parts) {
      const name = bakeTargetName(job, split ? part.platforms[0] : undefined);
      if (file.target[name]) throw stepError(`two images of the run make the same buildx bake target "${name}"`);
      const contexts: Record<string, string> = { ...image.contexts };
      const bases: string[] = [];
      for (const base of job.bases) {
        const baseJob = inSession.get(base.jobId);
        if (!baseJob) continue;
        const target = baseTargetOf(baseJob, split ? part.platforms[0] : undefined, job, options);
        // One name per link: buildx 0.13 bake resolves only the first of several names linking the
        // same target. A base that stands for a reference is named by it in the FROM lines (that is
        // how the plan found it), in the familiar form BuildKit looks it up by.
        contexts[base.reference !== undefined ? namedContextKey(base.reference) : base.name] = `target:${target}`;
        bases.push(target);
      }
      const layoutDir = image.loadNames ? undefined : `${image.outputDir}/${part.layout}`;
      // Not rewrite-timestamp for --load: the engine's image exporter always unpacks, and buildx
      // refuses rewrite-timestamp together with unpack.
      // Layers uncompressed: meshbuild gzips them itself where the run wants gzip (gzip-layout-layers.ts).
      const output = image.loadNames
        ? `type=image,"name=${image.loadNames.join(',')}"`
        : `type=oci,dest=${layoutDir},tar=false,rewrite-timestamp=true${options.attest ? '' : ',compression=uncompressed'}`;
      const metadata = bakeMetadata(job, image.contexts, { index: !image.loadNames && part.platforms.length > 1, manifests: !image.loadNames });
      file.target[name] = {
        context: image.contextDir,
        dockerfile: job.dockerfile,
        platforms: part.platforms.map(formatPlatform),
        args: Object.fromEntries(Object.entries(job.buildArgs).sort()),
        ...(Object.keys(contexts).length > 0 ? { contexts: Object.fromEntries(Object.entries(contexts).sort()) } : {}),
        labels: metadata.labels,
        ...(metadata.annotations.length > 0 ? { annotations: metadata.annotations } : {}),
        output: [output],
      };
      file.group.default.targets.push(name);
      targets.push({ name, jobId: job.id, image: job.image, platforms: part.platforms, bases, ...(layoutDir ? { layoutDir } : {}) });
    }
  }
  return { file, targets };
}

/** A base's target for `platform` (or its whole target), as the base job split it. */
function baseTargetOf(base: ImageBuildJob, platform: Platform | undefined, job: ImageBuildJob, options: BakeOptions): string {
  const baseSplit = options.perPlatform && base.platforms.length > 1;
  if (!baseSplit) return bakeTargetName(base);
  const wanted = platform ?? (job.platforms.length === 1 ? job.platforms[0] : undefined);
  const match = wanted && base.platforms.find((p) => samePlatform(p, wanted));
  if (!match)
    throw stepError(
      `image ${job.image} needs its base ${base.image} for ${wanted ? formatPlatform(wanted) : 'all its platforms'}, which the run does not build`,
    );
  return bakeTargetName(base, match);
}

/** The `docker buildx bake` arguments for a definition file and the targets to build. */
export function bakeArgs(bakeFile: string, metadataFile: string, targets: string[], options: { builderName?: string; attest: boolean }): string[] {
  const args = ['buildx', 'bake'];
  if (options.builderName) args.push('--builder', options.builderName);
  args.push('--file', bakeFile, '--metadata-file', metadataFile);
  args.push(`--provenance=${options.attest ? 'mode=min' : 'false'}`, `--sbom=${options.attest ? 'true' : 'false'}`);
  args.push('--progress', 'rawjson', ...targets);
  return args;
}
