/**
 * The composition root of a run: picks reporters, checks the tools the plan needs, wires each
 * job kind to its executor, ties Ctrl-C to cancellation, and runs the scheduler.
 */
import { checkGoToolchain, runGoBuild } from '../go/go-build.js';
import { fetchArtifact } from '../fetch/fetch-artifact.js';
import type { Plan } from '../plan/types.js';
import { CiReporter } from '../report/ci-reporter.js';
import { JsonReportWriter } from '../report/json-report.js';
import { TtyReporter } from '../report/tty-reporter.js';
import { clearTemp } from '../run/atomic-files.js';
import { CombinedReporter, type Reporter } from '../run/events.js';
import { runPlan, type Executors, type RunSummary } from '../run/scheduler.js';
import { InterruptedError, stepError } from '../errors.js';
import type { CommandIo } from './main.js';
import type { BuildFlags } from './settings.js';

export async function executePlan(plan: Plan, flags: BuildFlags, io: CommandIo): Promise<RunSummary> {
  if (plan.jobs.some((j) => j.kind === 'go-build')) await checkGoToolchain();
  await clearTemp(plan.outDir);

  const reporters: Reporter[] = [io.interactive ? new TtyReporter() : new CiReporter(io.stderr)];
  const report = flags.report !== undefined ? new JsonReportWriter(flags.report) : undefined;
  if (report) reporters.push(report);
  const reporter = new CombinedReporter(reporters);

  const executors: Executors = {
    'go-build': (job, context) => runGoBuild(job, context, plan.outDir),
    fetch: (job, context) => fetchArtifact(job, context, plan.outDir),
    'image-build': async (job) => {
      throw stepError(`image builds are not available yet (${job.image})`);
    },
    publish: async () => {
      throw stepError('publishing is not available yet');
    },
  };

  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => interrupt.abort(new InterruptedError(signal));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await runPlan(plan, executors, { jobs: flags.jobs, keepGoing: flags['keep-going'], signal: interrupt.signal, emit: (e) => reporter.onEvent(e) });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await reporter.close();
    await clearTemp(plan.outDir);
  }
}
