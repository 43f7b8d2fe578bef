/**
 * `meshbuild mirror <src-ref> <dst-hub>` and `meshbuild mirror --from-report REPORT <dst-hub>`:
 * copies whole images (every platform, digests unchanged) between registries into
 * `<dst-hub>/<image name>`, verifies each copy against the source's platforms, then tags it.
 */
import { readFile } from 'node:fs/promises';
import { EXIT_FAILED, isMeshbuildError, usageError } from '../errors.js';
import { parsePlatformList } from '../platform.js';
import { mirrorDestination, mirrorImage, mirrorSourcesFromReport, type MirrorResult, type MirrorSource } from '../release/mirror.js';
import { parseReport } from '../report/json-report.js';
import { formatBytes } from '../report/format.js';
import type { CommandParts } from './lazy-command.js';
import type { CommandIo } from './main.js';
import { formatError } from './print-error.js';
import { withInterrupt } from '../run/interrupt.js';
import { rerunCommand } from '../run/rerun-command.js';
import { runTagPhase, tagReference } from '../publish/tag-phase.js';
import { journalPath } from '../publish/tags-journal.js';
import { registryClients, withPublishFlags, type RegistryFlags } from './push-command.js';
import { isCosignTag } from '../sign/cosign-layout.js';
import { formatVerifyReport } from './verify-command.js';
import { withOutputFlags, type OutputFlags } from './flags.js';
import { printSummary, progressLines } from './run-output.js';
import { REPORT_SCHEMA_VERSION, type RunReport } from '../report/json-report.js';
import { summarizeReport } from '../report/run-summary.js';
import { compressedSize } from '../publish/image-size.js';
import { RegistryStore } from '../publish/registry-store.js';
import type { RegistryClients } from '../registry/client-pool.js';

type MirrorArgs = RegistryFlags & OutputFlags & { source?: string; destination?: string; tag?: string; platforms?: string[]; 'from-report'?: string };

export default function mirrorCommand(io: CommandIo, setExit: (code: number) => void): CommandParts<MirrorArgs> {
  return {
    builder: (yargs) =>
      withOutputFlags(withPublishFlags(yargs))
        .usage(
          '$0 mirror <src-ref> <dst-hub> [--tag T] [--platforms ...]\n$0 mirror --from-report REPORT <dst-hub>\n\nCopy images with every platform (digests unchanged) to <dst-hub>/<image name>, verify the copy, then tag it',
        )
        .positional('source', { type: 'string', describe: 'Image to copy: host/repo:tag or host/repo@sha256:... (with --from-report: the destination hub)' })
        .positional('destination', { type: 'string', describe: 'Hub to copy into (registry/namespace); the copy is <hub>/<image name>' })
        .option('tag', { type: 'string', describe: 'Tag to write in the destination', defaultDescription: "the source's tag" })
        .option('platforms', { type: 'string', array: true, describe: 'Platforms the source must have', defaultDescription: 'what it lists' })
        .option('from-report', { type: 'string', describe: 'Mirror every image of a meshbuild --report file' })
        .example('$0 mirror docker.io/istio/pilot:1.29.1 127.0.0.1:5555/mirror', 'Copy one image with every platform, verify the copy, then tag it')
        .example('$0 mirror 127.0.0.1:5555/mirror --from-report out/report.json', 'Every image a run pushed (its --report) into another hub'),
    handler: async (argv) => {
      const { sources, hub } = await mirrorSources(argv);
      const platforms = argv.platforms !== undefined ? parsePlatformList(argv.platforms) : undefined;
      for (const source of sources) mirrorDestination(source.reference, hub, argv.tag); // bad input: exit 2 before any copy
      const clients = registryClients(argv);
      const started = Date.now();
      const lines = progressLines(io, argv);
      let failed = 0;
      let tagged = false;
      const copied: MirrorResult[] = [];
      await withInterrupt(async (signal) => {
        clients.abortOn(signal);
        for (const source of sources) {
          try {
            const wanted = platforms ?? (source.platforms.length > 0 ? source.platforms : undefined);
            const result = await mirrorImage(source.reference, hub, {
              clients,
              signal,
              ...(argv.tag !== undefined ? { tag: argv.tag } : {}),
              ...(wanted ? { platforms: wanted } : {}),
            });
            if (!result.listing.isIndex) {
              io.stderr.write(
                `warning: ${source.reference} is a single-platform image (${result.listing.platforms.map((p) => p.name).join(', ')}), not an index: ` +
                  'nodes of any other architecture that pull it fail with "exec format error"\n',
              );
            }
            lines.write(formatMirrorResult(result));
            if (result.ok) copied.push(result);
            else failed++;
          } catch (error) {
            if (signal.aborted || !isMeshbuildError(error) || error.exitCode !== EXIT_FAILED) throw error;
            failed++;
            io.stderr.write(formatError(error).text);
          }
        }
        if (failed > 0) return;
        // Tags last, all together: a release mirrored is tagged whole or not at all.
        const results = await runTagPhase(
          copied.flatMap((c) => c.tags),
          { signal, journalFile: journalPath(argv.out), rerun: rerunCommand(io.argv) },
        );
        const cosignTags = results.filter((r) => isCosignTag(r.tag));
        for (const result of results.filter((r) => !isCosignTag(r.tag)))
          lines.write(`tagged ${tagReference(result)}${result.status === 'unchanged' ? ' (already)' : ''}\n`);
        if (cosignTags.length > 0) lines.write(`tagged ${cosignTags.length} .sig/.att (signatures and attestations kept with the images)\n`);
        tagged = true;
      });
      lines.write(`mirror: ${sources.length - failed} of ${sources.length} images copied and verified${failed > 0 ? '; no tag was written' : ''}\n`);
      const report = await mirrorReport(copied, { hub, started, tagged, ok: failed === 0, clients });
      await printSummary(io, argv, summarizeReport(report, { command: 'mirror', output: hub }));
      setExit(failed === 0 ? 0 : EXIT_FAILED);
    },
  };
}

async function mirrorSources(argv: MirrorArgs): Promise<{ sources: MirrorSource[]; hub: string }> {
  const file = argv['from-report'];
  if (file === undefined) {
    if (argv.source === undefined || argv.destination === undefined) {
      throw usageError('mirror needs a source image and a destination hub', {
        hint: 'meshbuild mirror 127.0.0.1:5555/mesh/pilot:1.0 registry.example.com/mesh',
      });
    }
    return { sources: [{ reference: argv.source, platforms: [] }], hub: argv.destination };
  }
  if (argv.source === undefined || argv.destination !== undefined) {
    throw usageError('mirror --from-report takes one argument: the destination hub', {
      hint: 'meshbuild mirror --from-report out/report.json registry.example.com/mesh',
    });
  }
  if (argv.tag !== undefined) throw usageError('mirror --from-report writes the tags of the report: it does not take --tag');
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw usageError(`cannot read the report ${file}: ${(error as Error).message}`);
  });
  return { sources: mirrorSourcesFromReport(parseReport(text, file), file), hub: argv.source };
}

export function formatMirrorResult(result: MirrorResult): string {
  const { blobsSent, blobsSkipped, bytesSent } = result.stats;
  const target = result.tag !== undefined ? `${result.repository}:${result.tag}` : `${result.repository}@${result.digest}`;
  const lines = [
    `${result.source} -> ${target}`,
    `  digest ${result.digest} (${result.listing.platforms.map((p) => p.name).join(', ')}; ${result.listing.attestations.length} attestation entries)`,
    result.alreadyThere ? '  already there: nothing copied' : `  ${blobsSent} blobs copied (${formatBytes(bytesSent)}), ${blobsSkipped} already there`,
    `  signatures: ${result.signatures.signatures} .sig and ${result.signatures.attestations} .att manifests copied`,
  ];
  if (result.ok)
    lines.push(
      result.tag !== undefined
        ? `  verified; tag ${result.tag} is written once every image is copied`
        : '  verified (no tag: the source is named by digest; pass --tag to write one)',
    );
  else lines.push('  the copy failed verification: no tag was written', formatVerifyReport(result.verify).trimEnd().replace(/^/gm, '  '));
  return `${lines.join('\n')}\n`;
}

/** The mirrored images in the run report's shape, for the summary: references, platforms, compressed sizes. */
async function mirrorReport(
  copied: MirrorResult[],
  context: { hub: string; started: number; tagged: boolean; ok: boolean; clients: RegistryClients },
): Promise<RunReport> {
  const images: RunReport['images'] = [];
  for (const result of copied) {
    const slash = result.repository.indexOf('/');
    const store = new RegistryStore(context.clients.for(result.repository.slice(0, slash)), result.repository.slice(slash + 1));
    const platforms = [];
    for (const p of result.listing.platforms) {
      const { digest, size, mediaType } = p.descriptor;
      platforms.push({ platform: p.name, digest, size, mediaType, compressedSize: await compressedSize(store, p.descriptor) });
    }
    images.push({
      image: result.repository.slice(result.repository.lastIndexOf('/') + 1),
      variant: 'default',
      repository: result.repository,
      refs: context.tagged && result.tag !== undefined ? [`${result.repository}:${result.tag}`] : [],
      digest: result.digest,
      mediaType: result.listing.root.mediaType,
      size: result.listing.root.size,
      platforms,
    });
  }
  const finished = Date.now();
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: 'meshbuild',
    version: '',
    platforms: [...new Set(images.flatMap((i) => i.platforms.map((p) => p.platform)))],
    hubs: [context.hub],
    tags: [...new Set(copied.flatMap((c) => (c.tag !== undefined ? [c.tag] : [])))],
    startedAt: new Date(context.started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - context.started,
    ok: context.ok,
    jobs: [],
    images,
  };
}
