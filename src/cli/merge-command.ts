/**
 * `meshbuild merge shard-*.json --tag T`: joins the reports of CI shard jobs (each pushed one
 * platform by digest) into one index per image, checks every image has every platform, pushes the
 * indexes by digest and only then writes all the tags; or names what is missing and writes nothing.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../errors.js';
import { formatPlatform, parsePlatformList } from '../platform.js';
import { RegistryClients } from '../registry/client-pool.js';
import { mergeShards, type MergeResult, type ShardFile } from '../release/merge.js';
import { parseReport, REPORT_SCHEMA_VERSION, type RunReport } from '../report/json-report.js';
import { writeFileAtomic } from '../run/atomic-files.js';
import { withInterrupt } from '../run/interrupt.js';
import { rerunCommand } from '../run/rerun-command.js';
import { tagReference } from '../publish/tag-phase.js';
import { journalPath } from '../publish/tags-journal.js';
import type { CommandParts } from './lazy-command.js';
import type { CommandIo } from './main.js';
import { listValue, withGraphFlags, withOutputFlags, type GraphFlags, type OutputFlags } from './flags.js';
import { printSummary, progressLines } from './run-output.js';
import { summarizeReport } from '../report/run-summary.js';
import { loadGraph } from './settings.js';

type MergeArgs = GraphFlags &
  OutputFlags & {
    shards: string[];
    hub?: string[];
    tag?: string[];
    platforms?: string[];
    report?: string;
    'insecure-registry'?: string[];
    'registry-concurrency': number;
    out: string;
  };

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export default function mergeCommand(io: CommandIo, setExit: (code: number) => void): CommandParts<MergeArgs> {
  return {
    builder: (yargs) =>
      withOutputFlags(withGraphFlags(yargs))
        .positional('shards', { type: 'string', array: true, demandOption: true, describe: 'Reports written by --push-by-digest --report (shard-*.json)' })
        .option('tag', { type: 'string', array: true, describe: 'Tag to write (repeat or comma-separate for several); env TAG' })
        .option('hub', { type: 'string', array: true, describe: 'Hubs to assemble in (env HUB)', defaultDescription: 'every hub the shards pushed to' })
        .option('platforms', { type: 'string', array: true, describe: 'Platforms every image must have', defaultDescription: 'the graph default' })
        .option('report', { type: 'string', describe: 'Write a JSON report of the merged images to FILE' })
        .option('insecure-registry', { type: 'string', array: true, describe: 'Registry host that may be reached over plain HTTP (loopback always may)' })
        .option('registry-concurrency', { type: 'number', default: 8, describe: 'Requests in flight per registry host' })
        .option('out', { type: 'string', default: 'out', describe: 'Folder for tags-journal.json, written only if a failed tag phase could not undo itself' })
        .example('$0 merge shard-amd64.json shard-arm64.json --tag 1.29.1', 'One manifest list per image from two platform shards, then every tag at once')
        .example('$0 merge reports/*.json --tag 1.29.1,latest --hub docker.io/me', 'The same with two tags, in one of the hubs the shards pushed to'),
    handler: async (argv) => {
      const tags = listValue(argv.tag).length > 0 ? listValue(argv.tag) : listValue(io.env.TAG ? [io.env.TAG] : []);
      if (tags.length === 0) throw usageError('merge needs --tag (or the TAG environment variable)', { hint: 'e.g. meshbuild merge shard-*.json --tag 1.2.3' });
      for (const tag of tags) {
        if (!TAG.test(tag))
          throw usageError(`--tag: "${tag}" is not a valid image tag`, { hint: 'tags are up to 128 letters, digits, _ . - and may not start with . or -' });
      }
      const hubs = listValue(argv.hub).length > 0 ? listValue(argv.hub) : listValue(io.env.HUB ? [io.env.HUB] : []);
      const { graph } = loadGraph(argv, io);
      const platforms = argv.platforms !== undefined ? parsePlatformList(argv.platforms) : graph.defaults.platforms;
      const shards = await readShards(argv.shards);
      const started = Date.now();
      const lines = progressLines(io, argv);
      const result = await withInterrupt((signal) =>
        mergeShards({
          shards,
          hubs,
          tags,
          platforms,
          tagSuffix: (variant) => {
            const spec = graph.variants.get(variant);
            if (!spec)
              throw usageError(`a shard has variant "${variant}", which the targets do not define`, {
                hint: `known variants: ${[...graph.variants.keys()].join(', ')}`,
              });
            return spec.tagSuffix;
          },
          clientFor: new RegistryClients({ insecureRegistries: listValue(argv['insecure-registry']), maxConcurrentRequests: argv['registry-concurrency'] })
            .lookup,
          tagPhase: { signal, journalFile: journalPath(argv.out), rerun: rerunCommand(io.argv) },
        }),
      );
      const report = mergeReport(shards, tags, platforms.map(formatPlatform), result, started);
      if (argv.report !== undefined) await writeFileAtomic(path.resolve(argv.report), `${JSON.stringify(report, null, 2)}\n`);
      const written = result.tags.filter((t) => t.status === 'written').length;
      for (const image of result.images) {
        lines.write(`${image.group.repository}@${image.index.digest}  ${[...image.group.platforms.keys()].join(', ')}  tags ${image.tags.join(', ')}\n`);
      }
      lines.write(
        `merged ${result.images.length} images from ${shards.length} shards: ${written} tags written, ${result.tags.length - written} already in place\n`,
      );
      await printSummary(io, argv, summarizeReport(report, { command: 'merge', output: report.hubs.join(', ') }));
      setExit(0);
    },
  };
}

async function readShards(files: string[]): Promise<ShardFile[]> {
  const shards: ShardFile[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw usageError(`cannot read the shard report ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
        hint: 'pass the files written by meshbuild all --push-by-digest --report FILE',
      });
    }
    shards.push({ file, report: parseReport(text, file) });
  }
  return shards;
}

/** The merged images in the run report's shape (readable by parseReport). */
function mergeReport(shards: ShardFile[], tags: string[], platforms: string[], result: MergeResult, started: number): RunReport {
  const finished = Date.now();
  const written = new Set(result.tags.map(tagReference));
  // Each shard weighed what it pushed: the merged index's platforms are those manifests.
  const sizes = new Map(
    shards.flatMap((s) =>
      s.report.images.flatMap((i) => i.platforms.flatMap((p) => (p.compressedSize !== undefined ? [[p.digest, p.compressedSize] as const] : []))),
    ),
  );
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: 'meshbuild',
    version: shards[0]?.report.version ?? '',
    platforms,
    hubs: [...new Set(result.images.map((i) => i.group.hub))],
    tags,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
    ok: true,
    jobs: [],
    images: result.images.map(({ group, index, tags: imageTags }) => ({
      image: group.image,
      variant: group.variant,
      repository: group.repository,
      refs: imageTags.map((t) => `${group.repository}:${t}`).filter((ref) => written.has(ref)),
      digest: index.digest,
      mediaType: index.mediaType,
      size: index.size,
      platforms: [...group.platforms].map(([platform, { descriptor }]) => ({
        platform,
        digest: descriptor.digest,
        size: descriptor.size,
        mediaType: descriptor.mediaType,
        ...(sizes.has(descriptor.digest) ? { compressedSize: sizes.get(descriptor.digest)! } : {}),
      })),
    })),
  };
}
