/** `meshbuild list`: every target with its kind, what it depends on and its platforms. */
import { withGraphFlags, type GraphFlags } from './flags.js';
import type { CommandFactory } from './lazy-command.js';

const listCommand: CommandFactory<GraphFlags & { json: boolean }> = (io, setExit) => ({
  builder: (yargs) =>
    withGraphFlags(yargs)
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON' })
      .example('$0 list', 'Every target of the graph: groups, images, binaries, artifacts')
      .example('$0 list --source ~/istio --json', "An Istio checkout's targets, as JSON"),
  handler: async (argv) => {
    const [{ loadGraph }, { formatPlatform }] = await Promise.all([import('./settings.js'), import('../platform.js')]);
    const { graph } = loadGraph(argv, io);
    const defaults = graph.defaults.platforms.map(formatPlatform);
    const rows: Array<{ name: string; kind: string; needs: string[]; platforms: string[] }> = [];
    for (const group of graph.groups.values()) rows.push({ name: group.name, kind: 'group', needs: group.members.map((m) => m.name), platforms: [] });
    for (const image of graph.images.values()) {
      rows.push({
        name: image.name,
        kind: 'image',
        needs: [...image.inputs.map((i) => i.name), ...image.bases.map((b) => `image:${b.name}`)],
        platforms: defaults,
      });
    }
    for (const target of graph.fileTargets.values()) {
      const extra = target.kind === 'binary' ? target.extraPlatforms.map(formatPlatform) : [];
      rows.push({ name: target.name, kind: target.kind, needs: [], platforms: [...defaults, ...extra] });
    }
    if (argv.json) {
      io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    } else {
      const width = Math.max(...rows.map((r) => r.name.length)) + 2;
      for (const row of rows) {
        const needs = row.needs.length ? `needs ${row.needs.join(', ')}` : '';
        const platforms = row.platforms.length ? `platforms ${row.platforms.join(', ')}` : '';
        io.stdout.write(`${row.name.padEnd(width)}${row.kind.padEnd(10)}${[needs, platforms].filter(Boolean).join('; ')}\n`);
      }
    }
    setExit(0);
  },
});

export default listCommand;
