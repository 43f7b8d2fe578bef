#!/usr/bin/env node
/**
 * How much does batching save? meshbuild compiles all of a platform's binaries with ONE
 * `go build -o DIR pkg1 pkg2 ...`; the obvious alternative is one `go build -o FILE pkg` per
 * binary. This script times both on the bundled sample, per platform:
 *
 *   batched        one go build per platform (what meshbuild does)
 *   per-binary/1   one go build per binary, one after another
 *   per-binary/2   one go build per binary, 2 at a time (the parallelism meshbuild's run uses)
 *
 * cold = an empty, private GOCACHE (a fresh temp folder per run); warm = a second run with that
 * same cache right after. Every run writes into a fresh output folder, as meshbuild does, so the
 * link step always runs. Each figure is the median of --reps runs (default 3).
 *
 * The packages and -ldflags come from meshbuild's own plan (`meshbuild plan --json
 * --binaries-only --tag bench`), so the benchmark builds exactly what meshbuild would.
 * Prints a table and the ratios per-binary / batched.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const options = { reps: 3, source: path.join(root, 'examples', 'mesh'), platforms: 'linux/amd64,linux/arm64' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help' || flag === '-h') {
      console.log('usage: scripts/bench-go-batch [--reps N] [--source DIR] [--platforms linux/amd64,linux/arm64]');
      process.exit(0);
    }
    if (value === undefined) fail(`${flag} needs a value`);
    if (flag === '--reps') options.reps = Number.parseInt(value, 10);
    else if (flag === '--source') options.source = path.resolve(value);
    else if (flag === '--platforms') options.platforms = value;
    else fail(`unknown option ${flag} (see --help)`);
    i++;
  }
  if (!Number.isInteger(options.reps) || options.reps < 1) fail('--reps must be a positive whole number');
  return options;
}

function fail(message) {
  console.error(`bench-go-batch: ${message}`);
  process.exit(2);
}

/** The go-build jobs meshbuild would run: one per platform and tag set, with packages and -ldflags. */
async function plannedBuilds(options) {
  if (!existsSync(path.join(root, 'dist', 'bundle', 'main.js'))) {
    const build = await execa('npm', ['run', 'build'], { cwd: root, reject: false, all: true });
    if (!existsSync(path.join(root, 'dist', 'bundle', 'main.js'))) fail(`npm run build failed:\n${build.all}`);
  }
  const plan = await execa(
    process.execPath,
    [
      path.join(root, 'bin', 'meshbuild.js'),
      'plan',
      '--json',
      '--binaries-only',
      '--tag',
      'bench',
      '--platforms',
      options.platforms,
      '--source',
      options.source,
      '--out',
      path.join(os.tmpdir(), 'bench-go-batch-out'),
    ],
    { reject: false, all: true },
  );
  if (plan.exitCode !== 0) fail(`meshbuild plan failed:\n${plan.all}`);
  const jobs = JSON.parse(plan.stdout).jobs.filter((job) => job.kind === 'go-build');
  if (jobs.length === 0) fail('the plan has no go builds');
  return jobs.map((job) => ({
    // Labelled by platform and tag set: Istio's standard and agent binaries are separate builds.
    platform: `${[job.platform.os, job.platform.architecture, job.platform.variant].filter(Boolean).join('/')}${job.tags.length ? ` [${job.tags.join(',')}]` : ''}`,
    env: { CGO_ENABLED: job.cgo ? '1' : '0', GOOS: job.platform.os, GOARCH: job.platform.architecture },
    flags: ['-trimpath', ...(job.tags.length ? ['-tags', job.tags.join(',')] : []), ...(job.ldflags ? ['-ldflags', job.ldflags] : [])],
    packages: job.binaries.map((binary) => binary.package),
    sourceDir: job.sourceDir,
  }));
}

/** Aborted on Ctrl-C: running go builds are stopped before the scratch folder is removed. */
const interrupt = new AbortController();

async function goBuild(build, args, gocache) {
  const result = await execa('go', ['build', ...build.flags, ...args], {
    cwd: build.sourceDir,
    env: { ...build.env, GOCACHE: gocache },
    reject: false,
    all: true,
    cancelSignal: interrupt.signal,
  });
  if (result.isCanceled || interrupt.signal.aborted) throw new Error('interrupted');
  if (result.exitCode !== 0) throw new Error(`go build ${args.join(' ')} failed:\n${result.all}`);
}

/** The three ways of building one platform's binaries. Each gets a fresh output folder. */
const MODES = {
  batched: async (build, gocache, outDir) => {
    await goBuild(build, ['-o', outDir + path.sep, ...build.packages], gocache);
  },
  'per-binary/1': async (build, gocache, outDir) => {
    for (const pkg of build.packages) await goBuild(build, ['-o', path.join(outDir, path.posix.basename(pkg)), pkg], gocache);
  },
  'per-binary/2': async (build, gocache, outDir) => {
    const queue = [...build.packages];
    const worker = async () => {
      for (let pkg = queue.shift(); pkg !== undefined; pkg = queue.shift()) {
        await goBuild(build, ['-o', path.join(outDir, path.posix.basename(pkg)), pkg], gocache);
      }
    };
    // allSettled: both workers' go processes have ended before anyone removes their folders.
    const settled = await Promise.allSettled([worker(), worker()]);
    for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  },
};

async function timed(run) {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const seconds = (s) => (s >= 10 ? `${s.toFixed(1)}s` : `${s.toFixed(2)}s`);

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const go = await execa('go', ['version'], { reject: false });
  if (go.exitCode !== 0) fail('go is not on PATH (scripts/env-up installs it)');
  const builds = await plannedBuilds(options);
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'bench-go-batch-'));
  // `on`, not `once`: execa's exit handler (signal-exit) re-sends SIGINT, killing us before the
  // clean-up, when it finds itself the only SIGINT listener left.
  process.on('SIGINT', () => interrupt.abort());

  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  console.log(
    `${go.stdout.trim()}; ${os.cpus().length} CPUs; median of ${options.reps} runs; source ${path.relative(process.cwd(), builds[0].sourceDir) || '.'}`,
  );
  console.log(`load average at start: ${load()} (other work on the machine skews the figures)`);
  for (const build of builds) {
    console.log(
      `${build.platform}: ${build.packages.length} binaries, go build ${build.flags.map((f) => (/\s/.test(f) ? JSON.stringify(f) : f)).join(' ')} (${Object.entries(
        build.env,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')})`,
    );
  }

  const times = new Map(); // `${platform} ${mode}` -> { cold: [], warm: [] }
  let runs = 0;
  try {
    for (let rep = 1; rep <= options.reps; rep++) {
      for (const build of builds) {
        for (const [mode, run] of Object.entries(MODES)) {
          const gocache = path.join(scratch, `cache-${++runs}`);
          const entry = times.get(`${build.platform} ${mode}`) ?? { cold: [], warm: [] };
          times.set(`${build.platform} ${mode}`, entry);
          const cold = await timed(() => run(build, gocache, path.join(scratch, `out-${runs}-cold`)));
          const warm = await timed(() => run(build, gocache, path.join(scratch, `out-${runs}-warm`)));
          entry.cold.push(cold);
          entry.warm.push(warm);
          process.stderr.write(`  run ${rep}/${options.reps} ${build.platform} ${mode}: cold ${seconds(cold)}, warm ${seconds(warm)}\n`);
          await rm(gocache, { recursive: true, force: true });
        }
      }
    }
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    console.error(`bench-go-batch: ${interrupt.signal.aborted ? 'interrupted' : error.message}`);
    process.exit(interrupt.signal.aborted ? 130 : 1);
  }
  await rm(scratch, { recursive: true, force: true });

  const rows = [['platform', 'mode', 'cold', 'warm']];
  for (const build of builds) {
    for (const mode of Object.keys(MODES)) {
      const entry = times.get(`${build.platform} ${mode}`);
      rows.push([build.platform, mode, seconds(median(entry.cold)), seconds(median(entry.warm))]);
    }
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  console.log('');
  for (const row of rows) console.log(row.map((cell, column) => (column >= 2 ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  '));

  console.log(`load average at end: ${load()}`);
  console.log('\nratio per-binary / batched (above 1.00x: batching is faster)');
  for (const build of builds) {
    const base = times.get(`${build.platform} batched`);
    for (const mode of ['per-binary/1', 'per-binary/2']) {
      const entry = times.get(`${build.platform} ${mode}`);
      const ratio = (kind) => `${(median(entry[kind]) / median(base[kind])).toFixed(2)}x`;
      console.log(`${build.platform.padEnd(widths[0])}  ${mode.padEnd(widths[1])}  cold ${ratio('cold')}  warm ${ratio('warm')}`);
    }
  }
}

await main();
