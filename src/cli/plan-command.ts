/** `meshbuild plan`: the resolved job graph, for people or (`--json`) for machines. */
import type { BuilderPlacement } from '../image/buildx-nodes.js';
import type { Plan } from '../plan/types.js';
import { withDestinationFlags, withPlanFlags, type PlanFlags } from './flags.js';
import type { CommandFactory } from './lazy-command.js';

type PlanArgs = PlanFlags & { json: boolean; targetNames?: string[]; 'builder-name'?: string };

const planCommand: CommandFactory<PlanArgs> = (io, setExit) => ({
  builder: (yargs) =>
    withDestinationFlags(withPlanFlags(yargs), { hidden: true })
      .positional('target-names', { type: 'string', array: true, describe: 'Targets, images or groups (default: all)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the plan as JSON' })
      .option('builder-name', { type: 'string', describe: 'buildx builder whose nodes the plan shows (e.g. a multi-node builder)' })
      .example('$0 plan pilot --platforms amd64,arm64', 'The jobs that build pilot for two platforms, in order, with the builder each image gets')
      .example('$0 plan --json --binaries-only', 'The Go builds of every binary, as JSON')
      .example(
        '$0 plan --hub 127.0.0.1:5555/mesh --tag 1.29.1 --push --json',
        'The plan of that push: plan takes the flags of all/build that say where images go',
      ),
  handler: async (argv) => {
    const [{ loadGraph, planRequest }, { createPlan }, { formatPlan }] = await Promise.all([
      import('./settings.js'),
      import('../plan/plan.js'),
      import('../report/plan-text.js'),
    ]);
    const { graph } = loadGraph(argv, io);
    const plan = createPlan(graph, await planRequest(argv, argv.targetNames ?? [], graph, io.env));
    const buildx = await buildxPlacement(plan, argv['builder-name']);
    if (argv.json) io.stdout.write(`${JSON.stringify(buildx ? { ...plan, buildx } : plan, null, 2)}\n`);
    else {
      const { describePlacement } = await import('../image/buildx-nodes.js');
      io.stdout.write(
        formatPlan(plan) + (buildx ? `${'error' in buildx ? `buildx builder not inspected: ${buildx.error}` : describePlacement(buildx)}\n` : ''),
      );
    }
    setExit(0);
  },
});

export default planCommand;

/**
 * Which node of the buildx builder builds each platform, when the plan has buildx image builds: the
 * builder is asked (as the run would); a plan is still printed when it cannot be, saying why.
 */
async function buildxPlacement(plan: Plan, builderName: string | undefined): Promise<BuilderPlacement | { builder: string; error: string } | undefined> {
  if (!plan.jobs.some((j) => j.kind === 'image-build' && j.builder === 'buildx')) return undefined;
  const [{ builderPlacement, placePlatforms }, { inspectBuildxBuilder }] = await Promise.all([
    import('../image/buildx-nodes.js'),
    import('../image/docker-preflight.js'),
  ]);
  try {
    const builder = await inspectBuildxBuilder(builderName);
    return builderPlacement(builder, placePlatforms(builder, plan.platforms));
  } catch (error) {
    return { builder: builderName ?? '(current)', error: error instanceof Error ? error.message : String(error) };
  }
}
