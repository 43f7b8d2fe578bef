/**
 * `meshbuild verify <ref...>`: checks published images: every platform listed, each platform's
 * config and ELF binaries built for it, and with --run each image's version command run on its
 * platform: `--version-args`, else the `versionArgs` of the same-named image in --targets/--source
 * when either is given, else `--version`; with --key, every manifest's cosign signature and
 * attestations, and each SBOM against the Go binaries in the layers. Exit 0 when every reference passes, 1 when any has a problem or cannot be read, 2 for bad input.
 */
import path from 'node:path';
import { EXIT_FAILED, isMeshbuildError, usageError } from '../errors.js';
import { parsePlatformList } from '../platform.js';
import type { Graph } from '../graph/graph.js';
import { inspectReference, type VerifyReport } from '../release/verify.js';
import { DEFAULT_VERSION_ARGS } from '../release/verify-run.js';
import { parseReference } from '../registry/reference.js';
import type { CommandParts } from './lazy-command.js';
import { loadVerifyKey } from '../sign/signing-key.js';
import type { CommandIo } from './main.js';
import { formatError } from './print-error.js';
import { withInterrupt } from '../run/interrupt.js';
import { withRegistryFlags } from './flags.js';
import { registryClients, type RegistryFlags } from './push-command.js';
import { DEFAULT_SOURCE_DIR, DEFAULT_TARGETS_DIR } from './paths.js';
import { loadGraph } from './settings.js';

type VerifyArgs = Omit<RegistryFlags, 'out'> & {
  references: string[];
  platforms?: string[];
  run: boolean;
  json: boolean;
  'version-args'?: string;
  targets?: string;
  source?: string;
  key?: string;
};

/**
 * The version command arguments for `reference`: `--version-args` when given (split on spaces;
 * "" runs the executable alone), else the `versionArgs` the graph declares for the image whose name
 * is the repository's last segment (`hub/pilot` -> `pilot`), else `--version`.
 */
export function versionArgsFor(reference: string, flag: string | undefined, graph: Pick<Graph, 'images'> | undefined): readonly string[] {
  if (flag !== undefined) return flag.split(/\s+/).filter((arg) => arg !== '');
  const name = parseReference(reference).repository.split('/').pop() ?? '';
  return graph?.images.get(name)?.versionArgs ?? DEFAULT_VERSION_ARGS;
}

/** A reference that could not be read at all (registry unreachable, no such tag). */
interface UnreadableReference {
  reference: string;
  ok: false;
  error: string;
}

export default function verifyCommand(io: CommandIo, setExit: (code: number) => void): CommandParts<VerifyArgs> {
  return {
    builder: (yargs) =>
      withRegistryFlags(yargs)
        .positional('references', { type: 'string', array: true, demandOption: true, describe: 'Image references: host/repo:tag or host/repo@sha256:...' })
        .option('platforms', { type: 'string', array: true, describe: 'Platforms each image must have', defaultDescription: 'every platform its index lists' })
        .option('run', {
          type: 'boolean',
          default: false,
          describe: "Also run each platform's version command (Docker Engine; qemu for foreign platforms)",
        })
        .option('version-args', {
          type: 'string',
          describe: 'Arguments --run passes to the ENTRYPOINT (or CMD) executable, space-separated, for every reference',
          defaultDescription: 'the image\'s versionArgs in --targets/--source, else "--version"',
        })
        .option('targets', { type: 'string', describe: "Read each image's versionArgs from this targets folder (images matched by repository name)" })
        .option('source', { type: 'string', describe: "Read versionArgs from the graph with this source's overlay (an Istio checkout)" })
        .option('key', {
          type: 'string',
          describe: 'Public key (PEM): every manifest must carry a signature and SBOM + provenance attestations that verify with it',
        })
        .option('json', { type: 'boolean', default: false, describe: 'Print the results as JSON' })
        .example('$0 verify 127.0.0.1:5555/mesh/pilot:1.29.1 --platforms amd64,arm64', 'Both platforms listed, binaries built for each')
        .example('$0 verify 127.0.0.1:5555/mesh/pilot:1.29.1 --run', "Also start each platform's image and run its version command"),
    handler: async (argv) => {
      if (argv['version-args'] !== undefined && !argv.run)
        throw usageError('--version-args is what --run passes to each image: it needs --run', { hint: 'add --run, or leave --version-args out' });
      const references = argv.references.map(String);
      for (const reference of references) parseReference(reference); // bad input: exit 2 before any request
      const platforms = argv.platforms !== undefined ? parsePlatformList(argv.platforms) : [];
      const publicKey = argv.key !== undefined ? await loadVerifyKey(path.resolve(argv.key)) : undefined;
      const clients = registryClients(argv);
      // Only a graph asked for is read: plain references keep the default version command.
      const graph =
        argv.run && argv['version-args'] === undefined && (argv.targets !== undefined || argv.source !== undefined)
          ? loadGraph({ targets: argv.targets ?? DEFAULT_TARGETS_DIR, source: argv.source ?? DEFAULT_SOURCE_DIR }, io).graph
          : undefined;
      const results: Array<VerifyReport | UnreadableReference> = [];
      await withInterrupt(async (signal) => {
        clients.abortOn(signal);
        for (const reference of references) {
          try {
            const report = await inspectReference(reference, {
              platforms,
              run: argv.run,
              versionArgs: versionArgsFor(reference, argv['version-args'], graph),
              insecureRegistries: clients.insecureRegistries,
              clientFor: (registry) => clients.for(registry),
              ...(publicKey ? { publicKey } : {}),
              signal,
            });
            results.push(report);
            if (!argv.json) io.stdout.write(formatVerifyReport(report));
          } catch (error) {
            if (signal.aborted || !isMeshbuildError(error) || error.exitCode !== EXIT_FAILED) throw error;
            results.push({ reference, ok: false, error: error.message });
            if (!argv.json) io.stdout.write(`${reference}\n  could not be verified\n`);
            io.stderr.write(formatError(error).text);
          }
        }
      });
      const failed = results.filter((r) => !r.ok).length;
      if (argv.json) io.stdout.write(`${JSON.stringify({ ok: failed === 0, results }, null, 2)}\n`);
      else io.stdout.write(`verify: ${results.length - failed} of ${results.length} references passed\n`);
      setExit(failed === 0 ? 0 : EXIT_FAILED);
    },
  };
}

/** The per-reference summary: platforms, attestation entries, --run output, problems. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines = [`${report.reference} @ ${report.digest}`];
  lines.push(`  ${report.isIndex ? 'platforms' : 'single-platform image'}: ${report.platforms.join(', ') || 'none'}`);
  lines.push(`  attestation entries: ${report.attestations.length === 0 ? 'none' : report.attestations.length}`);
  for (const attestation of report.attestations) lines.push(`    ${attestation}`);
  lines.push(`  ELF binaries checked: ${report.binaries}`);
  if (report.signatures) lines.push(`  signed manifests: ${report.signatures.signed}, attestations verified: ${report.signatures.attestations}`);
  for (const run of report.runs)
    lines.push(`  run ${run.platform}: ${run.command.join(' ')} -> ${run.output.split('\n')[0] ?? ''}${run.exitCode === 0 ? '' : ` (exit ${run.exitCode})`}`);
  if (report.ok) {
    lines.push('  ok');
  } else {
    lines.push(`  ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}:`);
    for (const finding of report.problems)
      lines.push(`    - ${[finding.platform, finding.file].filter(Boolean).join(' ')}${finding.platform || finding.file ? ': ' : ''}${finding.problem}`);
  }
  return `${lines.join('\n')}\n`;
}
