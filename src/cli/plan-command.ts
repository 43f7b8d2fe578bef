/** `meshbuild plan`: the resolved job graph, for people or (`--json`) for machines. */
import type { CommandModule } from 'yargs';
import { builderPlacement, describePlacement, placePlatforms, type BuilderPlacement } from '../image/buildx-nodes.js';
import { inspectBuildxBuilder } from '../image/docker-preflight.js';
import { createPlan } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import { formatPlan } from '../report/plan-text.js';
import type { CommandIo } from './main.js';
import { loadGraph, planRequest, withBuildFlags, type BuildFlags } from './settings.js';

export function planCommand(io: CommandIo, setExit: (code: number) => void): CommandModule<object, BuildFlags & { json: boolean; targetNames?: string[] }> {
  return {
    command: 'plan [target-names..]',
    describe: 'Show what would be built, in what order',
    builder: (yargs) =>
      withBuildFlags(yargs)
        .positional('target-names', { type: 'string', array: true, describe: 'Targets, images or groups (default: all)' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the plan as JSON' }),
    handler: async (argv) => {
      const { graph } = loadGraph(argv);
      const plan = createPlan(graph, await planRequest(argv, argv.targetNames ?? [], graph, io.env));
      const buildx = await buildxPlacement(plan, argv['builder-name']);
      if (argv.json) io.stdout.write(`${JSON.stringify(buildx ? { ...plan, buildx } : plan, null, 2)}\n`);
      else
        io.stdout.write(
          formatPlan(plan) + (buildx ? `${'error' in buildx ? `buildx builder not inspected: ${buildx.error}` : describePlacement(buildx)}\n` : ''),
        );
      setExit(0);
    },
  };
}

/**
 * Which node of the buildx builder builds each platform, when the plan has buildx image builds: the
 * builder is asked (as the run would); a plan is still printed when it cannot be, saying why.
 */
async function buildxPlacement(plan: Plan, builderName: string | undefined): Promise<BuilderPlacement | { builder: string; error: string } | undefined> {
  if (!plan.jobs.some((j) => j.kind === 'image-build' && j.builder === 'buildx')) return undefined;
  try {
    const builder = await inspectBuildxBuilder(builderName);
    return builderPlacement(builder, placePlatforms(builder, plan.platforms));
  } catch (error) {
    return { builder: builderName ?? '(current)', error: error instanceof Error ? error.message : String(error) };
  }
}
