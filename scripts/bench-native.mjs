#!/usr/bin/env node
/**
 * The native image builder against buildx, on the shipped graph and the bundled sample, on this
 * machine, one run of each:
 *
 *   (a) one image, pilot (with the two in-graph bases it is built on), built and pushed:
 *       meshbuild build pilot --builder B --platforms amd64,arm64 --push, cold
 *   (b) meshbuild all --builder B --platforms amd64,arm64 --push, cold: a fresh --out and registry
 *       namespace, and for buildx `docker buildx prune -af` first
 *   (c) the same command as (b) again, nothing changed (same --out, namespace and tag)
 *   (d) cold meshbuild all --builder native --platforms amd64,arm64 (OCI layout in a fresh --out,
 *       empty GOCACHE) against the Go builds alone (meshbuild all --binaries-only, its own empty
 *       GOCACHE): how much the images add on top of compiling.
 *
 * For (a)-(c) the binaries are built once up front and shared: meshbuild's go-build jobs run a
 * stand-in `go` (first on PATH) that copies those binaries into place, so both sides do the
 * same near-zero Go work and the times are about images. Both sides push to the same local
 * registry ($MESHBUILD_REGISTRY, loopback: the native builder sends layers uncompressed there).
 *
 * Prints a table of wall times, the ratios buildx/native for (a)-(c) and native-all/go-only for
 * (d) against the targets (>= 5x, <= 1.15x), and where the native runs spent their time
 * (per image: assembling the layers vs storing them in the registry or layout, from the CI log).
 */
import { benchmark, cliBin } from './bench-support.mjs';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const { fail, log, run, ensureDist, checkStack, checkPublished } = benchmark('bench-native');
const PLATFORM_DIRS = ['linux_amd64', 'linux_arm64'];
/** Native first: it runs before the buildx prune, whose disk work would otherwise land in its timing. */
const BUILDERS = ['native', 'buildx'];

function parseArgs(argv) {
  const options = { tag: 'bench', keep: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') {
      console.log('usage: scripts/bench-native [--tag X] [--keep]   (needs MESHBUILD_REGISTRY and Docker: eval "$(scripts/env-up | tail -n 1)")');
      process.exit(0);
    } else if (flag === '--keep') {
      options.keep = true;
    } else if (flag === '--tag' && argv[i + 1] !== undefined) {
      options.tag = argv[++i];
    } else {
      fail(`unknown option ${flag} (see --help)`);
    }
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$/.test(options.tag)) fail(`--tag ${options.tag} is not a valid image tag`);
  return options;
}

/**
 * A stand-in `go` for (a)-(c): `go build -o DIR/ pkg...` copies the prebuilt binary of each
 * package (out/<GOOS>_<GOARCH>/<last path element>) into DIR; anything else goes to the real go.
 */
async function writeGoStandIn(dir, prebuilt) {
  const realGo = (process.env.PATH ?? '')
    .split(path.delimiter)
    .map((dir) => path.join(dir, 'go'))
    .find((file) => existsSync(file));
  if (realGo === undefined) fail('go is not on PATH');
  const script = `#!/usr/bin/env bash
# bench-native: copies the binaries built once up front instead of compiling them again.
set -euo pipefail
if [ "\${1:-}" != build ]; then exec ${JSON.stringify(realGo)} "$@"; fi
shift
out=""
packages=()
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    -ldflags|-tags|-gcflags|-asmflags) shift 2 ;;
    -*) shift ;;
    *) packages+=("$1"); shift ;;
  esac
done
for package in "\${packages[@]}"; do
  cp ${JSON.stringify(prebuilt)}/"\${GOOS}_\${GOARCH}/$(basename "$package")" "$out"
done
`;
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'go'), script);
  await chmod(path.join(dir, 'go'), 0o755);
}

/**
 * Before a cold run: buildx loses its build cache (the native builder has none to lose); then
 * `sync`, so that the disk writes of the prune or of the run before do not land in this one.
 */
async function coldStart(builder) {
  if (builder === 'buildx') await run('docker', ['buildx', 'prune', '-af']);
  await run('sync', []);
}

/** A fresh --out holding the prebuilt binaries (what `meshbuild build --binaries-only` left there). */
async function freshOut(dir, prebuilt) {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const platformDir of PLATFORM_DIRS) await cp(path.join(prebuilt, platformDir), path.join(dir, platformDir), { recursive: true });
  return dir;
}

/** Runs meshbuild with a report; returns the wall time, the report and the CI log. */
async function meshbuild(args, reportFile, env = {}) {
  const start = performance.now();
  const result = await run(process.execPath, [cliBin, ...args, '--report', reportFile], { env });
  const seconds = (performance.now() - start) / 1000;
  return { seconds, report: JSON.parse(await readFile(reportFile, 'utf8')), log: String(result.stderr) };
}

/** Seconds between two `HH:MM:SS.mmm` stamps of the CI log. */
function stampSeconds(stamp) {
  const [h, m, s] = stamp.split(':').map(Number);
  return h * 3600 + m * 60 + s;
}

/**
 * Where each native image job spent its time, from the CI log: staging the context and
 * assembling every platform's layers and config (`staging` -> last `assembled`), then storing
 * it by digest (last `assembled` -> `stored`).
 */
function nativeProfile(ciLog) {
  const jobs = new Map();
  for (const line of ciLog.split('\n')) {
    const match = /^(\d\d:\d\d:\d\d\.\d{3}) +image:([^:]+): (staging the build context|assembled \S+|stored by digest in .*)$/.exec(line);
    if (!match) continue;
    const [, stamp, image, what] = match;
    const job = jobs.get(image) ?? { image };
    const at = stampSeconds(stamp);
    if (what.startsWith('staging')) job.start = at;
    else if (what.startsWith('assembled')) job.assembled = at;
    else job.stored = at;
    jobs.set(image, job);
  }
  return [...jobs.values()].map((j) => ({
    image: j.image,
    assemble: (j.assembled ?? j.start) - j.start,
    store: j.stored !== undefined ? j.stored - (j.assembled ?? j.start) : 0,
  }));
}

/** Seconds from the first image job's start to the end of the last image or publish job. */
function imageSpan(report) {
  const jobs = report.jobs.filter((j) => (j.kind === 'image-build' || j.kind === 'publish') && j.startedAt !== undefined);
  const start = Math.min(...jobs.map((j) => Date.parse(j.startedAt)));
  const end = Math.max(...jobs.map((j) => Date.parse(j.startedAt) + (j.durationMs ?? 0)));
  return (end - start) / 1000;
}

const secs = (value) => `${value.toFixed(2)} s`;
const times = (value) => `${value.toFixed(2)}x`;
const pad = (text, width) => String(text).padEnd(width);
const padLeft = (text, width) => String(text).padStart(width);

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const registry = await checkStack();
  await ensureDist();
  const runId = `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${process.pid}`;
  const work = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-bench-native-'));
  const prebuilt = path.join(work, 'prebuilt');
  const standIn = path.join(work, 'go-stand-in');
  const standInEnv = { PATH: `${standIn}${path.delimiter}${process.env.PATH}` };
  const hub = (name) => `${registry}/bench-native/${runId}/${name}`;
  const common = ['--platforms', 'amd64,arm64', '--tag', options.tag];
  const results = {};
  const loadAtStart = os.loadavg()[0];

  try {
    log('binaries: meshbuild all --binaries-only, once, shared by (a)-(c)');
    const prebuild = await meshbuild(['all', '--binaries-only', ...common, '--out', prebuilt], path.join(work, 'prebuild.json'));
    await writeGoStandIn(standIn, prebuilt);

    for (const builder of BUILDERS) {
      log(`(a) ${builder}: ${builder === 'buildx' ? 'prune the buildx cache, ' : ''}fresh --out, then build and push pilot`);
      await coldStart(builder);
      const out = await freshOut(path.join(work, `a-${builder}`), prebuilt);
      results[`a-${builder}`] = await meshbuild(
        ['build', 'pilot', '--builder', builder, ...common, '--push', '--hub', hub(`a-${builder}`), '--out', out],
        path.join(work, `a-${builder}.json`),
        standInEnv,
      );
      await checkPublished(registry, `bench-native/${runId}/a-${builder}/pilot`, options.tag);
    }
    for (const builder of BUILDERS) {
      log(`(b) ${builder}: ${builder === 'buildx' ? 'prune the buildx cache, ' : ''}fresh --out, then meshbuild all --push`);
      await coldStart(builder);
      const out = await freshOut(path.join(work, `b-${builder}`), prebuilt);
      const args = ['all', '--builder', builder, ...common, '--push', '--hub', hub(`b-${builder}`), '--out', out];
      results[`b-${builder}`] = await meshbuild(args, path.join(work, `b-${builder}.json`), standInEnv);
      log(`(c) ${builder}: the same again, nothing changed`);
      await run('sync', []);
      results[`c-${builder}`] = await meshbuild(args, path.join(work, `c-${builder}.json`), standInEnv);
      for (const image of results[`b-${builder}`].report.images)
        await checkPublished(registry, `bench-native/${runId}/b-${builder}/${image.image}`, options.tag);
    }

    await run('sync', []);
    log('(d) go only: meshbuild all --binaries-only, empty GOCACHE, fresh --out');
    await mkdir(path.join(work, 'gocache-go'));
    results['d-go'] = await meshbuild(['all', '--binaries-only', ...common, '--out', path.join(work, 'd-go')], path.join(work, 'd-go.json'), {
      GOCACHE: path.join(work, 'gocache-go'),
    });
    log('(d) native all: meshbuild all --builder native, empty GOCACHE, fresh --out, OCI layout');
    await mkdir(path.join(work, 'gocache-native'));
    await run('sync', []);
    results['d-native'] = await meshbuild(['all', '--builder', 'native', ...common, '--out', path.join(work, 'd-native')], path.join(work, 'd-native.json'), {
      GOCACHE: path.join(work, 'gocache-native'),
    });

    const rows = [
      ['(a) pilot build+push, cold', 'a'],
      ['(b) all --push, cold', 'b'],
      ['(c) all --push, unchanged', 'c'],
    ];
    const targetPerImage = 5;
    const targetAll = 1.15;
    const lines = [];
    lines.push(`bench-native on ${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? 'unknown CPU'}; registry ${registry}; tag ${options.tag}`);
    lines.push(
      `load average (1 min) ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end: other work on the machine skews one-run figures`,
    );
    lines.push(`binaries built once up front in ${secs(prebuild.seconds)} (warm GOCACHE); (a)-(c) copy them in place of go build`);
    lines.push('');
    lines.push(
      `${pad('wall time of the command', 32)}${padLeft('buildx', 10)}${padLeft('native', 10)}${padLeft('buildx/native', 16)}    ${pad('image jobs only', 15)}${padLeft('buildx', 10)}${padLeft('native', 10)}${padLeft('buildx/native', 16)}`,
    );
    for (const [label, key] of rows) {
      const buildx = results[`${key}-buildx`];
      const native = results[`${key}-native`];
      const [bx, nt] = [imageSpan(buildx.report), imageSpan(native.report)];
      lines.push(
        `${pad(label, 32)}${padLeft(secs(buildx.seconds), 10)}${padLeft(secs(native.seconds), 10)}${padLeft(times(buildx.seconds / native.seconds), 16)}    ${pad('', 15)}${padLeft(secs(bx), 10)}${padLeft(secs(nt), 10)}${padLeft(times(bx / nt), 16)}`,
      );
    }
    lines.push(
      "(image jobs only: from the first image job's start to the last tag written, from --report; the rest is node start-up, planning and the go stand-in)",
    );
    lines.push('');
    const goOnly = results['d-go'].seconds;
    const nativeAll = results['d-native'].seconds;
    lines.push(`${pad('(d) cold, empty GOCACHE', 32)}${padLeft('go only', 10)}${padLeft('native', 10)}${padLeft('native/go', 16)}`);
    lines.push(`${pad('    all, amd64+arm64', 32)}${padLeft(secs(goOnly), 10)}${padLeft(secs(nativeAll), 10)}${padLeft(times(nativeAll / goOnly), 16)}`);
    lines.push('');
    const perImage = results['a-buildx'].seconds / results['a-native'].seconds;
    const perImageJobs = imageSpan(results['a-buildx'].report) / imageSpan(results['a-native'].report);
    lines.push(
      `target (a) native >= ${targetPerImage}x faster than buildx per image: ${times(perImage)} wall (${times(perImageJobs)} image jobs only) -> ${perImage >= targetPerImage ? 'met' : 'MISSED'}`,
    );
    lines.push(
      `target (d) native all cold <= ${targetAll}x the Go builds alone: ${times(nativeAll / goOnly)} -> ${nativeAll / goOnly <= targetAll ? 'met' : 'MISSED'}`,
    );
    lines.push('');
    lines.push(
      'where the native runs spent their time (per image job, from the CI log: assemble = stage context + layers + configs for both platforms; store = copy into the registry or layout):',
    );
    for (const key of ['a-native', 'b-native', 'c-native', 'd-native']) {
      const profile = nativeProfile(results[key].log);
      const assemble = profile.reduce((sum, p) => sum + p.assemble, 0);
      const store = profile.reduce((sum, p) => sum + p.store, 0);
      const goJobs = results[key].report.jobs.filter((j) => j.kind === 'go-build');
      const goSeconds = Math.max(0, ...goJobs.map((j) => j.durationMs ?? 0)) / 1000;
      const detail = profile.map((p) => `${p.image} ${p.assemble.toFixed(2)}+${p.store.toFixed(2)}`).join(', ');
      lines.push(
        `  ${pad(key, 9)} wall ${secs(results[key].seconds)}; longest go-build job ${secs(goSeconds)}; image jobs assemble ${secs(assemble)} + store ${secs(store)} (summed): ${detail}`,
      );
    }
    console.log(lines.join('\n'));
  } finally {
    if (options.keep) log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

await main();
