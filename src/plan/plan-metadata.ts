/** The metadata of one image build in the plan: the run's source, version and time, and its base. */
import type { SourceOrigin } from '../go/git-stamp.js';
import type { ImageNode } from '../graph/graph.js';
import { finalStageOf } from '../image/final-base.js';
import type { Platform } from '../platform.js';
import { imageMetadata, type ExtraMetadata, type ImageMetadata, type SourceMetadata } from './image-metadata.js';
import { httpsSourceUrl } from './source-url.js';
import type { ImageBuildJob } from './types.js';

/** Seconds since 1970 every image time is: SOURCE_DATE_EPOCH, else the commit time (so runs agree), else 0. */
export function runEpoch(sourceDateEpoch: number | undefined, origin: SourceOrigin | undefined): number {
  return sourceDateEpoch ?? origin?.commitTime ?? 0;
}

export function sourceMetadataOf(version: string, epoch: number, origin: SourceOrigin | undefined, extra: ExtraMetadata | undefined): SourceMetadata {
  const source = httpsSourceUrl(origin?.remote);
  return {
    version,
    epoch,
    ...(source !== undefined ? { source } : {}),
    ...(origin?.commit !== undefined ? { revision: origin.commit } : {}),
    ...(extra ? { extra } : {}),
  };
}

/**
 * `image`'s metadata for one build: `base.name` is an in-graph base's first reference (`refsOf`
 * its build job), or the registry reference its last stage starts from.
 */
export function buildMetadata(
  image: ImageNode,
  run: SourceMetadata,
  buildArgs: Record<string, string>,
  bases: ImageBuildJob['bases'],
  platform: Platform,
  refsOf: (jobId: string) => string | undefined,
): ImageMetadata {
  const final = finalStageOf(image.parsedDockerfile, buildArgs, platform);
  let base: ImageMetadata['base'];
  if (final.base !== undefined) {
    const inGraph = bases.find((b) => b.name === final.base || b.reference === final.base);
    base = { name: (inGraph && refsOf(inGraph.jobId)) ?? final.base, from: final.base };
  }
  return imageMetadata(image.name, run, base, final.labelKeys);
}
