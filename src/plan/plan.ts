/**
 * graph + request -> plan. A synchronous, pure function: no disk, no processes, no clock; the
 * same inputs give the same plan, which is what `meshbuild plan --json` prints.
 */
import path from 'node:path';
import { usageError } from '../errors.js';
import type { ArtifactOverride, IstioDeps } from '../fetch/artifact-template.js';
import type { SourceOrigin } from '../go/git-stamp.js';
import { NO_GIT, expandLdflags, type GitStamp } from '../go/ldflags.js';
import { baseImagesOf, type FileTarget, type Graph, type ImageNode } from '../graph/graph.js';
import { selectTargets } from '../graph/select.js';
import { fillImageArg } from '../image/image-args.js';
import { fillStandsFor, fromLineArgs } from '../image/stands-for.js';
import { formatPlatform, platformDirName, samePlatform, type Platform } from '../platform.js';
import { chooseBuilder } from './builder-choice.js';
import type { ExtraMetadata } from './image-metadata.js';
import { buildMetadata, runEpoch, sourceMetadataOf } from './plan-metadata.js';
import { istioDepsOf, planFetches } from './plan-fetches.js';
import { orderJobs } from './order.js';
import {
  PLAN_SCHEMA_VERSION,
  type BuilderChoice,
  type ContextEntry,
  type GoBuildJob,
  type ImageBuildJob,
  type ImageOutput,
  type Job,
  type Plan,
} from './types.js';

export interface PlanRequest {
  /** Target, image, group or `kind:name` selectors; empty means the `all` group. */
  targets: string[];
  platforms: Platform[];
  variants: string[];
  hubs: string[];
  tags: string[];
  /** Stamped into binaries. */
  version: string;
  outDir: string;
  binariesOnly: boolean;
  builder: BuilderChoice;
  /** Where images go; null with binariesOnly. */
  output: ImageOutput | null;
  /** Environment for `{env:NAME}` placeholders in artifact URLs (passed in: planning reads nothing). */
  env: Readonly<Record<string, string | undefined>>;
  /** `<source>/istio.deps` as read at the edge (`readIstioDeps`), for `{deps:NAME}`. Default: not read (a pin is then missing). */
  deps?: IstioDeps;
  /** Local builds the user gave (`--artifact`, Istio's variables), by artifact name (`resolveArtifactOverrides`). Default: none. */
  artifactOverrides?: ReadonlyMap<string, ArtifactOverride>;
  /** The source's git state for `{git.*}` in ldflags, read once per run (`readGitStamp`). Default: as outside a checkout. */
  git?: GitStamp;
  /**
   * Build args for every image whose Dockerfile declares them, over its targets' and variant's
   * (`runBuildArgs`: the checkout's BASE_VERSION / ISTIO_BASE_REGISTRY, Istio's variables, `--build-arg`). Default: none.
   */
  buildArgs?: Readonly<Record<string, string>>;
  /** The source's remote, commit and commit time (`readSourceOrigin`), for image metadata. Default: none. */
  origin?: SourceOrigin;
  /** SOURCE_DATE_EPOCH, checked at the edge. Default: the commit time, else 0. */
  sourceDateEpoch?: number;
  /** `--label`, `--annotation`. Default: none. */
  extraMetadata?: ExtraMetadata;
  /** `--attest`: attestations, which only buildx writes (`auto` then picks it). Default off. */
  attest?: boolean;
}

export function createPlan(graph: Graph, request: PlanRequest): Plan {
  const selection = selectTargets(graph, request.targets.length > 0 ? request.targets : ['all']);
  for (const variant of request.variants) {
    if (!graph.variants.has(variant)) {
      throw usageError(`--variants: no variant named "${variant}"`, { hint: `known variants: ${[...graph.variants.keys()].join(', ')}` });
    }
  }

  // Every image asked for, with its in-graph bases, bases first.
  const images: ImageNode[] = [];
  for (const name of selection.images) {
    const node = graph.images.get(name)!;
    for (const image of [...baseImagesOf(graph, node), node]) if (!images.includes(image)) images.push(image);
  }

  // Which files (binaries, artifacts) to produce for which platforms.
  const wanted = new Map<FileTarget, Platform[]>();
  const want = (target: FileTarget, platforms: Platform[]) => {
    const list = wanted.get(target) ?? [];
    for (const p of platforms) if (!list.some((q) => samePlatform(p, q))) list.push(p);
    wanted.set(target, list);
  };
  for (const image of images) for (const input of image.inputs) want(input, request.platforms);
  for (const name of selection.files) {
    const target = graph.fileTargets.get(name)!;
    want(target, target.kind === 'binary' ? [...request.platforms, ...target.extraPlatforms] : request.platforms);
  }

  const fileJobs = new Map<string, string>(); // `${name}@${platform}` -> job id
  const fetches = planFetches(graph, request, wanted);
  for (const job of fetches) fileJobs.set(fileKey(job.artifact, job.platform), job.id);
  const jobs: Job[] = [...planGoBuilds(graph, request, wanted, fileJobs), ...fetches];

  if (!request.binariesOnly) {
    const imageJobs = orderJobs(planImages(graph, request, images, fileJobs));
    jobs.push(...imageJobs);
    if (request.output && request.output.kind !== 'docker' && !(request.output.kind === 'registry' && !request.output.tags)) {
      jobs.push({
        kind: 'publish',
        id: 'publish',
        needs: imageJobs.map((j) => j.id),
        title:
          request.output.kind === 'registry'
            ? `tag ${imageJobs.length} images in ${request.hubs.join(', ')}`
            : `name ${imageJobs.length} images in ${request.output.kind}:${request.output.dir}`,
        images: imageJobs.map((j) => j.id),
      });
    }
  }

  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    version: request.version,
    platforms: request.platforms,
    variants: request.variants,
    hubs: request.hubs,
    tags: request.tags,
    outDir: request.outDir,
    sourceDir: graph.sourceDir,
    sourceDateEpoch: runEpoch(request.sourceDateEpoch, request.origin),
    output: request.binariesOnly ? null : request.output,
    jobs: withPublishInPlanOrder(orderJobs(checkJobNeeds(jobs))),
  };
}

/** The publish job names the images (and writes their tags) in the order the plan lists them. */
function withPublishInPlanOrder(jobs: Job[]): Job[] {
  const images = jobs.filter((j) => j.kind === 'image-build').map((j) => j.id);
  return jobs.map((j) => (j.kind === 'publish' ? { ...j, needs: images, images } : j));
}

/**
 * Every job a job needs must be in the plan. A missing one is a bug in planning, not a dependency
 * that is satisfied by being absent (which would run the job without what it builds on).
 */
export function checkJobNeeds<T extends Pick<Job, 'id' | 'needs'>>(jobs: T[]): T[] {
  const ids = new Set(jobs.map((job) => job.id));
  for (const job of jobs) {
    const missing = job.needs.filter((id) => typeof id !== 'string' || !ids.has(id));
    if (missing.length > 0) {
      throw new Error(
        `Internal error: planning made job ${job.id} need ${missing.map((id) => JSON.stringify(id ?? null)).join(', ')}, which the plan does not have`,
      );
    }
  }
  return jobs;
}

/** `out/linux_arm64/pilot-discovery` (`.exe` on Windows), as Istio lays out its binaries. */
export function binaryOutputPath(outDir: string, platform: Platform, name: string): string {
  return path.join(outDir, platformDirName(platform), platform.os === 'windows' ? `${name}.exe` : name);
}

function fileKey(name: string, platform: Platform): string {
  return `${name}@${formatPlatform(platform)}`;
}

/**
 * One `go build -o DIR pkg...` per platform and flag set: Go compiles shared packages once and
 * links in parallel, which beats a process per binary (scripts/bench-go-batch measures it).
 */
function planGoBuilds(graph: Graph, request: PlanRequest, wanted: Map<FileTarget, Platform[]>, fileJobs: Map<string, string>): GoBuildJob[] {
  const batches = new Map<string, GoBuildJob>();
  for (const [target, platforms] of wanted) {
    if (target.kind !== 'binary') continue;
    for (const platform of platforms) {
      const values = { version: request.version, platform, git: request.git ?? NO_GIT, hub: request.hubs[0]?.replace(/\/+$/, '') ?? '' };
      const ldflags = [...graph.defaults.goLdflags, ...target.ldflags].map((flag) => expandLdflags(flag, values)).join(' ');
      const flagsKey = JSON.stringify([target.tags, target.cgo, ldflags]);
      let batchKey = `${formatPlatform(platform)} ${flagsKey}`;
      // `go build -o DIR` names outputs after the package's last element: two alike must not share a batch.
      const packageBase = path.posix.basename(target.package);
      let suffix = 1;
      while (batches.get(batchKey)?.binaries.some((b) => path.posix.basename(b.package) === packageBase)) {
        batchKey = `${formatPlatform(platform)} ${flagsKey} ${++suffix}`;
      }
      let job = batches.get(batchKey);
      if (!job) {
        const sameDir = [...batches.values()].filter((b) => samePlatform(b.platform, platform)).length;
        job = {
          kind: 'go-build',
          id: `go:${platformDirName(platform)}${sameDir > 0 ? `#${sameDir + 1}` : ''}`,
          needs: [],
          title: '',
          platform,
          binaries: [],
          tags: target.tags,
          cgo: target.cgo,
          ldflags,
          sourceDir: graph.sourceDir,
          ...(suffix > 1 ? { sameFlagsBatch: suffix } : {}),
        };
        batches.set(batchKey, job);
      }
      job.binaries.push({ name: target.name, package: target.package, output: binaryOutputPath(request.outDir, platform, target.name) });
      fileJobs.set(fileKey(target.name, platform), job.id);
    }
  }
  const lastOfPlatform = new Map<string, string>();
  for (const job of batches.values()) {
    job.binaries.sort((a, b) => a.name.localeCompare(b.name));
    job.title = `go build ${formatPlatform(job.platform)}: ${job.binaries.map((b) => b.name).join(', ')}`;
    // Batches of one platform run one after another: run together, each would compile the packages
    // they share (the standard library, common modules) itself, as Go's cache has none of them yet.
    // `go build` already spreads one batch over every core. An order only: one failing stops no other.
    const previous = lastOfPlatform.get(formatPlatform(job.platform));
    if (previous !== undefined) job.after = [previous];
    lastOfPlatform.set(formatPlatform(job.platform), job.id);
  }
  return [...batches.values()];
}

function planImages(graph: Graph, request: PlanRequest, images: ImageNode[], fileJobs: Map<string, string>): ImageBuildJob[] {
  const jobs: ImageBuildJob[] = [];
  const argValues = { version: request.version, env: request.env, deps: istioDepsOf(graph, request) };
  const run = sourceMetadataOf(request.version, runEpoch(request.sourceDateEpoch, request.origin), request.origin, request.extraMetadata);
  const firstRefOf = (jobId: string) => jobs.find((j) => j.id === jobId)?.variants[0]?.refs[0];
  // (image, variant) -> the build job serving it.
  const buildFor = new Map<string, ImageBuildJob>();
  for (const image of images) {
    // --load hands images to a Docker Engine, which only buildx talks to.
    const { builder, reason } =
      request.builder === 'auto' && (request.output?.kind === 'docker' || request.attest)
        ? { builder: 'buildx' as const, reason: `auto: ${request.attest ? '--attest' : '--load'} needs buildx` }
        : chooseBuilder(image.parsedDockerfile, request.builder);
    const contextDir = path.join(request.outDir, 'context', image.name);
    const context = contextEntries(graph, image, request.platforms, request.outDir);
    const fileNeeds = image.inputs.flatMap((input) => request.platforms.map((p) => fileJobs.get(fileKey(input.name, p))!));
    const byInputs = new Map<string, ImageBuildJob>();
    for (const variantName of request.variants) {
      const variant = graph.variants.get(variantName)!;
      const buildArgs: Record<string, string> = {};
      for (const [key, template] of Object.entries(image.args)) if (image.declaredArgs.has(key)) buildArgs[key] = fillImageArg(template, argValues);
      for (const [key, value] of Object.entries(variant.args)) if (image.declaredArgs.has(key)) buildArgs[key] = value;
      for (const [key, value] of Object.entries(request.buildArgs ?? {})) if (image.declaredArgs.has(key)) buildArgs[key] = value;
      const bases = image.bases.map((b) => {
        const base = { name: b.name, jobId: buildFor.get(`${b.name} ${variantName}`)!.id };
        const reference = standsForReference(graph.images.get(b.name)!, image, buildArgs);
        return reference !== undefined ? { ...base, reference } : base;
      });
      // Variants whose effective inputs are equal give byte-identical images: build once, tag for each.
      const inputsKey = JSON.stringify([Object.entries(buildArgs).sort(), bases]);
      let job = byInputs.get(inputsKey);
      if (!job) {
        job = {
          kind: 'image-build',
          id: byInputs.size === 0 ? `image:${image.name}` : `image:${image.name}:${variantName}`,
          needs: [...new Set([...fileNeeds, ...bases.map((b) => b.jobId)])],
          title: '',
          image: image.name,
          builder,
          builderReason: reason,
          platforms: request.platforms,
          dockerfile: image.dockerfile,
          // A variant's own build stages its own context: both builds run at once, and one must
          // not replace the folder the other is building from.
          contextDir: byInputs.size === 0 ? contextDir : `${contextDir}+${variantName}`,
          context,
          buildArgs,
          bases,
          variants: [],
          repositories: request.hubs.map((hub) => `${hub.replace(/\/+$/, '')}/${image.name}`),
          metadata: buildMetadata(image, run, buildArgs, bases, request.platforms[0]!, firstRefOf),
        };
        byInputs.set(inputsKey, job);
        jobs.push(job);
      }
      job.variants.push({ variant: variantName, refs: imageRefs(request, image.name, variant.tagSuffix) });
      buildFor.set(`${image.name} ${variantName}`, job);
    }
    for (const job of byInputs.values()) {
      const variants = job.variants.map((v) => v.variant);
      job.title = `${job.builder} ${image.name}${variants.length > 1 || variants[0] !== 'default' ? ` [${variants.join(', ')}]` : ''} ${request.platforms.map(formatPlatform).join(',')}`;
    }
  }
  return jobs;
}

/**
 * The reference `base` stands for in `image`'s FROM lines (filled with the args they see), if it
 * declares one. A consumer whose FROM lines do not see those args (`FROM base`, the shipped
 * Dockerfiles) cannot name that reference: it reaches the base by name only.
 */
function standsForReference(base: ImageNode, image: ImageNode, buildArgs: Record<string, string>): string | undefined {
  if (base.standsFor === undefined) return undefined;
  const filled = fillStandsFor(base.standsFor, fromLineArgs(image.parsedDockerfile, buildArgs));
  return 'reference' in filled ? filled.reference : undefined;
}

function imageRefs(request: PlanRequest, image: string, suffix: string): string[] {
  // --load without --hub names images `pilot:TAG` in the engine, as layouts and tar files do.
  if (request.output?.kind === 'registry' || (request.output?.kind === 'docker' && request.hubs.length > 0)) {
    return request.hubs.flatMap((hub) => request.tags.map((tag) => `${hub.replace(/\/+$/, '')}/${image}:${tag}${suffix}`));
  }
  return request.tags.map((tag) => `${image}:${tag}${suffix}`);
}

/** What goes into an image's minimal build context: `<arch>/<name>` per input, plus declared files. */
function contextEntries(graph: Graph, image: ImageNode, platforms: Platform[], outDir: string): ContextEntry[] {
  const entries: ContextEntry[] = [];
  for (const input of image.inputs) {
    for (const platform of platforms) {
      const from = input.kind === 'artifact' ? path.join(outDir, platformDirName(platform), input.fileName) : binaryOutputPath(outDir, platform, input.name);
      entries.push({ from, to: `${contextArchDir(platform)}/${input.kind === 'artifact' ? input.fileName : input.name}`, platform, root: 'build' });
    }
  }
  for (const file of image.files) {
    entries.push({ from: file.root === 'source' ? path.resolve(graph.sourceDir, file.from) : file.from, to: file.to, root: file.root });
  }
  return entries;
}

/** `amd64`, `arm64`, `arm` (v7): matches `${TARGETARCH}` in Dockerfiles. */
export function contextArchDir(platform: Platform): string {
  return platform.variant && platform.architecture === 'arm' && platform.variant !== 'v7' ? `arm${platform.variant}` : platform.architecture;
}
