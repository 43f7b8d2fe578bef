#!/usr/bin/env node
// `meshbuild build all --builder buildx` (one bake session of its own) against one hand-written
// `docker buildx bake` of the same images, on the shipped graph, same machine, interleaved rounds.
// Each round clears the buildx cache first; binaries and contexts are built once up front so
// both sides build images only. Prints wall times, medians, the ratio and the load average.
// Usage: scripts/bench-buildx-bake.mjs [rounds]
import { execa } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';

const rounds = Number(process.argv[2] ?? 2);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cli = path.join(root, 'bin', 'meshbuild.js');
const work = mkdtempSync(path.join(tmpdir(), 'bench-bake-'));
const out = path.join(work, 'out');
const common = ['--builder', 'buildx', '--platforms', 'amd64,arm64', '--out', out, '--tag', 'bench'];

const time = async (fn) => {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
};
const prune = () => execa('docker', ['buildx', 'prune', '-af']);

const familiar = (reference) => reference?.replace(/^docker\.io\/(library\/)?/, '').replace(/:latest$/, '');

// Binaries and staged contexts, once.
await execa('node', [cli, 'build', 'all', ...common, '--output', `oci:${path.join(work, 'warmup')}`]);
const plan = JSON.parse((await execa('node', [cli, 'plan', 'all', ...common, '--json'])).stdout);
const targets = {};
for (const job of plan.jobs.filter((j) => j.kind === 'image-build')) {
  targets[job.image] = {
    context: job.contextDir,
    dockerfile: job.dockerfile,
    platforms: ['linux/amd64', 'linux/arm64'],
    args: job.buildArgs,
    output: [`type=oci,dest=${path.join(work, 'bake', job.image)},tar=false,rewrite-timestamp=true`],
    // Each base under the name the FROM lines use: the reference it stands for (familiar form), else its name.
    ...(job.bases.length ? { contexts: Object.fromEntries(job.bases.map((b) => [familiar(b.reference) ?? b.name, `target:${b.name}`])) } : {}),
  };
}
const bakeFile = path.join(work, 'bake.json');
writeFileSync(bakeFile, JSON.stringify({ group: { default: { targets: Object.keys(targets) } }, target: targets }));

const results = { meshbuild: [], bake: [] };
const loads = [];
for (let round = 0; round < rounds; round++) {
  loads.push(loadavg()[0]);
  await prune();
  // The images' own layouts go, so meshbuild builds them again (its binaries stay up to date).
  rmSync(path.join(out, 'build'), { recursive: true, force: true });
  results.meshbuild.push(
    await time(() =>
      execa('node', [cli, 'build', 'all', ...common, '--output', `oci:${path.join(work, `images-${round}`)}`], { env: { SOURCE_DATE_EPOCH: '0' } }),
    ),
  );
  await prune();
  results.bake.push(await time(() => execa('docker', ['buildx', 'bake', '-f', bakeFile, '--provenance=false'], { env: { SOURCE_DATE_EPOCH: '0' } })));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`rounds: ${rounds} (interleaved; cold buildx cache each time; binaries prebuilt)`);
console.log(`meshbuild --builder buildx: ${results.meshbuild.map((t) => t.toFixed(1)).join('s, ')}s  median ${median(results.meshbuild).toFixed(1)}s`);
console.log(`docker buildx bake:         ${results.bake.map((t) => t.toFixed(1)).join('s, ')}s  median ${median(results.bake).toFixed(1)}s`);
console.log(`ratio meshbuild / bake: ${(median(results.meshbuild) / median(results.bake)).toFixed(2)}`);
console.log(
  `load average (1 min) at each round: ${loads.map((l) => l.toFixed(1)).join(', ')}; now ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${(await import('node:os')).cpus().length} cores`,
);
rmSync(work, { recursive: true, force: true });
