// Bundles what tsc wrote to dist/ into dist/bundle/, which bin/meshbuild.js runs: each command's
// modules and libraries in a few chunks instead of ~120 files, which Node resolves, reads and links
// one by one at every start (about 70 ms of a `push`). Chunks are split at the lazy imports, so
// a command still loads only what it needs. dist/bundle/meta.json says which modules each chunk
// holds (the start-up-modules test reads it). Run by `npm run build`, after tsc.
import { build } from 'esbuild';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'bundle');
// Written beside the bundle, then swapped in: a failed build leaves the last good bundle.
const staging = `${outdir}.tmp-${process.pid}`;

try {
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: 'dist/cli/main.js', interrupt: 'dist/run/interrupt.js' },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunk-[hash]',
    // dockerode's optional native modules (ssh2, cpu-features) resolve only from node_modules.
    external: ['dockerode'],
    // Libraries written as CommonJS call require() for Node's own modules.
    banner: { js: "import { createRequire as __meshbuildRequire } from 'node:module'; const require = __meshbuildRequire(import.meta.url);" },
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  // The metafile names the staging folder; it describes the bundle where it ends up.
  const [stagingName, outName] = [path.relative(root, staging), path.relative(root, outdir)];
  const outputs = Object.fromEntries(
    Object.entries(result.metafile.outputs).map(([file, output]) => [path.join(outName, path.relative(stagingName, file)), output]),
  );
  await writeFile(path.join(staging, 'meta.json'), `${JSON.stringify({ ...result.metafile, outputs }, null, 1)}\n`);
  await rm(outdir, { recursive: true, force: true });
  await rename(staging, outdir);
} catch (error) {
  await rm(staging, { recursive: true, force: true });
  console.error(`bundle: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
