/**
 * One image-build job: stage the context, build every platform with the job's builder, check
 * the result lists every requested platform, and keep it by digest in each destination.
 * Tags are not written here (see publish/publish.ts).
 */
import { stepError, usageError } from '../errors.js';
import { formatPlatform } from '../platform.js';
import type { Descriptor } from '../oci/types.js';
import type { ImageBuildJob, Plan } from '../plan/types.js';
import { copyImage } from '../publish/copy-image.js';
import type { Destinations } from '../publish/destinations.js';
import { compressedSize } from '../publish/image-size.js';
import { LayoutStore } from '../publish/layout-store.js';
import type { JobContext } from '../run/scheduler.js';
import type { BuiltImage } from './built-image.js';
import { buildWithBuildx } from './buildx-builder.js';
import type { BuildxSession } from './buildx-session.js';
import { buildNative, type NativeOptions } from './native/native-builder.js';
import { stageContext } from './stage-context.js';

export interface ImageBuildDeps {
  plan: Plan;
  destinations: Destinations;
  /** The run's one buildx bake session (buildx-session.ts); none when the run has no buildx image. */
  buildxSession?: BuildxSession | undefined;
  native: Omit<NativeOptions, 'outDir'>;
}

export async function buildImage(job: ImageBuildJob, context: JobContext, deps: ImageBuildDeps): Promise<BuiltImage> {
  const { plan } = deps;
  context.progress('staging the build context');
  const contextDir = await stageContext(job, plan.outDir, plan.sourceDir);
  // Bases built in the same buildx session have no result yet: bake links them by target.
  const bases = job.bases.flatMap((b) => (context.resultOf(b.jobId) as BuiltImage | undefined) ?? []);
  const loadNames = plan.output?.kind === 'docker' ? job.variants.flatMap((v) => v.refs) : undefined;
  if (job.builder === 'native' && loadNames) {
    throw usageError('--load needs the buildx builder (the native builder does not talk to a Docker Engine)', {
      hint: 'use --builder buildx with --load, or write an OCI layout / push instead',
    });
  }
  // What each registry base named when it was read: a later run rebuilds when one moves.
  const externalBases: Record<string, string> = {};
  const openExternalBase: NativeOptions['openExternalBase'] = async (reference) => {
    const opened = await deps.native.openExternalBase(reference);
    externalBases[reference] = opened.index.digest;
    return opened;
  };
  const session = deps.buildxSession;
  if (job.builder === 'buildx' && !session) throw new Error(`Internal error: ${job.id} is a buildx image but the run has no buildx session`);
  const built =
    job.builder === 'native' || !session
      ? await buildNative(job, contextDir, bases, context, { ...deps.native, openExternalBase, outDir: plan.outDir })
      : await buildWithBuildx(job, contextDir, bases, context, {
          // A registry base is read as the native builder reads it, through meshbuild's registry client.
          openExternalBase,
          session,
          gzipLayers: deps.native.compression !== 'none' && !session.attests,
          outDir: plan.outDir,
          ...(loadNames ? { loadNames } : {}),
        });
  if (Object.keys(externalBases).length > 0) built.externalBases = externalBases;
  if (loadNames) return built;

  const missing = job.platforms.map(formatPlatform).filter((p) => !built.platforms.some((b) => b.platform === p));
  if (missing.length > 0) throw stepError(`image ${job.image} was built without ${missing.join(', ')}`);

  const source = await LayoutStore.at(built.layoutDir, false);
  for (const platform of built.platforms) platform.compressedSize = await compressedSize(source, platform.descriptor);
  const destinations = await deps.destinations.forImage(job, Object.keys(built.externalBases ?? {}));
  if (destinations.length > 0) {
    for (const destination of destinations) {
      const onBlobProgress = uploadProgress(context, destination.store.name);
      const stats = await copyImage(source, destination.store, built.index, { signal: context.signal, onBlobProgress });
      context.progress(`stored by digest in ${destination.store.name}: ${stats.blobsSent} blobs sent, ${stats.blobsSkipped} already there`);
      built.storedIn.push(destination.store.name);
    }
  }
  return built;
}

/** Blobs smaller than this go by too fast to be worth a progress line. */
const LARGE_BLOB = 1024 * 1024;

/** Byte counts of large blobs as progress events, one per MiB sent and one at the end. */
function uploadProgress(context: JobContext, where: string): (blob: Descriptor, sent: number) => void {
  const reported = new Map<string, number>();
  return (blob, sent) => {
    if (blob.size < LARGE_BLOB) return;
    const last = reported.get(blob.digest) ?? -LARGE_BLOB;
    if (sent - last < LARGE_BLOB && sent < blob.size && sent >= last) return;
    reported.set(blob.digest, sent);
    context.progress(`sending ${blob.digest.slice(0, 19)} to ${where}`, { unit: 'bytes', done: sent, total: blob.size, item: blob.digest });
  };
}
