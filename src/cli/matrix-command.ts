/** `meshbuild matrix`: the CI job matrix as JSON (GitHub Actions `strategy.matrix`, or GitLab `parallel:matrix`). */
import type { MatrixAxis, MatrixFormat } from '../release/matrix.js';
import { withGraphFlags, type GraphFlags } from './flags.js';
import type { CommandFactory } from './lazy-command.js';

type MatrixArgs = GraphFlags & { platforms?: string[]; by: MatrixAxis; format: MatrixFormat; pretty: boolean };

const matrixCommand: CommandFactory<MatrixArgs> = (io, setExit) => ({
  builder: (yargs) =>
    withGraphFlags(yargs)
      .option('platforms', { type: 'string', array: true, describe: 'Platforms: amd64,arm64 | linux/arm64', defaultDescription: 'the graph default' })
      .option('by', {
        choices: ['platform', 'image', 'both'] as const,
        default: 'platform' as MatrixAxis,
        describe: 'One job per platform, per image, or per image and platform',
      })
      .option('format', {
        choices: ['github', 'gitlab'] as const,
        default: 'github' as MatrixFormat,
        describe: 'github: strategy.matrix ({"include":[...]}); gitlab: parallel:matrix',
      })
      .option('pretty', { type: 'boolean', default: false, describe: 'Indent the JSON (default: one line, for $GITHUB_OUTPUT)' })
      .example('echo "matrix=$($0 matrix)" >> "$GITHUB_OUTPUT"', 'One CI job per platform, for a GitHub Actions strategy.matrix')
      .example('$0 matrix --by image --pretty', 'One job per image, indented for reading')
      .example('$0 matrix --by both --format gitlab', 'One job per image and platform, for GitLab parallel:matrix'),
  handler: async (argv) => {
    const [{ loadGraph }, { selectTargets }, { parsePlatformList }, { ciMatrix }] = await Promise.all([
      import('./settings.js'),
      import('../graph/select.js'),
      import('../platform.js'),
      import('../release/matrix.js'),
    ]);
    const { graph } = loadGraph(argv, io);
    const platforms = argv.platforms !== undefined ? parsePlatformList(argv.platforms) : graph.defaults.platforms;
    const images = selectTargets(graph, ['all']).images;
    const matrix = ciMatrix(platforms, images, argv.by, argv.format);
    io.stdout.write(`${JSON.stringify(matrix, null, argv.pretty ? 2 : undefined)}\n`);
    setExit(0);
  },
});

export default matrixCommand;
