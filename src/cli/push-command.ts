/**
 * `meshbuild push --from DIR --hub HUB`: publishes an OCI layout meshbuild wrote (`out/images`,
 * refs `image:tag`) to a registry. Every image is copied by digest first (blobs the registry has
 * are not sent again) and checked to list the platforms asked for; the tags are written last,
 * all together, so a failure leaves none.
 */
import path from 'node:path';
import type { Argv } from 'yargs';
import { usageError } from '../errors.js';
import { withInterrupt } from '../run/interrupt.js';
import { formatPlatform, parsePlatformList, type Platform } from '../platform.js';
import type { CopyStats } from '../publish/copy-image.js';
import { LayoutStore } from '../publish/layout-store.js';
import { RegistryStore } from '../publish/registry-store.js';
import { RegistryClients } from '../registry/client-pool.js';
import { addStats, copyAndCheck, tagWrites, type CopiedImage, type ImageTransfer } from '../publish/transfer.js';
import { runTagPhase, tagReference } from '../publish/tag-phase.js';
import { journalPath } from '../publish/tags-journal.js';
import { rerunCommand } from '../run/rerun-command.js';
import { parseHub, repositoryFromHub } from '../registry/reference.js';
import { formatBytes, formatDuration } from '../report/format.js';
import { REPORT_SCHEMA_VERSION, type ReportedImage, type ReportedJob, type RunReport } from '../report/json-report.js';
import { writeFileAtomic } from '../run/atomic-files.js';
import type { CommandParts } from './lazy-command.js';
import type { CommandIo } from './main.js';
import { listValue, positiveWholeNumber, withOutputFlags, withRegistryFlags, type OutputFlags } from './flags.js';
import { printSummary, progressLines } from './run-output.js';
import { summarizeReport } from '../report/run-summary.js';
import { compressedSize } from '../publish/image-size.js';

export interface RegistryFlags {
  'insecure-registry'?: string[];
  'registry-concurrency': number;
  out: string;
}

/** The registry flags, and where a tag phase that could not undo itself writes its journal. */
export function withPublishFlags<T>(yargs: Argv<T>) {
  return withRegistryFlags(yargs).option('out', {
    type: 'string',
    default: 'out',
    describe: 'Folder for tags-journal.json, written only if a failed tag phase could not undo itself',
  });
}

export function registryClients(flags: Omit<RegistryFlags, 'out'>): RegistryClients {
  const concurrency = flags['registry-concurrency'];
  positiveWholeNumber(concurrency, '--registry-concurrency');
  return new RegistryClients({ insecureRegistries: listValue(flags['insecure-registry']), maxConcurrentRequests: concurrency });
}

/** One image of the layout to publish: the layout ref it is read from, and the tags to write. */
export interface LayoutSelection {
  image: string;
  ref: string;
  tags: string[];
}

/**
 * Which layout refs (`image:tag`) to publish under which tags. Without `tags`: every ref under
 * its own tag. With them: an image with one tag in the layout is published under every one of
 * `tags` (a retag); an image with several is published under those of `tags` it has, and a tag
 * it lacks is a usage error (which of its images would it name?).
 */
export function selectLayoutRefs(refs: readonly string[], tags: readonly string[]): LayoutSelection[] {
  const byImage = new Map<string, string[]>();
  for (const ref of refs) {
    const colon = ref.lastIndexOf(':');
    if (colon <= 0 || colon === ref.length - 1)
      throw usageError(`the layout names an image "${ref}", which is not image:tag`, { hint: 'push --from reads layouts meshbuild wrote (out/images)' });
    const image = ref.slice(0, colon);
    byImage.set(image, [...(byImage.get(image) ?? []), ref.slice(colon + 1)]);
  }
  if (byImage.size === 0) throw usageError('the layout names no images', { hint: 'build into it first: meshbuild all --output oci:DIR' });
  const selections: LayoutSelection[] = [];
  for (const [image, has] of byImage) {
    if (tags.length === 0) {
      for (const tag of has) selections.push({ image, ref: `${image}:${tag}`, tags: [tag] });
    } else if (has.length === 1) {
      selections.push({ image, ref: `${image}:${has[0]!}`, tags: [...tags] });
    } else {
      const lacking = tags.filter((t) => !has.includes(t));
      if (lacking.length > 0) {
        throw usageError(
          `--tag ${lacking.join(', ')}: the layout has ${image} under several tags (${has.join(', ')}), so which to publish as ${lacking.join(', ')} is unclear`,
          {
            hint: 'name tags the layout has, or retag from a layout with one tag per image',
          },
        );
      }
      for (const tag of tags) selections.push({ image, ref: `${image}:${tag}`, tags: [tag] });
    }
  }
  return selections;
}

type PushArgs = RegistryFlags & OutputFlags & { from: string; hub?: string[]; tag?: string[]; platforms?: string[]; report?: string };

export default function pushCommand(io: CommandIo, setExit: (code: number) => void): CommandParts<PushArgs> {
  return {
    builder: (yargs) =>
      withOutputFlags(withPublishFlags(yargs))
        .option('from', { type: 'string', demandOption: true, describe: 'OCI layout folder written by meshbuild (refs image:tag), e.g. out/images' })
        .option('hub', { type: 'string', array: true, describe: 'Registry and namespace to publish to (repeat or comma-separate for several); env HUB' })
        .option('tag', {
          type: 'string',
          array: true,
          describe: 'Publish only these tags; with one tag per image in the layout, publish it under these tags instead',
        })
        .option('platforms', { type: 'string', array: true, describe: 'Platforms every image must list', defaultDescription: 'what each image lists' })
        .option('report', { type: 'string', describe: 'Write a JSON report (the --report format) to FILE' })
        .example('$0 push --from out/images --hub 127.0.0.1:5555/mesh', 'Every image of a layout that meshbuild all wrote, under its own tag')
        .example('$0 push --from out/images --hub docker.io/me --tag 1.29.1', 'The same images published as 1.29.1 (a retag)'),
    handler: async (argv) => {
      const started = Date.now();
      const hubs = listValue(argv.hub).length > 0 ? listValue(argv.hub) : listValue(io.env.HUB ? [io.env.HUB] : []);
      if (hubs.length === 0)
        throw usageError('push needs --hub (or the HUB environment variable)', { hint: 'e.g. meshbuild push --from out/images --hub 127.0.0.1:5555/mesh' });
      for (const hub of hubs) parseHub(hub);
      const tags = listValue(argv.tag);
      const platforms = argv.platforms !== undefined ? parsePlatformList(argv.platforms) : undefined;
      const clients = registryClients(argv);
      const lines = progressLines(io, argv);
      const layout = await LayoutStore.at(path.resolve(argv.from), false);
      const selections = selectLayoutRefs(await layout.layout.listRefs(), tags);
      const transfers: ImageTransfer[] = [];
      for (const hub of hubs) {
        const siblings = new Map<string, string[]>();
        for (const selection of selections) {
          const root = await layout.resolveTag(selection.ref);
          if (root === undefined) throw usageError(`${selection.ref} vanished from ${layout.name}`);
          const target = repositoryFromHub(parseHub(hub), selection.image);
          for (const tag of selection.tags) repositoryFromHub(parseHub(hub), selection.image, tag);
          const known = siblings.get(target.registry) ?? [];
          const same = transfers.find((t) => t.to.name === `${target.registry}/${target.repository}` && t.root.digest === root.digest);
          if (same) {
            same.tags.push(...selection.tags.filter((t) => !same.tags.includes(t)));
            continue;
          }
          transfers.push({
            label: selection.ref,
            from: layout,
            to: new RegistryStore(clients.for(target.registry), target.repository, [...known]),
            root,
            tags: [...selection.tags],
            ...(platforms ? { platforms } : {}),
          });
          if (!known.includes(target.repository)) siblings.set(target.registry, [...known, target.repository]);
        }
      }
      const outcome = await withInterrupt((signal) => {
        clients.abortOn(signal);
        return publishTransfers(transfers, signal, io, argv.out, lines);
      });
      const sizes = new Map<string, number>();
      for (const copy of outcome.copies) for (const p of copy.listing.platforms) sizes.set(p.descriptor.digest, await compressedSize(layout, p.descriptor));
      const report = pushReport(outcome, { hubs, platforms, started, sizes });
      if (argv.report !== undefined) await writeFileAtomic(path.resolve(argv.report), `${JSON.stringify(report, null, 2)}\n`);
      await printSummary(io, argv, summarizeReport(report, { command: 'push', output: hubs.join(', ') }));
      if (outcome.error !== undefined) throw outcome.error;
      const total = outcome.copies.reduce<CopyStats>((sum, c) => addStats(sum, c.stats), { blobsSent: 0, blobsSkipped: 0, bytesSent: 0 });
      const present = outcome.copies.filter((c) => c.alreadyThere).length;
      lines.write(
        `pushed ${outcome.copies.length} images from ${layout.name} (${present} already there): ${total.blobsSent} blobs sent (${formatBytes(total.bytesSent)}), ` +
          `${total.blobsSkipped} blobs already there; ${outcome.written.length} tags written in ${formatDuration(Date.now() - started)}\n`,
      );
      setExit(0);
    },
  };
}

interface PushOutcome {
  transfers: ImageTransfer[];
  copies: CopiedImage[];
  written: string[];
  failed?: { transfer: ImageTransfer; message: string; durationMs: number };
  error?: unknown;
}

/** Copies every image, then writes every tag; a failure stops before any tag is written. */
async function publishTransfers(
  transfers: ImageTransfer[],
  signal: AbortSignal,
  io: CommandIo,
  outDir: string,
  lines: { write(text: string): unknown },
): Promise<PushOutcome> {
  const outcome: PushOutcome = { transfers, copies: [], written: [] };
  for (const transfer of transfers) {
    const started = Date.now();
    try {
      if (signal.aborted) throw signal.reason;
      const copy = await copyAndCheck(transfer, signal);
      outcome.copies.push(copy);
      lines.write(
        `${transfer.label} -> ${transfer.to.name}@${transfer.root.digest} (${copy.listing.platforms.map((p) => p.name).join(', ')}): ${describeCopy(copy)}\n`,
      );
    } catch (error) {
      outcome.failed = { transfer, message: error instanceof Error ? error.message : String(error), durationMs: Date.now() - started };
      outcome.error = signal.aborted ? signal.reason : error;
      io.stderr.write(`push: ${transfer.label} -> ${transfer.to.name} failed; no tag was written\n`);
      return outcome;
    }
  }
  try {
    const results = await runTagPhase(await tagWrites(outcome.copies), { signal, journalFile: journalPath(outDir), rerun: rerunCommand(io.argv) });
    outcome.written = results.map(tagReference);
    for (const result of results) lines.write(`tagged ${tagReference(result)}${result.status === 'unchanged' ? ' (already)' : ''}\n`);
  } catch (error) {
    outcome.error = error;
  }
  return outcome;
}

/** `3 blobs sent (4.7 MiB), 2 blobs already there`, or `image already there, nothing sent`. */
export function describeCopy(copy: CopiedImage): string {
  if (copy.alreadyThere) return 'image already there, nothing sent';
  const { blobsSent, blobsSkipped, bytesSent } = copy.stats;
  return `${blobsSent} blobs sent (${formatBytes(bytesSent)}), ${blobsSkipped} blobs already there`;
}

/** The run as a --report file: one job per image copied, one image entry per image tagged. */
function pushReport(
  outcome: PushOutcome,
  context: { hubs: string[]; platforms: Platform[] | undefined; started: number; sizes: Map<string, number> },
): RunReport {
  const finished = Date.now();
  const jobs: ReportedJob[] = outcome.transfers.map((transfer) => {
    const id = `push:${transfer.label}:${transfer.to.name}`;
    const copy = outcome.copies.find((c) => c.transfer === transfer);
    if (copy)
      return {
        id,
        kind: 'push',
        title: `push ${transfer.label} to ${transfer.to.name}: ${describeCopy(copy)}`,
        status: 'succeeded',
        durationMs: copy.durationMs,
      };
    if (outcome.failed?.transfer === transfer) {
      return {
        id,
        kind: 'push',
        title: `push ${transfer.label} to ${transfer.to.name}`,
        status: 'failed',
        durationMs: outcome.failed.durationMs,
        error: { message: outcome.failed.message },
      };
    }
    return { id, kind: 'push', title: `push ${transfer.label} to ${transfer.to.name}`, status: 'not-run' };
  });
  const tagged = outcome.error === undefined;
  const images: ReportedImage[] = tagged
    ? outcome.copies.map(({ transfer, listing, durationMs }) => ({
        image: transfer.label.slice(0, transfer.label.lastIndexOf(':')),
        // The layout does not record variants; a variant's tag carries its suffix (-distroless).
        variant: 'default',
        repository: transfer.to.name,
        refs: transfer.tags.map((t) => `${transfer.to.name}:${t}`),
        digest: transfer.root.digest,
        mediaType: transfer.root.mediaType,
        size: transfer.root.size,
        platforms: listing.platforms.map((p) => ({
          platform: p.name,
          digest: p.descriptor.digest,
          size: p.descriptor.size,
          mediaType: p.descriptor.mediaType,
          ...(context.sizes.has(p.descriptor.digest) ? { compressedSize: context.sizes.get(p.descriptor.digest)! } : {}),
        })),
        durationMs,
      }))
    : [];
  const allTags = [...new Set(outcome.transfers.flatMap((t) => t.tags))];
  const listed = [...new Set(outcome.copies.flatMap((c) => c.listing.platforms.map((p) => p.name)))];
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: 'meshbuild',
    version: allTags[0] ?? '',
    platforms: context.platforms ? context.platforms.map(formatPlatform) : listed,
    hubs: context.hubs,
    tags: allTags,
    startedAt: new Date(context.started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - context.started,
    ok: tagged,
    jobs,
    images,
  };
}
