/** `meshbuild build <targets...>` (and, through `runBuild`, `meshbuild all`): plan, then run the plan. */
import type { ArgumentsCamelCase } from 'yargs';
import { EXIT_FAILED, EXIT_USAGE, InterruptedError, isMeshbuildError, stepError } from '../errors.js';
import { positiveWholeNumber, withBuildFlags, type BuildFlags } from './flags.js';
import type { CommandFactory } from './lazy-command.js';
import type { CommandIo } from './main.js';
import type { StampedRun } from './stamp-run.js';
import type { EarlyChecks, ExecutedRun } from './execute.js';

export type BuildArgs = BuildFlags & { targetNames?: string[] };

const buildCommand: CommandFactory<BuildArgs> = (io, setExit) => ({
  builder: (yargs) =>
    withBuildFlags(yargs)
      .positional('target-names', { type: 'string', array: true, describe: 'e.g. pilot proxyv2 binary:istioctl' })
      .example('$0 build pilot --platforms arm64 --load', 'pilot and what it needs for arm64, kept in the local Docker Engine')
      .example('$0 build binary:istioctl --platforms amd64,arm64,darwin/arm64', 'One binary for three platforms')
      .example('$0 build pilot proxyv2 --hub 127.0.0.1:5555/mesh --tag dev --push', 'Two images pushed to a registry'),
  handler: (argv) => runBuild(argv.targetNames ?? [], argv, io, setExit),
});

export default buildCommand;

/**
 * The stamp that answers this command line at once next time, if nothing changes (`stamp-run.ts`),
 * taken still holding --out so that no other run's outputs get into it; its failure fails nothing.
 */
async function leaveStamp(run: StampedRun, io: CommandIo): Promise<void> {
  const { stampRun } = await import('./stamp-run.js');
  const reason = await stampRun(run).catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
  if (reason !== undefined && run.flags.verbose) io.stderr.write(`note: no run stamp: ${reason}\n`);
}

/** Plans `targets` and runs the plan (or prints it with --dry-run); failures end in their exit code. */
export async function runBuild(
  targets: string[],
  argv: ArgumentsCamelCase<BuildArgs>,
  io: CommandIo,
  setExit: (code: number) => void,
  command: 'all' | 'build' = 'build',
): Promise<void> {
  const startedAt = Date.now();
  positiveWholeNumber(argv.jobs, '--jobs');
  positiveWholeNumber(argv['registry-concurrency'], '--registry-concurrency');
  // buildx asked for by name: its builder is inspected while the targets load and the plan is made.
  const early: EarlyChecks =
    argv.builder === 'buildx' && !argv.load && !argv['dry-run']
      ? { buildx: (await import('../image/docker-preflight.js')).startBuildxInspect(argv['builder-name']) }
      : {};
  try {
    await planAndRun({ targets, argv, command, startedAt, early }, io, setExit);
  } finally {
    await early.buildx?.dispose();
  }
}

interface BuildRequest {
  targets: string[];
  argv: ArgumentsCamelCase<BuildArgs>;
  command: 'all' | 'build';
  startedAt: number;
  early: EarlyChecks;
}

async function planAndRun({ targets, argv, command, startedAt, early }: BuildRequest, io: CommandIo, setExit: (code: number) => void): Promise<void> {
  const [{ loadGraph, planRequest }, { createPlan }, { formatPlan }] = await Promise.all([
    import('./settings.js'),
    import('../plan/plan.js'),
    import('../report/plan-text.js'),
  ]);
  const { graph } = loadGraph(argv, io);
  const plan = createPlan(graph, await planRequest(argv, targets, graph, io.env));
  if (argv['dry-run']) {
    io.stdout.write(formatPlan(plan));
    setExit(0);
    return;
  }
  const [{ executePlan }, { describeDestination, summarizeReport }, { printSummary }] = await Promise.all([
    import('./execute.js'),
    import('../report/run-summary.js'),
    import('./run-output.js'),
  ]);
  const viewOf = (run: ExecutedRun) =>
    summarizeReport(run.report, {
      command,
      output: plan.jobs.some((j) => j.kind === 'image-build') ? describeDestination(plan.output, plan.hubs) : `binaries in ${plan.outDir}`,
      durationMs: run.durationMs,
    });
  const summary = await executePlan(
    plan,
    argv,
    io,
    async (run) => {
      if (!run.ok) return;
      const stamped = { argv: io.argv ?? [], cwd: io.cwd ?? process.cwd(), env: io.env, startedAt, plan, flags: argv, usedOutside: run.usedOutside };
      await leaveStamp({ ...stamped, view: viewOf(run) }, io);
    },
    early,
  );
  const view = viewOf(summary);
  // The CI log already showed each failure's tool output as it happened; the TTY view did not.
  if (!summary.ok && !summary.interrupted) {
    for (const { failure } of summary.failures) {
      io.stderr.write(`error: ${failure.message}\n`);
      if (io.interactive && failure.detail) io.stderr.write(`${failure.detail.replace(/^/gm, '    | ')}\n`);
      if (failure.hint) io.stderr.write(`hint: ${failure.hint}\n`);
    }
  }
  await printSummary(io, argv, view, summary.timeline);
  if (summary.ok) {
    setExit(0);
    return;
  }
  if (summary.interrupted) {
    // The tag phase's own interruption says what it put back: prefer it to a bare one.
    const own = summary.failures.map((f) => f.error).find((e): e is InterruptedError => e instanceof InterruptedError && e.detail !== undefined);
    throw own ?? new InterruptedError();
  }
  if (summary.failures.length === 0) throw stepError(`${summary.skipped.length} jobs did not run`);
  const usage = summary.failures.some((f) => isMeshbuildError(f.error) && f.error.exitCode === EXIT_USAGE);
  setExit(usage ? EXIT_USAGE : EXIT_FAILED);
}
