/**
 * What decides whether an image must be built again: the job as planned (Dockerfile path, build
 * args, platforms, builder, context entries, variants; not the tags it gets, which the publish
 * step writes), the builders' settings and meshbuild's version, the content of the Dockerfile and
 * of every staged file, the digests of the in-graph bases (or, for a base in the same buildx
 * session, its fingerprint), and the digests the
 * registry bases it read last time still have. The OCI layout it wrote must be intact; on a skip,
 * each destination is checked cheaply (a registry: the tags, one request each; a layout: a file).
 */
import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Descriptor } from '../oci/types.js';
import type { ImageBuildJob, Plan } from '../plan/types.js';
import { copyImage } from '../publish/copy-image.js';
import type { Destinations } from '../publish/destinations.js';
import type { KnownTags } from '../publish/known-tags.js';
import { LayoutStore } from '../publish/layout-store.js';
import type { FileDigests } from '../run/file-digests.js';
import { fingerprintOf } from '../run/fingerprint.js';
import type { JobContext } from '../run/scheduler.js';
import type { Freshness } from '../run/skip-unchanged.js';
import type { BuiltImage } from './built-image.js';

export interface ImageInputs {
  plan: Plan;
  destinations: Destinations;
  knownTags: KnownTags;
  digests: Pick<FileDigests, 'digestOf' | 'treeDigest'>;
  /** Everything else that changes what the builders make: compression, epoch, attestations, builder. */
  settings: Record<string, unknown>;
  /** Resolves a registry base to its index now (one request, shared by every image of the run). */
  resolveBase(reference: string): Promise<Descriptor>;
  /** Ids of the images the buildx session builds: they do not wait for their bases of the session. */
  sessionJobs: ReadonlySet<string>;
}

/** The job's own data that decides the image (its tags and repositories do not: publishing does). */
export function plannedImage(job: ImageBuildJob): unknown {
  const { id: _id, needs: _needs, title: _title, repositories: _repositories, variants, ...rest } = job;
  return { ...rest, variants: variants.map((v) => v.variant) };
}

export function imageFreshness(inputs: ImageInputs): Freshness<ImageBuildJob> {
  return {
    fingerprint: (job, context) => imageFingerprint(job, context, inputs),
    outputs: async (_job, result) => layoutFiles((result as BuiltImage).layoutDir),
    drift: async (_job, result) => {
      for (const [reference, digest] of Object.entries((result as BuiltImage).externalBases ?? {})) {
        if ((await inputs.resolveBase(reference)).digest !== digest) return `base ${reference} changed`;
      }
      return undefined;
    },
    reuse: (job, result, context) => storeAgain(job, { ...(result as BuiltImage), storedIn: [] }, inputs, context),
  };
}

/**
 * Undefined (always built) for images loaded into the Docker Engine, which meshbuild cannot cheaply
 * check, and when a base's digest is not known yet. A base of the same buildx session has no result
 * yet (bake builds it with this one): its own fingerprint stands for it.
 */
async function imageFingerprint(job: ImageBuildJob, context: JobContext, inputs: ImageInputs): Promise<string | undefined> {
  if (inputs.plan.output?.kind === 'docker') return undefined;
  const dockerfile = await inputs.digests.digestOf(job.dockerfile);
  if (dockerfile === undefined) return undefined; // the build says what is wrong
  const bases: Array<[string, string]> = [];
  for (const base of job.bases) {
    let digest: string | undefined;
    if (inputs.sessionJobs.has(job.id) && inputs.sessionJobs.has(base.jobId)) {
      const baseJob = inputs.plan.jobs.find((j): j is ImageBuildJob => j.id === base.jobId && j.kind === 'image-build');
      digest = baseJob && (await imageFingerprint(baseJob, context, inputs));
    } else {
      digest = (context.resultOf(base.jobId) as BuiltImage | undefined)?.index.digest;
    }
    if (digest === undefined) return undefined;
    bases.push([base.name, digest]);
  }
  const staged = await Promise.all(
    job.context.map(async (entry) => [entry.to, await inputs.digests.treeDigest(await realpath(entry.from).catch(() => entry.from))]),
  );
  return fingerprintOf({ planned: plannedImage(job), settings: inputs.settings, dockerfile, staged, bases });
}

/** Every file of a layout; blobs are named by their digest, so they need not be read to be recorded. */
async function layoutFiles(layoutDir: string): Promise<Array<{ path: string; digest?: string }>> {
  const files: Array<{ path: string; digest?: string }> = [];
  for (const entry of await readdir(layoutDir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    const inBlobs = path.relative(layoutDir, entry.parentPath).split(path.sep);
    const digest = inBlobs[0] === 'blobs' && inBlobs.length === 2 ? `${inBlobs[1]}:${entry.name}` : undefined;
    files.push(digest !== undefined ? { path: full, digest } : { path: full });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** An up-to-date image in each destination again: confirmed by its tags, or copied (which finds it there by digest). */
async function storeAgain(job: ImageBuildJob, built: BuiltImage, inputs: ImageInputs, context: JobContext): Promise<BuiltImage> {
  const tagged = inputs.plan.output?.kind === 'registry' && inputs.plan.output.tags;
  for (const destination of await inputs.destinations.forImage(job, Object.keys(built.externalBases ?? {}))) {
    const tags = tagged ? job.variants.flatMap((v) => v.refs.map((ref) => destination.tagFor(ref))).filter((t): t is string => t !== undefined) : [];
    // A registry round trip per tag: waited for outside the --jobs limit, so every image's check is in flight at once.
    if (!(await context.waitWithoutSlot(inputs.knownTags.confirm(destination.store, tags, built.index, context.signal)))) {
      await copyImage(await LayoutStore.at(built.layoutDir, false), destination.store, built.index, { signal: context.signal });
    }
    built.storedIn.push(destination.store.name);
  }
  return built;
}
