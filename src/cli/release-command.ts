/**
 * `meshbuild release <version>`: every image pushed by digest and verified, then all tags at once
 * (`VERSION`, and `MAJOR.MINOR` / `latest` where the version is the highest), and the release
 * files in `out/release/<version>/`. Ctrl-C before the tags leaves none; a re-run finishes it.
 */
import path from 'node:path';
import { EXIT_INTERRUPTED, MeshbuildError, stepError, usageError } from '../errors.js';
import { createPlan } from '../plan/plan.js';
import { cutRelease, type ReleaseFailure, type ReleaseOutcome } from '../release/release.js';
import { loadSigningKey } from '../sign/signing-key.js';
import { RegistryClients } from '../registry/client-pool.js';
import { parseReleaseVersion, type ReleaseVersion } from '../release/versions.js';
import { formatPlan } from '../report/plan-text.js';
import { writeFileAtomic } from '../run/atomic-files.js';
import { withInterrupt } from '../run/interrupt.js';
import { withOutFolder } from '../run/atomic-files.js';
import { rerunCommand } from '../run/rerun-command.js';
import { summarizeReport } from '../report/run-summary.js';
import type { Timeline } from '../report/timeline.js';
import type { CommandParts } from './lazy-command.js';
import type { CommandIo } from './main.js';
import { listValue, positiveWholeNumber, withBuildFlags, type BuildFlags } from './flags.js';
import { loadGraph, planRequest } from './settings.js';
import { printSummary } from './run-output.js';

type ReleaseArgs = BuildFlags & {
  'release-version': string;
  force: boolean;
  'minor-tag': boolean;
  latest: boolean;
  'verify-run': boolean;
  'sign-key'?: string;
};

/** Build flags that name what `release` decides itself. */
const NOT_FOR_RELEASE = ['tag', 'push', 'push-by-digest', 'load', 'output', 'binaries-only'] as const;

export default function releaseCommand(io: CommandIo, setExit: (code: number) => void): CommandParts<ReleaseArgs> {
  return {
    builder: (yargs) =>
      withBuildFlags(yargs)
        .positional('release-version', { type: 'string', demandOption: true, describe: 'Semver version: 1.2.3, 1.3.0-rc.1 (a leading v is dropped)' })
        .option('force', { type: 'boolean', default: false, describe: 'Move the version tag when it already names other content' })
        .option('minor-tag', {
          type: 'boolean',
          default: true,
          describe: 'Also tag MAJOR.MINOR when this is the highest release of its line (--no-minor-tag: never)',
        })
        .option('latest', { type: 'boolean', default: true, describe: 'Also tag latest when this is the highest release in the hub (--no-latest: never)' })
        .option('verify-run', {
          type: 'boolean',
          default: false,
          describe: "Verify by also starting each platform's image (needs a Docker Engine; qemu for foreign ones)",
        })
        .option('sign-key', {
          type: 'string',
          describe: 'Sign every index and platform manifest and attach SBOM + provenance attestations (cosign-compatible) with this PEM ECDSA P-256 key',
        })
        .hide('tag')
        .hide('push')
        .hide('push-by-digest')
        .hide('load')
        .hide('output')
        .hide('binaries-only')
        .example('$0 release 1.29.1 --hub 127.0.0.1:5555/mesh', 'Push every image by digest, verify, then tag 1.29.1 (and 1.29, latest when highest)')
        .example(
          '$0 release 1.29.1 --hub 127.0.0.1:5555/mesh --sign-key keys/meshbuild.key',
          'Also sign every manifest and attach SBOM + provenance for cosign',
        )
        .example('$0 release 1.30.0-rc.1 --hub docker.io/me --no-latest --dry-run', 'The plan of a release candidate that leaves latest alone'),
    handler: async (argv) => {
      const version = parseReleaseVersion(String(argv['release-version']));
      for (const flag of NOT_FOR_RELEASE) {
        const value = argv[flag];
        if (value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0)) {
          throw usageError(`release does not take --${flag}`, {
            hint: 'release tags the version itself and always pushes to --hub (by digest first, tags last)',
          });
        }
      }
      positiveWholeNumber(argv.jobs, '--jobs');
      positiveWholeNumber(argv['registry-concurrency'], '--registry-concurrency');
      const hubs = listValue(argv.hub).length > 0 ? listValue(argv.hub) : listValue(io.env.HUB ? [io.env.HUB] : []);
      if (hubs.length === 0)
        throw usageError('release needs --hub (or the HUB environment variable)', { hint: 'e.g. meshbuild release 1.2.3 --hub docker.io/myhub' });
      const { graph } = loadGraph(argv, io);
      const request = await planRequest({ ...argv, hub: hubs, tag: [version.version], 'push-by-digest': true }, ['all'], graph, io.env);
      // Read before anything runs: a bad key is exit 2 at once, a dry run included.
      const signingKey = argv['sign-key'] !== undefined ? await loadSigningKey(path.resolve(argv['sign-key'])) : undefined;
      if (signingKey?.warning) io.stderr.write(`warning: ${signingKey.warning}\n`);
      if (argv['dry-run']) {
        io.stdout.write(formatPlan(createPlan(graph, request)));
        setExit(0);
        return;
      }

      const started = Date.now();
      // With --json, stdout is the summary's JSON alone; the lines along the way go to stderr.
      const lines = argv.json ? io.stderr : io.stdout;
      const timelines: Timeline[] = [];
      const insecureRegistries = listValue(argv['insecure-registry']);
      // One lock for the whole release: its builds and the release files it stages after them.
      const outcome: ReleaseOutcome = await withOutFolder(request.outDir, () =>
        withInterrupt((signal) =>
          cutRelease({
            version,
            graph,
            request,
            force: argv.force,
            tagChoices: { minorTag: argv['minor-tag'], latest: argv.latest },
            verifyRun: argv['verify-run'],
            insecureRegistries,
            clientFor: new RegistryClients({ insecureRegistries, maxConcurrentRequests: argv['registry-concurrency'] }).lookup,
            runPlan: async (plan, reportFile) => {
              const { executePlan } = await import('./execute.js');
              const run = await executePlan(plan, { ...argv, report: reportFile }, io);
              timelines.push(run.timeline);
              return run;
            },
            signal,
            rerun: rerunCommand(io.argv),
            ...(signingKey ? { signingKey } : {}),
            print: (line) => lines.write(`${line}\n`),
          }),
        ),
      );
      if (argv.report !== undefined) await writeFileAtomic(path.resolve(argv.report), `${JSON.stringify(outcome.report, null, 2)}\n`);
      // The summary comes last, also when the release failed (what was pushed, by digest).
      const view = summarizeReport(outcome.report, { command: 'release', output: hubs.join(', '), durationMs: Date.now() - started });
      try {
        printOutcome(lines, version, outcome);
      } finally {
        await printSummary(io, argv, view, timelines[0]);
      }
      setExit(0);
    },
  };
}

/** Prints what the release did, or throws what stopped it (exit 1, or 130 for Ctrl-C). */
function printOutcome(stream: NodeJS.WritableStream, version: ReleaseVersion, outcome: ReleaseOutcome): void {
  const { release } = outcome.report;
  if (outcome.interrupted) {
    const tagPhase = release.failures.find((f) => f.step === 'tag');
    throw new MeshbuildError(`release ${version.version} interrupted; ${tagPhase ? 'while writing its tags' : 'no tag of it was written'}`, {
      exitCode: EXIT_INTERRUPTED,
      ...(tagPhase ? { detail: tagPhase.problem } : {}),
      hint: 'run the same command again to finish it: only what the registry lacks is sent',
    });
  }
  if (!outcome.ok) {
    const conflict = release.failures.some((f) => f.step === 'conflict');
    const causes = release.failures.filter((f) => !f.skipped).length;
    const tagsDone = release.tags.length > 0 && release.tags.every((t) => t.status !== 'not-written');
    const tags = tagsDone
      ? 'its tags are written'
      : release.failures.some((f) => f.step === 'tag')
        ? 'writing its tags failed (see below)'
        : 'no tag of it was written';
    throw stepError(`release ${version.version} failed (${causes} problem${causes === 1 ? '' : 's'}); ${tags}`, {
      detail: formatFailures(release.failures).join('\n'),
      hint: conflict
        ? 'a version names one content: release a new version, or pass --force to move the tag'
        : 'fix the cause and run the same command again: what is already pushed is not sent again',
    });
  }
  const out = (line: string) => stream.write(`${line}\n`);
  if (outcome.unchanged) {
    out(`release ${version.version} is already published with this content: nothing to do (every tag already names it)`);
  } else {
    const written = release.tags.filter((t) => t.status === 'written').length;
    out(`release ${version.version}: ${written} tag${written === 1 ? '' : 's'} written, ${release.tags.length - written} already in place`);
  }
  const byReference = new Map<string, string[]>();
  for (const tag of release.tags) {
    const repository = tag.reference.slice(0, tag.reference.lastIndexOf(':'));
    const key = `${repository}@${tag.digest}`;
    byReference.set(key, [...(byReference.get(key) ?? []), tag.reference.slice(repository.length + 1)]);
  }
  for (const [reference, tags] of byReference) out(`  ${reference}  ${tags.join(', ')}`);
  for (const note of release.notes) out(`  note: ${note}`);
  if (release.signed)
    out(
      `signed: ${release.signed.manifests} manifests, each with a signature and SBOM + provenance attestations (${release.signed.tags} .sig/.att tags written)`,
    );
  if (release.files) out(`release files: ${release.files}`);
}

/**
 * Lines for people about a release that did not go through: each cause per image x platform x
 * hub, then what did not run because of them, grouped by reason.
 */
export function formatFailures(failures: readonly ReleaseFailure[]): string[] {
  const lines = failures
    .filter((f) => !f.skipped)
    .map((f) => {
      const where = [f.image ?? f.subject, f.platforms?.join(','), f.hubs?.join(',')].filter((part) => part !== undefined && part !== '').join(' x ');
      return `${f.step}: ${where !== '' ? `${where}: ` : ''}${f.problem}${f.file ? ` (${f.file})` : ''}`;
    });
  const skipped = new Map<string, string[]>();
  for (const f of failures.filter((f) => f.skipped)) skipped.set(f.problem, [...(skipped.get(f.problem) ?? []), f.image ?? f.subject ?? '?']);
  for (const [reason, what] of skipped) lines.push(`not run (${reason}): ${what.join(', ')}`);
  return lines;
}
