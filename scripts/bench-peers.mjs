#!/usr/bin/env node
/**
 * meshbuild against the tools users would pick instead, in one run, rounds interleaved (meshbuild
 * and the peer alternate who goes first), same registry, same binaries, load average printed:
 *
 *   push      a 300 MB layer: `meshbuild push --from LAYOUT` / `crane push LAYOUT`
 *   one       one image from prebuilt binaries, two platforms: `meshbuild build <image> --push` /
 *             `crane append` per platform + `crane index append`
 *   all cold  the sample's Go binaries as ko builds them (one image per binary FROM a shared base),
 *             fresh Go cache and out/: `meshbuild all --push` / `ko build --push`
 *   all warm  the same again, nothing changed
 *   buildx    the sample's images through buildx, cold BuildKit cache: `meshbuild build all
 *             --builder buildx` / one `docker buildx bake` of the same images
 *   no-op     a generated 30-image x 4-platform graph built a second time / `meshbuild --version`,
 *             and again with the run stamp removed each round (every job's own check)
 *   memory    peak RSS of meshbuild while pushing the 300 MB layer
 *
 * crane and ko come from the Go module proxy, pinned (bench-peers-setup.mjs), into out/bench-tools.
 * Prints a table with each ratio meshbuild/peer (median over rounds) and issue 13's threshold.
 * Usage: scripts/bench-peers [--rounds N] [--cold-rounds N] [--only push,one,all,buildx,noop]
 * (--cold-rounds: rounds of the cold builds of every image, default --rounds).
 */
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PLATFORMS, benchmark, cliBin, root, timed } from './bench-support.mjs';
import { SAMPLE, installPeers, writeBaseTargets, writeKoEquivalent, writeLargeLayout, SAMPLE_BINARIES } from './bench-peers-setup.mjs';
import { WIDE_PLATFORMS, writeWideGraph } from './gen-wide-graph.mjs';

const { fail, log, run, ensureDist, checkStack } = benchmark('bench-peers');
const argv = process.argv.slice(2);
const flag = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const rounds = Number(flag('--rounds') ?? 3);
// Cold builds of every image take minutes each on a shared machine: they may run fewer rounds.
const coldRounds = Number(flag('--cold-rounds') ?? rounds);
const only = (flag('--only') ?? 'push,one,all,buildx,noop').split(',');
if (![rounds, coldRounds].every((n) => Number.isInteger(n) && n >= 1)) fail('--rounds and --cold-rounds must be positive whole numbers');
const familiar = (reference) => reference?.replace(/^docker\.io\/(library\/)?/, '').replace(/:latest$/, '');

await ensureDist();
const registry = await checkStack();
const work = await mkdtemp(path.join(os.tmpdir(), 'bench-peers-'));
const tools = await installPeers(path.join(root, 'out', 'bench-tools'), log);
const runId = Date.now().toString(36);
const ns = `${registry}/bench-peers-${runId}`;
const meshbuild = (args, env = {}) => run(process.execPath, [cliBin, ...args], { env });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
const loadBefore = os.loadavg();

/** Peak resident memory (MB) of a child, from /proc while it runs (VmHWM: the kernel's high-water mark). */
async function peakRss(command, args, env = {}) {
  const child = execa(command, args, { cwd: root, reject: false, all: true, stdin: 'ignore', env: { CI: '1', ...env } });
  let peak = 0;
  const sample = async () => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    peak = Math.max(peak, kb);
  };
  const timer = setInterval(sample, 20);
  const result = await child;
  clearInterval(timer);
  if (result.exitCode !== 0) fail(`${command} ${args.join(' ')} exited ${result.exitCode}:\n${result.all}`);
  return peak / 1024;
}

/** Runs both sides `rounds` times, alternating who goes first; records the medians. */
async function compare(name, threshold, sides, { before, count = rounds } = {}) {
  const times = { meshbuild: [], peer: [] };
  for (let round = 0; round < count; round++) {
    const order = round % 2 === 0 ? ['meshbuild', 'peer'] : ['peer', 'meshbuild'];
    for (const side of order) {
      if (before) await before(side, round);
      times[side].push(await timed(() => sides[side](round)));
    }
    log(`${name} round ${round + 1}: meshbuild ${times.meshbuild.at(-1).toFixed(2)}s, ${sides.peerName} ${times.peer.at(-1).toFixed(2)}s`);
  }
  rows.push({ name: `${name} (${count})`, meshbuild: median(times.meshbuild), peer: median(times.peer), peerName: sides.peerName, threshold });
}

// A base image in the registry, for ko, crane and meshbuild alike.
await writeBaseTargets(path.join(work, 'base-targets'));
await meshbuild([
  'all',
  '--targets',
  path.join(work, 'base-targets'),
  '--source',
  SAMPLE,
  '--platforms',
  'amd64,arm64',
  '--hub',
  ns,
  '--tag',
  'base',
  '--push',
  '--out',
  path.join(work, 'base-out'),
]);
const base = `${ns}/peer-base:base`;

if (only.includes('push')) {
  const layout = path.join(work, 'layout');
  await writeLargeLayout(layout, 300);
  const peaks = [];
  await compare('300 MB layer push', 1.1, {
    peerName: 'crane push',
    meshbuild: async (round) =>
      peaks.push(await peakRss(process.execPath, [cliBin, 'push', '--from', layout, '--hub', `${ns}/push-m${round}`, '--out', path.join(work, 'push-out')])),
    peer: (round) => run(tools.crane, ['push', layout, `${ns}/push-c${round}/big:latest`]),
  });
  rows.push({ name: 'peak RSS pushing 300 MB (MB)', meshbuild: Math.max(...peaks), memory: true, threshold: 150 });
  await rm(layout, { recursive: true, force: true });
}

const koTargets = path.join(work, 'ko-targets');
const koDir = path.join(work, 'ko');
await writeKoEquivalent(koTargets, koDir, base);
const koPaths = SAMPLE_BINARIES.map((b) => b.package);
const allFlags = ['--targets', koTargets, '--source', SAMPLE, '--platforms', 'amd64,arm64', '--tag', 't'];

if (only.includes('one')) {
  // Binaries built once: both sides package them.
  const out = path.join(work, 'one-out');
  await meshbuild(['all', ...allFlags, '--binaries-only', '--out', out]);
  const binary = 'pilot-discovery';
  await compare(
    'one image from prebuilt binaries',
    1.2,
    {
      peerName: 'crane append + index',
      meshbuild: (round) => meshbuild(['build', binary, ...allFlags, '--hub', `${ns}/one-m${round}`, '--push', '--out', out]),
      peer: async (round) => {
        const ref = `${ns}/one-c${round}/${binary}`;
        const children = [];
        for (const platform of PLATFORMS) {
          const arch = platform.split('/')[1];
          const tar = path.join(work, `one-${arch}.tar`);
          await run('tar', ['-cf', tar, '-C', path.join(out, `linux_${arch}`), `--transform=s,^,ko-app/,`, binary]);
          await run(tools.crane, ['append', '--platform', platform, '-b', base, '-f', tar, '-t', `${ref}:t-${arch}`]);
          children.push('-m', `${ref}:t-${arch}`);
        }
        await run(tools.crane, ['index', 'append', ...children, '-t', `${ref}:t`]);
      },
    },
    {
      // The image of an earlier round would be up to date: package it again (the binaries stay).
      before: async (side) => {
        if (side === 'meshbuild') await rm(path.join(out, 'build'), { recursive: true, force: true });
      },
    },
  );
}

if (only.includes('all')) {
  const koEnv = (cache, key) => ({ KO_CONFIG_PATH: koDir, KO_DOCKER_REPO: `${ns}/ko${key}`, GOCACHE: cache, GOFLAGS: '-buildvcs=false' });
  const koArgs = ['build', ...koPaths, '--platform', PLATFORMS.join(','), '--base-import-paths', '--tags', 't', '--sbom', 'none', '--image-refs', '/dev/null'];
  for (const warm of [false, true]) {
    await compare(
      `all images ${warm ? 'warm' : 'cold'}`,
      warm ? undefined : 1.0,
      {
        peerName: 'ko build',
        // Warm rounds run again on what the first cold round left (Go cache, out/, registry blobs).
        meshbuild: (round, key = warm ? 0 : round) =>
          meshbuild(['all', ...allFlags, '--hub', `${ns}/all-m${key}`, '--push', '--out', path.join(work, `all-out-${key}`)], {
            GOCACHE: path.join(work, `gocache-m${key}`),
          }),
        peer: async (round, key = warm ? 0 : round) => {
          const result = await execa(tools.ko, koArgs, {
            cwd: SAMPLE,
            stdin: 'ignore',
            all: true,
            reject: false,
            env: koEnv(path.join(work, `gocache-k${key}`), key),
          });
          if (result.exitCode !== 0) fail(`ko build exited ${result.exitCode}:\n${String(result.all).split('\n').slice(-20).join('\n')}`);
        },
      },
      {
        count: warm ? rounds : coldRounds,
        before: async (side, round) => {
          if (warm) return;
          await rm(path.join(work, `gocache-${side === 'meshbuild' ? 'm' : 'k'}${round}`), { recursive: true, force: true });
          // meshbuild's out/ only: removed before ko's turn too, the warm rounds would find nothing built.
          if (side === 'meshbuild') await rm(path.join(work, `all-out-${round}`), { recursive: true, force: true });
        },
      },
    );
  }
}

if (only.includes('buildx')) {
  const common = ['--builder', 'buildx', '--platforms', 'amd64,arm64', '--tag', 'bench', '--out', path.join(work, 'bx-out')];
  await meshbuild(['build', 'all', ...common, '--output', `oci:${path.join(work, 'bx-warmup')}`]);
  const plan = JSON.parse((await meshbuild(['plan', 'all', ...common, '--json'])).stdout);
  const targets = {};
  for (const job of plan.jobs.filter((j) => j.kind === 'image-build')) {
    targets[job.image] = {
      context: job.contextDir,
      dockerfile: job.dockerfile,
      platforms: PLATFORMS,
      args: job.buildArgs,
      output: [`type=oci,dest=${path.join(work, 'bake', job.image)},tar=false,rewrite-timestamp=true`],
      // Each base under the name the FROM lines use: the reference it stands for (familiar form), else its name.
      ...(job.bases.length ? { contexts: Object.fromEntries(job.bases.map((b) => [familiar(b.reference) ?? b.name, `target:${b.name}`])) } : {}),
    };
  }
  const bakeFile = path.join(work, 'bake.json');
  await writeFile(bakeFile, JSON.stringify({ group: { default: { targets: Object.keys(targets) } }, target: targets }));
  await compare(
    'all images through buildx',
    1.0,
    {
      peerName: 'docker buildx bake',
      meshbuild: (round) => meshbuild(['build', 'all', ...common, '--output', `oci:${path.join(work, `bx-${round}`)}`], { SOURCE_DATE_EPOCH: '0' }),
      peer: () => run('docker', ['buildx', 'bake', '-f', bakeFile, '--provenance=false'], { env: { SOURCE_DATE_EPOCH: '0' } }),
    },
    {
      count: coldRounds,
      before: async (side) => {
        await run('docker', ['buildx', 'prune', '-af']);
        // Images of an earlier round would be up to date: build them again (the Go binaries stay).
        if (side === 'meshbuild') await rm(path.join(work, 'bx-out', 'build'), { recursive: true, force: true });
      },
    },
  );
}

if (only.includes('noop')) {
  const { targets, source } = await writeWideGraph(path.join(work, 'gen'));
  const noop = [
    'all',
    '--targets',
    targets,
    '--source',
    source,
    '--platforms',
    WIDE_PLATFORMS.join(','),
    '--tag',
    't',
    '--output',
    `oci:${path.join(work, 'gen-images')}`,
    '--out',
    path.join(work, 'gen-out'),
  ];
  // A build that starts within two seconds of its inputs' last change leaves no run stamp (a stat
  // could hide a later edit); a person's edits are rarely that close to the build, the generator's are.
  await new Promise((resolve) => setTimeout(resolve, 2100));
  await meshbuild(noop);
  await compare('no-op, 30 images x 4 platforms', 2.0, {
    peerName: 'meshbuild --version',
    meshbuild: () => meshbuild(noop),
    peer: () => meshbuild(['--version']),
  });
  // The same without the stamp: every job's own up-to-date check (what a run that read a registry base does).
  await compare(
    'no-op, per-job checks (no stamp)',
    undefined,
    {
      peerName: 'meshbuild --version',
      meshbuild: () => meshbuild(noop),
      peer: () => meshbuild(['--version']),
    },
    { before: (side) => (side === 'meshbuild' ? rm(path.join(work, 'gen-out', '.records', 'runs'), { recursive: true, force: true }) : undefined) },
  );
}

const loadAfter = os.loadavg();
const cells = (row) => {
  if (row.memory) return [row.name, `${row.meshbuild.toFixed(0)}`, '', '', `< ${row.threshold}`, row.meshbuild < row.threshold ? 'ok' : 'OVER'];
  const ratio = row.meshbuild / row.peer;
  const verdict = row.threshold === undefined ? '' : ratio <= row.threshold ? 'ok' : 'OVER';
  return [
    row.name,
    `${row.meshbuild.toFixed(2)}s`,
    `${row.peer.toFixed(2)}s ${row.peerName}`,
    ratio.toFixed(2),
    row.threshold === undefined ? '-' : `<= ${row.threshold}`,
    verdict,
  ];
};
const table = [['measure', 'meshbuild', 'peer', 'ratio', 'threshold', ''], ...rows.map(cells)];
const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
console.log(
  `bench-peers: ${rounds} rounds each (cold builds and buildx: ${coldRounds}), medians; ${os.cpus().length} cores; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} at start, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} at end`,
);
for (const row of table)
  console.log(
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
await rm(work, { recursive: true, force: true });
