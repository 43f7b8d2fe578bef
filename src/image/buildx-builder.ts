/**
 * The buildx image builder: one `docker buildx build --platform a,b` per image (all platforms in
 * one invocation), into an OCI layout folder (or, with --load, into the engine's containerd
 * image store). The result is read from buildx's --metadata-file, not from its output.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { stepError } from '../errors.js';
import { formatPlatform, type Platform } from '../platform.js';
import type { ImageBuildJob } from '../plan/types.js';
import type { Descriptor, ImageIndex } from '../oci/types.js';
import { isIndexMediaType } from '../oci/media-types.js';
import { OciLayout } from '../oci/layout.js';
import { encodeImageIndex } from '../oci/manifest.js';
import { makeTempDir, moveIntoPlace } from '../run/atomic-files.js';
import { CommandNotFoundError, runProcess } from '../run/process.js';
import type { JobContext } from '../run/scheduler.js';
import type { BuiltImage } from './built-image.js';
import { dockerMissing, explainBuildxFailure } from './docker-preflight.js';

export interface BuildxOptions {
  outDir: string;
  /** Provenance and SBOM attestations (they add unknown/unknown index entries). Default off. */
  attest: boolean;
  /** `--builder NAME`: a buildx builder other than the current one (e.g. a multi-node builder). */
  builderName?: string;
  /** Build into the local engine under these names instead of an OCI layout. */
  loadNames?: string[];
  /** SOURCE_DATE_EPOCH for reproducible output. Default "0". */
  sourceDateEpoch: string;
}

/** The `docker buildx build` arguments for a job. Pure; exported for tests and `plan`. */
export function buildxArgs(
  job: ImageBuildJob,
  contextDir: string,
  output: string,
  metadataFile: string,
  namedContexts: Record<string, string>,
  options: BuildxOptions,
): string[] {
  const args = ['buildx', 'build'];
  if (options.builderName) args.push('--builder', options.builderName);
  args.push('--platform', job.platforms.map(formatPlatform).join(','));
  args.push('--file', job.dockerfile);
  for (const [key, value] of Object.entries(job.buildArgs).sort()) args.push('--build-arg', `${key}=${value}`);
  for (const [name, reference] of Object.entries(namedContexts).sort()) args.push('--build-context', `${name}=${reference}`);
  args.push(`--provenance=${options.attest ? 'mode=min' : 'false'}`, `--sbom=${options.attest ? 'true' : 'false'}`);
  args.push('--metadata-file', metadataFile, '--output', output, '--progress', 'plain', contextDir);
  return args;
}

/**
 * `--build-context` values: each in-graph base by its name, and also by the reference it stands
 * for (`standsFor`), which BuildKit then uses for `FROM <reference>` instead of pulling it.
 */
export function namedContextsOf(job: ImageBuildJob, bases: BuiltImage[]): Record<string, string> {
  const contexts: Record<string, string> = {};
  for (const base of job.bases) {
    const built = bases.find((x) => x.jobId === base.jobId)!;
    contexts[base.name] = built.namedContext;
    if (base.reference !== undefined) contexts[base.reference] = built.namedContext;
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
  try {
    const metadataFile = path.join(temp, 'metadata.json');
    const layoutTemp = path.join(temp, 'layout');
    // Not rewrite-timestamp for --load: the engine's image exporter always unpacks, and buildx
    // refuses rewrite-timestamp together with unpack.
    const output = options.loadNames ? `type=image,"name=${options.loadNames.join(',')}"` : `type=oci,dest=${layoutTemp},tar=false,rewrite-timestamp=true`;
    const namedContexts = namedContextsOf(job, bases);
    const args = buildxArgs(job, contextDir, output, metadataFile, namedContexts, options);
    context.progress(`docker ${args.slice(0, 4).join(' ')} ...`);
    let result;
    try {
      result = await runProcess('docker', args, { env: { SOURCE_DATE_EPOCH: options.sourceDateEpoch }, signal: context.signal });
    } catch (error) {
      if (error instanceof CommandNotFoundError) throw dockerMissing();
      throw error;
    }
    if (result.exitCode !== 0) throw explainBuildxFailure(job, result.output);

    let index = await readMetadataDescriptor(metadataFile, job.image);
    const layoutDir = path.join(options.outDir, 'build', job.id.replace(/[^a-zA-Z0-9._-]/g, '_'));
    if (!options.loadNames) {
      // buildx writes a lone manifest for a single platform; everything downstream takes an index.
      if (!isIndexMediaType(index.mediaType) && job.platforms.length === 1) index = await wrapInIndex(layoutTemp, index, job.platforms[0]!);
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
    await rm(temp, { recursive: true, force: true });
  }
}

async function readMetadataDescriptor(file: string, image: string): Promise<Descriptor> {
  let metadata: Record<string, unknown>;
  try {
    metadata = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    throw stepError(`buildx finished ${image} but wrote no readable --metadata-file`, { hint: 'a buildx older than 0.10? run "docker buildx version"' });
  }
  const descriptor = metadata['containerimage.descriptor'] as Partial<Descriptor> | undefined;
  if (!descriptor || typeof descriptor.digest !== 'string' || typeof descriptor.size !== 'number' || typeof descriptor.mediaType !== 'string') {
    throw stepError(`buildx metadata for ${image} has no image descriptor`);
  }
  return { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size };
}

/** Stores an index listing the one manifest buildx built for `platform`, and returns its descriptor. */
async function wrapInIndex(layoutDir: string, manifest: Descriptor, platform: Platform): Promise<Descriptor> {
  const orderedPlatform = { os: platform.os, architecture: platform.architecture, ...(platform.variant ? { variant: platform.variant } : {}) };
  const index = encodeImageIndex({ manifests: [{ ...manifest, platform: orderedPlatform }] });
  await (await OciLayout.open(layoutDir)).writeBlob(index.bytes, { digest: index.descriptor.digest });
  return index.descriptor;
}

async function platformManifests(layoutDir: string, index: Descriptor): Promise<BuiltImage['platforms']> {
  const parsed = JSON.parse(await readFile(path.join(layoutDir, 'blobs', 'sha256', index.digest.slice('sha256:'.length)), 'utf8')) as ImageIndex;
  return parsed.manifests
    .filter((m) => m.platform && m.platform.os !== 'unknown')
    .map((m) => ({ platform: [m.platform!.os, m.platform!.architecture, m.platform!.variant].filter(Boolean).join('/'), descriptor: m }));
}
