/** `meshbuild matrix`: the CI job matrix as JSON (GitHub Actions `strategy.matrix`, or GitLab `parallel:matrix`). */
import type { CommandModule } from 'yargs';
import { selectTargets } from '../graph/select.js';
import { parsePlatformList } from '../platform.js';
import { ciMatrix, type MatrixAxis, type MatrixFormat } from '../release/matrix.js';
import type { CommandIo } from './main.js';
import { loadGraph, withGraphFlags, type GraphFlags } from './settings.js';

type MatrixArgs = GraphFlags & { platforms?: string[]; by: MatrixAxis; format: MatrixFormat; pretty: boolean };

export function matrixCommand(io: CommandIo, setExit: (code: number) => void): CommandModule<object, MatrixArgs> {
  return {
    command: 'matrix',
    describe: 'Print the CI job matrix (one job per platform, image, or both) as JSON',
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
        .option('pretty', { type: 'boolean', default: false, describe: 'Indent the JSON (default: one line, for $GITHUB_OUTPUT)' }),
    handler: (argv) => {
      const { graph } = loadGraph(argv);
      const platforms = argv.platforms !== undefined ? parsePlatformList(argv.platforms) : graph.defaults.platforms;
      const images = selectTargets(graph, ['all']).images;
      const matrix = ciMatrix(platforms, images, argv.by, argv.format);
      io.stdout.write(`${JSON.stringify(matrix, null, argv.pretty ? 2 : undefined)}\n`);
      setExit(0);
    },
  };
}
