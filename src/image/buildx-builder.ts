/**
 * The buildx image builder: each image of the run is a target of one `docker buildx bake` for the
 * whole run (buildx-session.ts), all platforms in one target (or, on a builder of several nodes,
 * one target per platform, joined here into one index), into an OCI layout folder (or, with
 * --load, into the engine's containerd image store). Results come from bake's --metadata-file.
 *
 * Nothing is pulled through BuildKit: bases of the graph are named contexts (their OCI layouts),
 * and so is a `FROM <registry reference>` that no image of the graph stands for, read first
 * through meshbuild's own registry client (as the native builder reads it) into an OCI layout
 * under out/.tmp. The Docker Engine's BuildKit would otherwise fetch it over HTTPS unless the
 * engine's own insecure-registries list names the host (loopback only, by default), ignoring
 * --insecure-registry, and a remote BuildKit daemon would need its own registry configuration.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { stepError } from '../errors.js';
import { formatPlatform, parsePlatform, samePlatform, type Platform } from '../platform.js';
import type { ImageBuildJob } from '../plan/types.js';
import type { Descriptor, ImageIndex } from '../oci/types.js';
import { isIndexMediaType } from '../oci/media-types.js';
import { copyImage } from '../publish/copy-image.js';
import type { ImageStore } from '../publish/image-store.js';
import { LayoutStore } from '../publish/layout-store.js';
import { makeTempDir, moveIntoPlace } from '../run/atomic-files.js';
import type { JobContext } from '../run/scheduler.js';
import type { BuiltImage } from './built-image.js';
import { withBaseDigest } from '../plan/image-metadata.js';
import { baseDigestOf, namedContextKey } from './buildx-metadata.js';
import { joinPlatformLayouts, wrapInIndex } from './buildx-results.js';
import type { BuildxSession } from './buildx-session.js';
import { LayoutLayerGzip } from './gzip-layout-layers.js';
import type { BakeImage } from './bake-definition.js';
import { expandVariables, parseDockerfile, splitWords, type Dockerfile } from './dockerfile.js';
import { platformArgs } from './native/build-steps.js';
import { pickPlatformManifest } from './native/platform-manifest.js';
import { fromLineArgs } from './stands-for.js';

export interface BuildxOptions {
  outDir: string;
  /** The run's one bake session, which builds this image with all the others. */
  session: BuildxSession;
  /** Build into the local engine under these names instead of an OCI layout. */
  loadNames?: string[];
  /** Gzip the layers (BuildKit exports them uncompressed); off for loopback registries, as the native builder does. */
  gzipLayers: boolean;
  /**
   * Resolves a `FROM <reference>` that is not an image of the graph, through meshbuild's registry
   * client (credentials, --insecure-registry). Without it such a base is left to BuildKit to pull.
   */
  openExternalBase?(reference: string): Promise<{ store: ImageStore; index: Descriptor }>;
}

/**
 * Named contexts of the bases that are not built in the same session (built natively): each by its name, and also by the reference it stands
 * for (`standsFor`), which BuildKit then uses for `FROM <reference>` instead of pulling it.
 */
export function namedContextsOf(job: ImageBuildJob, bases: BuiltImage[]): Record<string, string> {
  const contexts: Record<string, string> = {};
  for (const base of job.bases) {
    const built = bases.find((x) => x.jobId === base.jobId)!;
    contexts[base.name] = built.namedContext;
    if (base.reference !== undefined) contexts[namedContextKey(base.reference)] = built.namedContext;
  }
  return contexts;
}

/**
 * The registry images a Dockerfile builds on that no image of the graph is (by name or by the
 * reference it stands for), each with the platforms it is needed for: the target platforms, or a
 * FROM's `--platform`. FROM lines and `COPY --from` images of the stages the last stage needs (as
 * BuildKit resolves only those: `FROM ${BASE_DISTRIBUTION}` leaves the other base unread),
 * expanded as BuildKit does (platform args, global ARGs, build args); scratch left out. Pure;
 * exported for tests.
 */
export function externalBasesOf(dockerfile: Dockerfile, job: ImageBuildJob, buildPlatform: Platform): Map<string, Platform[]> {
  const wanted = new Map<string, Platform[]>();
  const inGraph = (image: string) => job.bases.some((b) => b.name === image || b.reference === image);
  const want = (image: string, platform: Platform) => {
    const platforms = wanted.get(image) ?? [];
    if (!platforms.some((p) => samePlatform(p, platform))) platforms.push(platform);
    wanted.set(image, platforms);
  };
  for (const target of job.platforms) {
    const args = new Map([...platformArgs(target, buildPlatform), ...fromLineArgs(dockerfile, job.buildArgs)]);
    const stages: Array<{ name?: string; from: string; platform: Platform; copiesFrom: string[] }> = [];
    for (const instruction of dockerfile.instructions) {
      if (instruction.keyword === 'FROM') {
        const words = splitWords(expandVariables(instruction.text, args));
        let platform = target;
        if (instruction.flags.platform !== undefined) {
          const parsed = parsePlatform(expandVariables(instruction.flags.platform, args));
          if (parsed.ok) platform = parsed.platform;
        }
        const name = words[1]?.toLowerCase() === 'as' ? words[2]?.toLowerCase() : undefined;
        stages.push({ from: words[0] ?? '', platform, copiesFrom: [], ...(name ? { name } : {}) });
      } else if ((instruction.keyword === 'COPY' || instruction.keyword === 'ADD') && instruction.flags.from !== undefined) {
        stages.at(-1)?.copiesFrom.push(expandVariables(instruction.flags.from, args));
      }
    }
    const visited = new Set<number>();
    const visit = (index: number) => {
      if (visited.has(index)) return;
      visited.add(index);
      const stage = stages[index]!;
      for (const [image, platform] of [[stage.from, stage.platform] as const, ...stage.copiesFrom.map((from) => [from, target] as const)]) {
        const earlier = /^\d+$/.test(image) ? Number(image) : stages.findIndex((s, i) => i < index && s.name === image.toLowerCase());
        if (earlier >= 0 && earlier < index) visit(earlier);
        else if (image !== '' && image !== 'scratch' && !inGraph(image)) want(image, platform);
      }
    };
    if (stages.length > 0) visit(stages.length - 1);
  }
  return wanted;
}

/**
 * Reads each registry base of the Dockerfile through meshbuild's registry client into an OCI
 * layout under `dir` (the index as the registry serves it, and each needed platform's image) and
 * returns them as named contexts.
 */
async function fetchExternalBases(
  job: ImageBuildJob,
  dir: string,
  context: JobContext,
  open: NonNullable<BuildxOptions['openExternalBase']>,
): Promise<Record<string, string>> {
  const dockerfile = parseDockerfile(await readFile(job.dockerfile, 'utf8'), path.relative(process.cwd(), job.dockerfile));
  const buildPlatform: Platform = { os: 'linux', architecture: process.arch === 'arm64' ? 'arm64' : 'amd64' };
  const contexts: Record<string, string> = {};
  let count = 0;
  for (const [reference, platforms] of externalBasesOf(dockerfile, job, buildPlatform)) {
    if (context.signal.aborted) throw context.signal.reason;
    context.progress(`reading base ${reference} (${platforms.map(formatPlatform).join(', ')}) from its registry`);
    const { store, index } = await open(reference);
    const layoutDir = path.join(dir, String(count++));
    const layout = await LayoutStore.at(layoutDir);
    for (const platform of platforms) {
      const manifest = await pickPlatformManifest(store, index, platform, reference);
      if (isIndexMediaType(index.mediaType)) await copyImage(store, layout, manifest, { signal: context.signal });
    }
    if (isIndexMediaType(index.mediaType)) await layout.putManifest(index, await store.readManifest(index, context.signal));
    else await copyImage(store, layout, index, { signal: context.signal });
    contexts[namedContextKey(reference)] = `oci-layout://${layoutDir}@${index.digest}`;
  }
  return contexts;
}

export async function buildWithBuildx(
  job: ImageBuildJob,
  contextDir: string,
  bases: BuiltImage[],
  context: JobContext,
  options: BuildxOptions,
): Promise<BuiltImage> {
  const temp = await makeTempDir(options.outDir, `buildx-${job.image}`);
  // Each target's layers are gzipped as soon as its export has written them, while the bake goes on.
  const gzips = new Map<string, LayoutLayerGzip>();
  const gzipOf = (layoutDir: string) => gzips.get(layoutDir) ?? gzips.set(layoutDir, new LayoutLayerGzip(layoutDir, context.signal)).get(layoutDir)!;
  const gzipLayers = !options.loadNames && options.gzipLayers;
  try {
    const layoutTemp = path.join(temp, 'layout');
    const external = options.openExternalBase ? await fetchExternalBases(job, path.join(temp, 'bases'), context, options.openExternalBase) : {};
    const outside = { ...job, bases: job.bases.filter((b) => !options.session.has(b.jobId)) };
    const contexts = { ...external, ...namedContextsOf(outside, bases) };
    const image: BakeImage = {
      job,
      contextDir,
      contexts,
      outputDir: temp,
      ...(options.loadNames ? { loadNames: options.loadNames } : {}),
      ...(gzipLayers ? { onExported: (layoutDir: string) => void gzipOf(layoutDir).prime() } : {}),
    };
    // Where meshbuild writes the index itself (one platform, or one target per platform).
    const indexAnnotations = withBaseDigest(job.metadata, baseDigestOf(job, contexts)).indexAnnotations;
    const built = await context.waitWithoutSlot(options.session.build(image, context));
    const targets = gzipLayers ? await Promise.all(built.map(async (t) => ({ ...t, descriptor: await gzipOf(t.layoutDir!).rewrite(t.descriptor) }))) : built;
    let index = targets[0]!.descriptor;
    if (!options.loadNames && targets.length > 1) {
      const parts = targets.map((t) => ({ platform: t.platforms[0]!, layoutDir: t.layoutDir!, descriptor: t.descriptor }));
      index = await joinPlatformLayouts(parts, layoutTemp, indexAnnotations);
    }
    const layoutDir = path.join(options.outDir, 'build', job.id.replace(/[^a-zA-Z0-9._-]/g, '_'));
    if (!options.loadNames) {
      // buildx writes a lone manifest for a single platform; everything downstream takes an index.
      if (!isIndexMediaType(index.mediaType) && job.platforms.length === 1) index = await wrapInIndex(layoutTemp, index, job.platforms[0]!, indexAnnotations);
      if (!isIndexMediaType(index.mediaType)) throw stepError(`buildx built ${job.image} as a single ${index.mediaType}, not an index of platforms`);
      await moveIntoPlace(layoutTemp, layoutDir);
    }
    const platforms = options.loadNames ? [] : await platformManifests(layoutDir, index);
    return {
      image: job.image,
      jobId: job.id,
      layoutDir: options.loadNames ? '' : layoutDir,
      index,
      platforms,
      namedContext: options.loadNames ? `docker-image://${options.loadNames[0]}` : `oci-layout://${layoutDir}@${index.digest}`,
      storedIn: [],
    };
  } finally {
    await Promise.all([...gzips.values()].map((gzip) => gzip.settled()));
    await rm(temp, { recursive: true, force: true });
  }
}

async function platformManifests(layoutDir: string, index: Descriptor): Promise<BuiltImage['platforms']> {
  const parsed = JSON.parse(await readFile(path.join(layoutDir, 'blobs', 'sha256', index.digest.slice('sha256:'.length)), 'utf8')) as ImageIndex;
  return parsed.manifests
    .filter((m) => m.platform && m.platform.os !== 'unknown')
    .map((m) => ({ platform: [m.platform!.os, m.platform!.architecture, m.platform!.variant].filter(Boolean).join('/'), descriptor: m }));
}
