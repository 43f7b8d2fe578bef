/**
 * `merge`: joins CI shards (reports of runs that pushed one platform each by digest) into one
 * image index per image, variant and repository, and tags them all at the end. Nothing is written
 * unless every image has every requested platform and every manifest is in its repository.
 */
import { stepError } from '../errors.js';
import { encodeImageIndex } from '../oci/manifest.js';
import { isIndexMediaType } from '../oci/media-types.js';
import type { Descriptor, OciPlatform } from '../oci/types.js';
import { formatPlatform, parsePlatform, type Platform } from '../platform.js';
import { RegistryStore } from '../publish/registry-store.js';
import { runTagPhase, type TagPhaseOptions, type TagResult, type TagWrite } from '../publish/tag-phase.js';
import type { RegistryClient } from '../registry/client.js';
import { parseReference } from '../registry/reference.js';
import type { ReportedImage, RunReport } from '../report/json-report.js';
import { mergedIndexAnnotations } from './merged-annotations.js';

/** `host/namespace/image` as image stores name it (Docker Hub defaults filled in), for a hub and an image. */
export function repositoryName(hub: string, image: string): string {
  const reference = parseReference(`${hub.replace(/\/+$/, '')}/${image}`);
  return `${reference.registry}/${reference.repository}`;
}

export interface ShardFile {
  file: string;
  report: RunReport;
}

/** The per-platform manifests the shards hold for one image, variant and repository. */
export interface ShardGroup {
  image: string;
  variant: string;
  hub: string;
  /** `host/namespace/image` */
  repository: string;
  /** By platform (`linux/arm64`), the manifest and the shard it came from. */
  platforms: Map<string, { descriptor: Descriptor; file: string }>;
  /** The digests of the shards' own indexes of it, whose common annotations the merged index gets. */
  shardIndexes: string[];
}

export interface ShardCheck {
  groups: ShardGroup[];
  /** `image x platform x hub` lines for what no shard has. */
  missing: string[];
  /** Two shards disagreeing about one image's platform. */
  conflicts: string[];
}

/**
 * Groups the shards' images by image, variant and repository (in `hubs`; all the shards' hubs
 * when empty) and lists what is missing: every image any shard planned must have every platform
 * in `platforms`. Pure.
 */
export function checkShards(shards: readonly ShardFile[], hubs: readonly string[], platforms: readonly Platform[]): ShardCheck {
  const wantedHubs = hubs.length > 0 ? [...hubs] : [...new Set(shards.flatMap((s) => s.report.hubs))];
  const hubOf = new Map<string, string>(); // repository -> hub
  const groups = new Map<string, ShardGroup>();
  const conflicts: string[] = [];
  // Every image a shard planned, with why it is absent when its job did not succeed.
  const planned = new Map<string, string[]>();
  for (const { file, report } of shards) {
    for (const job of report.jobs) {
      if (job.kind !== 'image-build') continue;
      const image = job.id.split(':')[1] ?? job.id;
      const reasons = planned.get(image) ?? [];
      if (job.status !== 'succeeded') reasons.push(`${file}: ${job.status}${job.error ? `: ${job.error.message}` : job.reason ? `: ${job.reason}` : ''}`);
      planned.set(image, reasons);
    }
    for (const image of report.images) if (!planned.has(image.image)) planned.set(image.image, []);
  }
  for (const hub of wantedHubs) for (const image of planned.keys()) hubOf.set(repositoryName(hub, image), hub);

  for (const { file, report } of shards) {
    for (const reported of report.images) {
      const hub = hubOf.get(reported.repository);
      if (hub === undefined) continue;
      const key = `${reported.repository} ${reported.variant}`;
      let group = groups.get(key);
      if (!group) {
        group = { image: reported.image, variant: reported.variant, hub, repository: reported.repository, platforms: new Map(), shardIndexes: [] };
        groups.set(key, group);
      }
      if (reported.digest && isIndexMediaType(reported.mediaType)) group.shardIndexes.push(reported.digest);
      for (const platform of reported.platforms) {
        const seen = group.platforms.get(platform.platform);
        if (seen && seen.descriptor.digest !== platform.digest) {
          conflicts.push(`${describeImage(reported)} ${platform.platform}: ${seen.file} has ${seen.descriptor.digest}, ${file} has ${platform.digest}`);
          continue;
        }
        if (!seen)
          group.platforms.set(platform.platform, { descriptor: { mediaType: platform.mediaType, digest: platform.digest, size: platform.size }, file });
      }
    }
  }

  const missing: string[] = [];
  const wanted = platforms.map(formatPlatform);
  for (const hub of wantedHubs) {
    for (const [image, reasons] of planned) {
      const repository = repositoryName(hub, image);
      const imageGroups = [...groups.values()].filter((g) => g.repository === repository);
      if (imageGroups.length === 0) {
        missing.push(`${image} x ${wanted.join(', ')} x ${hub}: in no shard${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}`);
        continue;
      }
      for (const group of imageGroups) {
        for (const platform of wanted.filter((p) => !group.platforms.has(p))) {
          missing.push(`${image}${group.variant === 'default' ? '' : ` [${group.variant}]`} x ${platform} x ${hub}: in no shard`);
        }
      }
    }
  }
  return { groups: [...groups.values()], missing, conflicts };
}

function describeImage(image: ReportedImage): string {
  return `${image.image}${image.variant === 'default' ? '' : ` [${image.variant}]`} in ${image.repository}`;
}

/** The index for a group: requested platforms first in their order, then any others the shards had, sorted. */
export function indexForGroup(group: ShardGroup, platforms: readonly Platform[], annotations?: Record<string, string>): ReturnType<typeof encodeImageIndex> {
  const wanted = platforms.map(formatPlatform);
  const names = [...group.platforms.keys()].sort((a, b) => rank(a, wanted) - rank(b, wanted) || a.localeCompare(b));
  return encodeImageIndex({
    manifests: names.map((name) => ({ ...group.platforms.get(name)!.descriptor, platform: ociPlatform(name) })),
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  });
}

function rank(platform: string, wanted: string[]): number {
  const at = wanted.indexOf(platform);
  return at === -1 ? wanted.length : at;
}

function ociPlatform(name: string): OciPlatform {
  const parsed = parsePlatform(name);
  if (!parsed.ok) throw stepError(`a shard names the platform "${name}": ${parsed.reason}`);
  return parsed.platform;
}

export interface MergeRequest {
  shards: readonly ShardFile[];
  /** Hubs to assemble in; empty: every hub the shards pushed to. */
  hubs: readonly string[];
  tags: readonly string[];
  /** Every image must have each of these. */
  platforms: readonly Platform[];
  /** The tag suffix of a variant (`-distroless`). */
  tagSuffix(variant: string): string;
  clientFor(registry: string): RegistryClient;
  /** Passed to the tag phase (journal, re-run command, Ctrl-C). */
  tagPhase: Omit<TagPhaseOptions, 'progress'>;
}

export interface MergedImage {
  group: ShardGroup;
  index: Descriptor;
  tags: string[];
}

export interface MergeResult {
  images: MergedImage[];
  tags: TagResult[];
}

/** Checks the shards, assembles and pushes each index by digest, then writes every tag. */
export async function mergeShards(request: MergeRequest): Promise<MergeResult> {
  const check = checkShards(request.shards, request.hubs, request.platforms);
  if (check.conflicts.length > 0) {
    throw stepError(`the shards disagree about ${check.conflicts.length} image${check.conflicts.length === 1 ? '' : 's'}; no tag was written`, {
      detail: check.conflicts.join('\n'),
      hint: "pass each platform's shard once, from one run of the same source",
    });
  }
  if (check.missing.length > 0) {
    throw stepError(`${check.missing.length} image x platform x hub missing from the shards; no tag was written`, {
      detail: check.missing.join('\n'),
      hint: 'run the missing shard jobs (or pass their reports), or merge only the platforms you built with --platforms',
    });
  }

  const absent: string[] = [];
  await Promise.all(
    check.groups.flatMap((group) => {
      const reference = parseReference(group.repository);
      return [...group.platforms].map(async ([platform, { descriptor }]) => {
        const found = await request.clientFor(reference.registry).headManifest(reference.repository, descriptor.digest, [descriptor.mediaType]);
        if (found === undefined) absent.push(`${group.image} x ${platform} x ${group.hub}: ${group.repository}@${descriptor.digest} is not in the registry`);
      });
    }),
  );
  if (absent.length > 0) {
    throw stepError(
      `${absent.length} manifest${absent.length === 1 ? '' : 's'} named by the shards ${absent.length === 1 ? 'is' : 'are'} not in the registry; no tag was written`,
      {
        detail: absent.sort().join('\n'),
        hint: 'run those shard jobs again (with --push-by-digest to the same --hub)',
      },
    );
  }

  const images: MergedImage[] = [];
  const tags: TagWrite[] = [];
  for (const group of check.groups) {
    const reference = parseReference(group.repository);
    const annotations = await mergedIndexAnnotations(request.clientFor(reference.registry), reference.repository, group.shardIndexes);
    const index = indexForGroup(group, request.platforms, annotations);
    await request.clientFor(reference.registry).putManifest(reference.repository, index.descriptor.digest, index.bytes, index.descriptor.mediaType);
    const suffix = request.tagSuffix(group.variant);
    const groupTags = request.tags.map((tag) => `${tag}${suffix}`);
    images.push({ group, index: index.descriptor, tags: groupTags });
    const store = new RegistryStore(request.clientFor(reference.registry), reference.repository);
    for (const tag of groupTags) tags.push({ store, tag, index: index.descriptor, bytes: index.bytes });
  }
  return { images, tags: await runTagPhase(tags, request.tagPhase) };
}
