/**
 * The composition root of a run: picks reporters, checks the tools the plan needs, wires each
 * job kind to its executor, ties Ctrl-C to cancellation, and runs the scheduler.
 */
import path from 'node:path';
import { sourceTreeState } from '../go/source-tree-state.js';
import { checkGoToolchain, runGoBuild } from '../go/go-build.js';
import { goBuildFreshness } from '../go/go-freshness.js';
import { fetchArtifact } from '../fetch/fetch-artifact.js';
import { fetchFreshness } from '../fetch/fetch-freshness.js';
import type { Plan } from '../plan/types.js';
import { JsonReportWriter, type RunReport } from '../report/json-report.js';
import { TimelineRecorder, type Timeline } from '../report/timeline.js';
import { isMeshbuildError } from '../errors.js';
import { meshbuildVersion } from '../version.js';
import { withOutFolder } from '../run/atomic-files.js';
import { prepareOutDir } from '../run/out-lock.js';
import { rerunCommand } from '../run/rerun-command.js';
import { localArtifactRoots } from '../config/path-policy.js';
import { sharedAbortController, withInterrupt } from '../run/interrupt.js';
import { CombinedReporter, type Reporter, type RunEvent } from '../run/events.js';
import { runPlan, type Executors, type RunSummary } from '../run/scheduler.js';
import { imageFreshness } from '../image/image-freshness.js';
import { FileDigests } from '../run/file-digests.js';
import { FileRecordStore, recordsDir } from '../run/job-records.js';
import { skipUnchanged } from '../run/skip-unchanged.js';
import { KnownTags } from '../publish/known-tags.js';
import { buildxSessionJobs, withSessionNeeds } from '../image/buildx-session-plan.js';
import { Destinations } from '../publish/destinations.js';
import { publish } from '../publish/publish.js';
import type { LayerCompression } from '../oci/layer.js';
import { isLoopbackHost } from '../registry/insecure-policy.js';
import { parseReference } from '../registry/reference.js';
import type { CommandIo } from './main.js';
import type { EarlyBuildxInspect } from '../image/docker-preflight.js';
import { viewReporter } from './run-output.js';
import { listValue, type BuildFlags } from './flags.js';

/**
 * Everything the plan needs from outside, checked before any job starts, so that a missing tool or
 * an unreachable registry is one message up front rather than one per job later.
 */
async function checkTools(plan: Plan, flags: BuildFlags, destinations: Destinations, early: EarlyChecks): Promise<{ goVersion: string; buildxNodes: number }> {
  if (plan.output?.kind === 'oci' || plan.output?.kind === 'tar') await prepareOutDir(plan.output.dir, '--output');
  // Asked all at once (each is a process or a request); when several fail, the first in this order is reported.
  const [go, buildx, registries] = await Promise.allSettled([
    plan.jobs.some((j) => j.kind === 'go-build') ? checkGoToolchain() : '',
    buildxSessionJobs(plan).length > 0
      ? import('../image/docker-preflight.js').then(({ checkBuildx }) =>
          checkBuildx(plan.platforms, flags['builder-name'], {
            load: plan.output?.kind === 'docker',
            ...(early.buildx ? { inspected: early.buildx } : {}),
          }),
        )
      : undefined,
    plan.output?.kind === 'registry' ? destinations.checkRegistries() : undefined,
  ]);
  const goVersion = settledValue(go);
  const buildxNodes = settledValue(buildx)?.builder.nodes.filter((node) => node.status === 'running').length ?? 0;
  settledValue(registries);
  return { goVersion, buildxNodes };
}

function settledValue<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/** Istio skips compression for registries on loopback: sending is cheaper than gzip there. */
function layerCompressionFor(plan: Plan): LayerCompression {
  if (plan.output?.kind !== 'registry') return 'gzip';
  return plan.hubs.every((hub) => isLoopbackHost(parseReference(`${hub}/x`).registry)) ? 'none' : 'gzip';
}

/** A finished run: the scheduler's summary, the report the events made, and the run's timeline. */
export interface ExecutedRun extends RunSummary {
  report: RunReport;
  timeline: Timeline;
  /** Whether the run asked anything besides the file system for an image: a registry base, buildx. */
  usedOutside: boolean;
}

/** Checks the command started before it planned (their results are used as the run's own checks). */
export interface EarlyChecks {
  buildx?: EarlyBuildxInspect;
}

/**
 * Runs the plan holding the lock of --out: a second run on the same folder is exit 2, naming the
 * first. `whileLocked` sees the finished run before the lock is let go (the run stamp is taken there).
 */
export async function executePlan(
  plan: Plan,
  flags: BuildFlags,
  io: CommandIo,
  whileLocked?: (run: ExecutedRun) => Promise<void>,
  early: EarlyChecks = {},
): Promise<ExecutedRun> {
  return withOutFolder(plan.outDir, async () => {
    const run = await executeLocked(plan, flags, io, early);
    await whileLocked?.(run);
    return run;
  });
}

async function executeLocked(plan: Plan, flags: BuildFlags, io: CommandIo, early: EarlyChecks): Promise<ExecutedRun> {
  // Kept in memory for the summary in any case; written to --report FILE when asked.
  const report = new JsonReportWriter(flags.report);
  // Ctrl-C's signal exists only once the run starts (withInterrupt below); registry clients are made
  // before that, so they get a signal that follows it.
  const registryInterrupt = sharedAbortController();
  const destinations = new Destinations(plan, {
    insecureRegistries: listValue(flags['insecure-registry']),
    maxConcurrentRequests: flags['registry-concurrency'],
    signal: registryInterrupt.signal,
  });
  let goVersion: string;
  let buildxNodes: number;
  try {
    ({ goVersion, buildxNodes } = await checkTools(plan, flags, destinations, early));
  } catch (error) {
    if (flags.report !== undefined && isMeshbuildError(error)) {
      report.recordStartFailure(plan, error);
      await report.close();
    }
    throw error;
  }
  // Each registry base is opened once per run: the up-to-date check and every build see the same digest.
  const openedBases = new Map<string, ReturnType<Destinations['openImage']>>();
  const openBase = (reference: string) => {
    let opened = openedBases.get(reference);
    if (!opened) openedBases.set(reference, (opened = destinations.openImage(reference)));
    return opened;
  };
  const nativeOptions = {
    compression: layerCompressionFor(plan),
    sourceDateEpoch: plan.sourceDateEpoch,
    openExternalBase: openBase,
  };
  const buildxJobs = buildxSessionJobs(plan);
  // Loaded only for a run with buildx images.
  const buildxSession =
    buildxJobs.length === 0
      ? undefined
      : new (await import('../image/buildx-session.js')).BuildxSession(buildxJobs, {
          outDir: plan.outDir,
          attest: flags.attest,
          sourceDateEpoch: String(plan.sourceDateEpoch),
          ...(flags['builder-name'] ? { builderName: flags['builder-name'] } : {}),
          perPlatform: buildxNodes > 1,
          keepGoing: flags['keep-going'],
        });
  const timeline = new TimelineRecorder();
  const reporters: Reporter[] = [await viewReporter(io, flags), report, timeline];
  if (flags.trace !== undefined) reporters.push(new (await import('../report/trace-file.js')).TraceFileWriter(flags.trace, timeline));
  const reporter = new CombinedReporter(reporters);

  // Jobs whose inputs and outputs are those of their last successful run are skipped (up to date).
  const digests = await new FileDigests(path.join(recordsDir(plan.outDir), 'file-digests.json')).load();
  const skip = { records: new FileRecordStore(recordsDir(plan.outDir)), digests };
  let sourceTreeWalk: Promise<string> | undefined;
  const sourceTree = () => (sourceTreeWalk ??= sourceTreeState(plan.sourceDir, [plan.outDir], { digests }));
  const knownTags = new KnownTags();
  const resolveBase = (reference: string) => openBase(reference).then((opened) => opened.index);
  const localRoots = localArtifactRoots(flags.targets, plan.sourceDir);
  const imageSettings = {
    // A new meshbuild may build the same inputs differently.
    meshbuild: meshbuildVersion(),
    output: plan.output?.kind,
    native: { compression: nativeOptions.compression, sourceDateEpoch: plan.sourceDateEpoch },
    buildx: { attest: flags.attest, sourceDateEpoch: String(plan.sourceDateEpoch), builderName: flags['builder-name'], nodes: buildxNodes },
  };
  const executors: Executors = {
    'go-build': skipUnchanged((job, context) => runGoBuild(job, context, plan.outDir), goBuildFreshness({ goVersion, env: io.env, sourceTree }), skip),
    fetch: skipUnchanged((job, context) => fetchArtifact(job, context, plan.outDir, localRoots), fetchFreshness(digests, localRoots), skip),
    'image-build': skipUnchanged(
      // The builders load only when an image is built: a run with nothing to do never needs them.
      async (job, context) => {
        const built = await (await import('../image/build-image.js')).buildImage(job, context, { plan, destinations, buildxSession, native: nativeOptions });
        // Staged binaries and downloads (hard links of this run's outputs) keep their remembered digests.
        await Promise.all(job.context.filter((entry) => entry.platform !== undefined).map((entry) => digests.keepAfterLinking(entry.from)));
        return built;
      },
      imageFreshness({ plan, destinations, knownTags, digests, settings: imageSettings, resolveBase, sessionJobs: new Set(buildxJobs.map((j) => j.id)) }),
      skip,
    ),
    publish: (job, context) => publish(job, context, plan, destinations, rerunCommand(io.argv), knownTags),
  };

  let summary: RunSummary;
  try {
    summary = await withInterrupt((signal) => {
      signal.addEventListener('abort', () => registryInterrupt.abort(signal.reason), { once: true });
      const emit = (event: RunEvent) => {
        reporter.onEvent(event);
        buildxSession?.onEvent(event);
      };
      return runPlan(withSessionNeeds(plan, buildxJobs), executors, { jobs: flags.jobs, keepGoing: flags['keep-going'], signal, emit });
    });
  } finally {
    await digests.save();
    await reporter.close();
  }
  return { ...summary, report: report.report(), timeline: timeline.timeline(), usedOutside: openedBases.size > 0 || buildxSession !== undefined };
}
