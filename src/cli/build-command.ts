/** `meshbuild all` and `meshbuild build <targets...>`: plan, then run the plan. */
import type { CommandModule } from 'yargs';
import { EXIT_FAILED, EXIT_USAGE, InterruptedError, isMeshbuildError, stepError } from '../errors.js';
import { createPlan } from '../plan/plan.js';
import { formatPlan } from '../report/plan-text.js';
import { executePlan } from './execute.js';
import type { CommandIo } from './main.js';
import { loadGraph, planRequest, withBuildFlags, type BuildFlags } from './settings.js';

type BuildArgs = BuildFlags & { targetNames?: string[] };

export function buildCommands(io: CommandIo, setExit: (code: number) => void): Array<CommandModule<object, BuildArgs>> {
  const handler = (fixedTargets?: string[]) => async (argv: BuildArgs) => {
    const { graph } = loadGraph(argv);
    const plan = createPlan(graph, await planRequest(argv, fixedTargets ?? argv.targetNames ?? [], graph, io.env));
    if (argv['dry-run']) {
      io.stdout.write(formatPlan(plan));
      setExit(0);
      return;
    }
    const summary = await executePlan(plan, argv, io);
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
    // The CI log already showed each failure's tool output as it happened; the TTY view did not.
    for (const { failure } of summary.failures) {
      io.stderr.write(`error: ${failure.message}\n`);
      if (io.interactive && failure.detail) io.stderr.write(`${failure.detail.replace(/^/gm, '    | ')}\n`);
      if (failure.hint) io.stderr.write(`hint: ${failure.hint}\n`);
    }
    const usage = summary.failures.some((f) => isMeshbuildError(f.error) && f.error.exitCode === EXIT_USAGE);
    setExit(usage ? EXIT_USAGE : EXIT_FAILED);
  };
  return [
    {
      command: 'all',
      describe: 'Build every target of the "all" group for every platform',
      builder: (yargs) => withBuildFlags(yargs),
      handler: handler(['all']),
    },
    {
      command: 'build <target-names..>',
      describe: 'Build targets, images or groups (dependencies are pulled in)',
      builder: (yargs) => withBuildFlags(yargs).positional('target-names', { type: 'string', array: true, describe: 'e.g. pilot proxyv2 binary:istioctl' }),
      handler: handler(),
    },
  ];
}
