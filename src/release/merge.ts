/**
 * `merge`: joins CI shards (reports of runs that pushed one platform each by digest) into one
 * image index per image, variant and repository, and tags them all at the end. Nothing is written
 * unless every image has every requested platform and every manifest is in its repository.
 *
 * Also home of the last step every publishing command shares (`writeTagsLast`): tags written
 * together after everything else succeeded, skipping those already right.
 */
import { stepError } from '../errors.js';
import { encodeImageIndex } from '../oci/manifest.js';
import type { Descriptor, OciPlatform } from '../oci/types.js';
import { formatPlatform, parsePlatform, type Platform } from '../platform.js';
import { RegistryClient, type RegistryClientOptions } from '../registry/client.js';
import { parseReference } from '../registry/reference.js';
import type { ReportedImage, RunReport } from '../report/json-report.js';

/** One registry client per registry host, made on first use. */
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
        group = { image: reported.image, variant: reported.variant, hub, repository: reported.repository, platforms: new Map() };
        groups.set(key, group);
      }
      for (const platform of reported.platforms) {
        const seen = group.platforms.get(platform.platform);
        if (seen && seen.descriptor.digest !== platform.digest) {
          conflicts.push(`${describeImage(reported)} ${platform.platform}: ${seen.file} has ${seen.descriptor.digest}, ${file} has ${platform.digest}`);
          continue;
        }
        if (!seen) group.platforms.set(platform.platform, { descriptor: { mediaType: platform.mediaType, digest: platform.digest, size: platform.size }, file });
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
export function indexForGroup(group: ShardGroup, platforms: readonly Platform[]): ReturnType<typeof encodeImageIndex> {
  const wanted = platforms.map(formatPlatform);
  const names = [...group.platforms.keys()].sort((a, b) => rank(a, wanted) - rank(b, wanted) || a.localeCompare(b));
  return encodeImageIndex({
    manifests: names.map((name) => ({ ...group.platforms.get(name)!.descriptor, platform: ociPlatform(name) })),
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

/** A tag to write: `repository:tag` -> the index. */
export interface TagRequest {
  /** `host/namespace/image` */
  repository: string;
  tag: string;
  index: Descriptor;
  bytes: Buffer;
}

export interface TagOutcome extends TagRequest {
  /** `unchanged`: the tag already named this index, nothing was sent. */
  status: 'written' | 'unchanged';
  /** The digest the tag named before, if any. */
  previous?: string;
}

/**
 * Writes every tag, one after another, after everything else has succeeded; tags that already
 * name their index are left alone. Not interruptible: once started it finishes (a few small
 * PUTs), so a run ends with all its tags or none. If a write fails, the tags written before it
 * that named something else are put back (best effort), and the error says what is where.
 */
export async function writeTagsLast(requests: readonly TagRequest[], clientFor: (registry: string) => RegistryClient): Promise<TagOutcome[]> {
  const target = (request: TagRequest) => {
    const reference = parseReference(request.repository);
    return { client: clientFor(reference.registry), repo: reference.repository };
  };
  const outcomes = await Promise.all(
    requests.map(async (request): Promise<TagOutcome> => {
      const { client, repo } = target(request);
      const current = await client.headManifest(repo, request.tag);
      const outcome: TagOutcome = { ...request, status: current?.digest === request.index.digest ? 'unchanged' : 'written' };
      if (current) outcome.previous = current.digest;
      return outcome;
    }),
  );
  const done: TagOutcome[] = [];
  for (const outcome of outcomes.filter((o) => o.status === 'written')) {
    const { client, repo } = target(outcome);
    try {
      await client.putManifest(repo, outcome.tag, outcome.bytes, outcome.index.mediaType);
    } catch (error) {
      const restored: string[] = [];
      const left: string[] = [];
      for (const written of done) {
        const name = `${written.repository}:${written.tag}`;
        try {
          if (written.previous === undefined) throw new Error('it was new');
          const at = target(written);
          const previous = await at.client.getManifest(at.repo, written.previous);
          await at.client.putManifest(at.repo, written.tag, previous.bytes, previous.mediaType);
          restored.push(name);
        } catch {
          left.push(name);
        }
      }
      throw stepError(`writing the tag ${outcome.repository}:${outcome.tag} failed: ${(error as Error).message}`, {
        cause: error,
        detail: [
          `${done.length} of ${outcomes.length} tags had been written before it${done.length > 0 ? '' : '; no tag was written'}`,
          ...(restored.length > 0 ? [`put back where they were: ${restored.join(', ')}`] : []),
          ...(left.length > 0 ? [`left pointing at this run's images (run again to finish, the digests are already pushed): ${left.join(', ')}`] : []),
        ].join('\n'),
        hint: 'run the same command again once the registry answers: only what is missing is sent',
      });
    }
    done.push(outcome);
  }
  return outcomes;
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
}

export interface MergedImage {
  group: ShardGroup;
  index: Descriptor;
  tags: string[];
}

export interface MergeResult {
  images: MergedImage[];
  tags: TagOutcome[];
}

/** Checks the shards, assembles and pushes each index by digest, then writes every tag. */
export async function mergeShards(request: MergeRequest): Promise<MergeResult> {
  const check = checkShards(request.shards, request.hubs, request.platforms);
  if (check.conflicts.length > 0) {
    throw stepError(`the shards disagree about ${check.conflicts.length} image${check.conflicts.length === 1 ? '' : 's'}; no tag was written`, {
      detail: check.conflicts.join('\n'),
      hint: 'pass each platform\'s shard once, from one run of the same source',
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
    throw stepError(`${absent.length} manifest${absent.length === 1 ? '' : 's'} named by the shards ${absent.length === 1 ? 'is' : 'are'} not in the registry; no tag was written`, {
      detail: absent.sort().join('\n'),
      hint: 'run those shard jobs again (with --push-by-digest to the same --hub)',
    });
  }

  const images: MergedImage[] = [];
  const tags: TagRequest[] = [];
  for (const group of check.groups) {
    const index = indexForGroup(group, request.platforms);
    const reference = parseReference(group.repository);
    await request.clientFor(reference.registry).putManifest(reference.repository, index.descriptor.digest, index.bytes, index.descriptor.mediaType);
    const suffix = request.tagSuffix(group.variant);
    const groupTags = request.tags.map((tag) => `${tag}${suffix}`);
    images.push({ group, index: index.descriptor, tags: groupTags });
    for (const tag of groupTags) tags.push({ repository: group.repository, tag, index: index.descriptor, bytes: index.bytes });
  }
  return { images, tags: await writeTagsLast(tags, (registry) => request.clientFor(registry)) };
}
