/**
 * The last step of a run: every image is already stored by digest; check that each index in each
 * destination lists every requested platform, then hand every tag to the tag phase. A failure
 * before it leaves no tag written; nothing here points a tag at an incomplete index.
 */
import { stepError } from '../errors.js';
import type { BuiltImage } from '../image/built-image.js';
import type { ImageIndex } from '../oci/types.js';
import { formatPlatform } from '../platform.js';
import type { ImageBuildJob, Plan, PublishJob } from '../plan/types.js';
import { reportedPlatforms, type ReportedImage } from '../report/json-report.js';
import type { JobContext } from '../run/scheduler.js';
import { firstMissingManifest, indexPlatforms } from './copy-image.js';
import type { Destination, Destinations } from './destinations.js';
import { runTagPhase, type TagWrite } from './tag-phase.js';
import { journalPath } from './tags-journal.js';
import type { KnownTags } from './known-tags.js';
import { LayoutStore } from './layout-store.js';

export interface PublishResult {
  images: ReportedImage[];
}

/**
 * `rerun`: the command that finishes the tags if the tag phase cannot (for its messages).
 * `knownTags`: tags seen naming their image's index earlier in the run; such an image's index is
 * neither read from nor checked in that destination again (it was, before those tags were written).
 */
export async function publish(
  job: PublishJob,
  context: JobContext,
  plan: Plan,
  destinations: Destinations,
  rerun: string,
  knownTags?: KnownTags,
): Promise<PublishResult> {
  const builds = job.images.map((id) => {
    const planned = plan.jobs.find((j): j is ImageBuildJob => j.id === id && j.kind === 'image-build');
    const built = context.resultOf(id) as BuiltImage | undefined;
    if (!planned || !built) throw new Error(`Internal error: publish needs the result of ${id}`);
    return { planned, built };
  });

  const wanted = plan.platforms.map(formatPlatform);
  // Every image in every destination checked at once (a registry's requests are limited by its
  // client); the tags and the report keep the plan's order.
  const checked = await Promise.all(
    builds.map(async ({ planned, built }) =>
      Promise.all((await destinations.forImage(planned)).map(async (destination) => checkIndex(planned, built, destination, wanted, context, knownTags))),
    ),
  );
  const writes: TagWrite[] = [];
  const reported: ReportedImage[] = [];
  for (const [i, perDestination] of checked.entries()) {
    const { planned, built } = builds[i]!;
    for (const { destination, bytes } of perDestination) {
      for (const variant of planned.variants) {
        const tags = variant.refs.map((ref) => destination.tagFor(ref)).filter((t): t is string => t !== undefined);
        for (const tag of tags) writes.push({ store: destination.store, tag, index: built.index, bytes });
        reported.push({
          image: built.image,
          variant: variant.variant,
          repository: destination.store.name,
          refs: tags.map((t) => destination.reference(t)),
          digest: built.index.digest,
          mediaType: built.index.mediaType,
          size: built.index.size,
          platforms: reportedPlatforms(built),
        });
      }
    }
  }
  await runTagPhase(writes, {
    signal: context.signal,
    journalFile: journalPath(plan.outDir),
    rerun,
    progress: (line) => context.progress(line),
    ...(knownTags ? { alreadyNamed: (write: TagWrite) => knownTags.names(write.store, write.tag, write.index.digest) } : {}),
  });
  return { images: reported };
}

/**
 * The image's index as stored in `destination`, checked: every requested platform listed and
 * every platform manifest there (unless its tags were seen naming it earlier in the run).
 */
async function checkIndex(
  planned: ImageBuildJob,
  built: BuiltImage,
  destination: Destination,
  wanted: string[],
  context: JobContext,
  knownTags: KnownTags | undefined,
): Promise<{ destination: Destination; bytes: Buffer }> {
  const tagsHere = planned.variants.flatMap((v) => v.refs.map((ref) => destination.tagFor(ref))).filter((t): t is string => t !== undefined);
  const known = knownTags !== undefined && tagsHere.length > 0 && tagsHere.every((tag) => knownTags.names(destination.store, tag, built.index.digest));
  if (!known) context.progress(`checking ${built.image} in ${destination.store.name}`);
  const bytes = known ? await (await LayoutStore.at(built.layoutDir, false)).readManifest(built.index) : await destination.store.readManifest(built.index);
  const index = JSON.parse(bytes.toString('utf8')) as ImageIndex;
  const listed = indexPlatforms(index);
  const missing = wanted.filter((p) => !listed.includes(p));
  if (missing.length > 0) {
    throw stepError(`${destination.store.name}@${built.index.digest} lacks ${missing.join(', ')}; no tag was written`, {
      hint: 'build the missing platforms and run again',
    });
  }
  const absent = known ? undefined : await firstMissingManifest(destination.store, index.manifests);
  if (absent) throw stepError(`${destination.store.name} lacks ${absent.digest} of ${built.image}; no tag was written`);
  return { destination, bytes };
}
