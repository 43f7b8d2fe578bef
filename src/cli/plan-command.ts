/** `meshbuild plan`: the resolved job graph, for people or (`--json`) for machines. */
import type { CommandModule } from 'yargs';
import { createPlan } from '../plan/plan.js';
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
      io.stdout.write(argv.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
      setExit(0);
    },
  };
}
