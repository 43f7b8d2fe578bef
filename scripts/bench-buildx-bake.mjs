#!/usr/bin/env node
// Decides "one buildx invocation per image (in parallel, within --jobs)" against "one bake file
// for the whole graph" by measuring both on the shipped graph, same machine, one run.
// Each round clears the buildx cache first; binaries and contexts are built once up front so
// both sides build images only. Prints wall times and the ratio. Usage: scripts/bench-buildx-bake.mjs [rounds]
import { execa } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    ...(job.bases.length ? { contexts: Object.fromEntries(job.bases.map((b) => [b.name, `target:${b.name}`])) } : {}),
  };
}
const bakeFile = path.join(work, 'bake.json');
writeFileSync(bakeFile, JSON.stringify({ group: { default: { targets: Object.keys(targets) } }, target: targets }));

const results = { perImage: [], bake: [] };
for (let round = 0; round < rounds; round++) {
  await prune();
  results.perImage.push(
    await time(() =>
      execa('node', [cli, 'build', 'all', ...common, '--output', `oci:${path.join(work, `images-${round}`)}`], { env: { SOURCE_DATE_EPOCH: '0' } }),
    ),
  );
  await prune();
  results.bake.push(await time(() => execa('docker', ['buildx', 'bake', '-f', bakeFile, '--provenance=false'], { env: { SOURCE_DATE_EPOCH: '0' } })));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`rounds: ${rounds} (cold buildx cache each time; binaries prebuilt)`);
console.log(`per-image buildx (meshbuild): ${results.perImage.map((t) => t.toFixed(1)).join('s, ')}s  median ${median(results.perImage).toFixed(1)}s`);
console.log(`one bake file:                ${results.bake.map((t) => t.toFixed(1)).join('s, ')}s  median ${median(results.bake).toFixed(1)}s`);
console.log(`ratio per-image / bake: ${(median(results.perImage) / median(results.bake)).toFixed(2)}`);
rmSync(work, { recursive: true, force: true });
