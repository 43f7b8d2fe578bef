/** `meshbuild graph [targets...]`: the target graph as a picture, in Mermaid or Graphviz DOT. */
import { withGraphFlags, type GraphFlags } from './flags.js';
import type { CommandFactory } from './lazy-command.js';

type GraphArgs = GraphFlags & { targetNames?: string[]; format: 'mermaid' | 'dot' };

const graphCommand: CommandFactory<GraphArgs> = (io, setExit) => ({
  builder: (yargs) =>
    withGraphFlags(yargs)
      .positional('target-names', { type: 'string', array: true, describe: 'Targets, images or groups whose part of the graph to show (default: all of it)' })
      .option('format', { choices: ['mermaid', 'dot'] as const, default: 'mermaid' as const, describe: 'mermaid (GitHub renders it) or dot (Graphviz)' })
      .example('$0 graph pilot', 'What the pilot image is made of, as a Mermaid flowchart')
      .example('$0 graph --format dot | dot -Tsvg > graph.svg', 'The whole graph as an SVG picture (Graphviz)'),
  handler: async (argv) => {
    const [{ loadGraph }, { targetView }, renderer] = await Promise.all([
      import('./settings.js'),
      import('../graph/target-view.js'),
      argv.format === 'dot' ? import('../report/graph-dot.js').then((m) => m.renderDot) : import('../report/graph-mermaid.js').then((m) => m.renderMermaid),
    ]);
    const { graph } = loadGraph(argv, io);
    io.stdout.write(renderer(targetView(graph, argv.targetNames ?? [])));
    setExit(0);
  },
});

export default graphCommand;
