#!/usr/bin/env node
/**
 * How does meshbuild's image path compare with Istio's old one? On the shipped graph and the
 * bundled sample, on this machine, one run of each:
 *
 *   A  meshbuild all --platforms amd64,arm64 --hub $MESHBUILD_REGISTRY/bench-new/<run> --tag X --push
 *      (one buildx build per image for both platforms, pushed by digest, tags written last)
 *   B  Istio's legacy path, per image and per platform: `docker build --platform linux/<arch>`,
 *      `docker push` of a per-arch tag, then `docker manifest create` + `docker manifest push`
 *      (--insecure for the local registry) to assemble the list; commands run one after another.
 *      The in-graph bases (base, distroless) are built and pushed per arch first, and handed to
 *      the images as `--build-context base=docker-image://...:X-<arch>`.
 *
 * Both sides get the same inputs: the binaries are built once up front (`meshbuild build all
 * --binaries-only`, timed on its own), and B builds from the very contexts meshbuild staged
 * (out/context/<image>) with the Dockerfiles, build args and bases from `meshbuild plan --json`.
 * Attestations are off on both sides (meshbuild's default; `docker manifest create` needs plain
 * per-arch manifests). A still runs its go-build jobs, which hit Go's cache; their time is shown.
 *
 * cold: `docker buildx prune -af` and the side's local images removed first, fresh registry
 * repositories. warm: the same run again right after (cache, local images and registry blobs
 * kept). Prints a table of wall times and the ratios B/A.
 */
import { PLATFORMS, benchmark, cliBin, timed } from './bench-support.mjs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const { fail, log, run, ensureDist, checkStack, checkPublished } = benchmark('bench-images');

function parseArgs(argv) {
  const options = { tag: 'bench', keep: false, builder: 'auto' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') {
      console.log(
        'usage: scripts/bench-images [--builder auto|buildx|native] [--tag X] [--keep]   (needs MESHBUILD_REGISTRY: eval "$(scripts/env-up | tail -n 1)")',
      );
      process.exit(0);
    } else if (flag === '--keep') {
      options.keep = true;
    } else if (flag === '--builder' && ['auto', 'buildx', 'native'].includes(argv[i + 1] ?? '')) {
      options.builder = argv[++i];
    } else if (flag === '--tag' && argv[i + 1] !== undefined) {
      options.tag = argv[++i];
    } else {
      fail(`unknown option ${flag} (see --help)`);
    }
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$/.test(options.tag)) fail(`--tag ${options.tag} is not a valid image tag`);
  return options;
}

/** The image jobs meshbuild plans for the run: Dockerfile, build args, bases, staged context. */
async function plannedImages(flags) {
  const plan = JSON.parse((await run(process.execPath, [cliBin, 'plan', '--json', ...flags])).stdout);
  const jobs = plan.jobs.filter((job) => job.kind === 'image-build');
  const imageOfJob = new Map(jobs.map((job) => [job.id, job.image]));
  return jobs.map((job) => ({
    image: job.image,
    dockerfile: job.dockerfile,
    buildArgs: job.buildArgs,
    bases: job.bases.map((base) => ({ name: base.name, image: imageOfJob.get(base.jobId) })),
    contextDir: job.contextDir,
  }));
}

async function pruneBuildCache() {
  await run('docker', ['buildx', 'prune', '-af']);
}

async function removeImages(refs) {
  for (const ref of refs) await run('docker', ['image', 'rm', '--force', ref], { allowFailure: true });
}

/** Side A: meshbuild all --push. Returns the wall time and its go-build jobs' longest duration. */
async function sideA(flags, reportFile) {
  const seconds = await timed(() => run(process.execPath, [cliBin, 'all', ...flags, '--report', reportFile]));
  const report = JSON.parse(await readFile(reportFile, 'utf8'));
  const goSeconds = Math.max(0, ...report.jobs.filter((j) => j.kind === 'go-build').map((j) => j.durationMs ?? 0)) / 1000;
  return { seconds, goSeconds };
}

/** Side B: per image and platform docker build + push, then docker manifest create + push. */
async function sideB(images, contexts, repoOf, tag) {
  const phases = { build: 0, push: 0, manifest: 0 };
  const archOf = (platform) => platform.split('/')[1];
  const start = performance.now();
  for (const image of images) {
    const perArch = PLATFORMS.map((platform) => `${repoOf(image.image)}:${tag}-${archOf(platform)}`);
    for (const [i, platform] of PLATFORMS.entries()) {
      const args = ['build', '--platform', platform, '--provenance=false', '--sbom=false', '--file', image.dockerfile, '--tag', perArch[i]];
      for (const [key, value] of Object.entries(image.buildArgs).sort()) args.push('--build-arg', `${key}=${value}`);
      for (const base of image.bases) args.push('--build-context', `${base.name}=docker-image://${repoOf(base.image)}:${tag}-${archOf(platform)}`);
      args.push(path.join(contexts, image.image));
      phases.build += await timed(() => run('docker', args));
    }
    for (const ref of perArch) phases.push += await timed(() => run('docker', ['push', ref]));
    const list = `${repoOf(image.image)}:${tag}`;
    phases.manifest += await timed(async () => {
      await run('docker', ['manifest', 'create', '--amend', '--insecure', list, ...perArch]);
      await run('docker', ['manifest', 'push', '--insecure', list]);
    });
  }
  return { seconds: (performance.now() - start) / 1000, phases };
}

const seconds = (value) => `${value.toFixed(1)} s`;
const ratio = (b, a) => `${(b / a).toFixed(2)}x`;

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const loadAtStart = os.loadavg()[0];
  const registry = await checkStack();
  await ensureDist();
  const runId = `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${process.pid}`;
  const hubA = `${registry}/bench-new/${runId}`;
  const hubB = `${registry}/bench-old/${runId}`;
  const work = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-bench-images-'));
  const out = path.join(work, 'out');
  const contexts = path.join(work, 'contexts');
  const flagsA = ['--builder', options.builder, '--platforms', 'amd64,arm64', '--hub', hubA, '--tag', options.tag, '--push', '--out', out];
  const images = await plannedImages(flagsA);
  const shipped = images.filter((i) => !images.some((j) => j.bases.some((b) => b.image === i.image)));
  const refsB = images.flatMap((i) => PLATFORMS.map((p) => `${hubB}/${i.image}:${options.tag}-${p.split('/')[1]}`));
  const listsB = images.map((i) => `${hubB}/${i.image}:${options.tag}`);

  try {
    log(`binaries: meshbuild build all --binaries-only (once, shared by both sides)`);
    const binaries = await timed(() =>
      run(process.execPath, [cliBin, 'build', 'all', '--binaries-only', '--platforms', 'amd64,arm64', '--tag', options.tag, '--out', out]),
    );

    log('A cold: prune the build cache, then meshbuild all --push');
    await pruneBuildCache();
    await rm(path.join(out, 'build'), { recursive: true, force: true });
    await rm(path.join(out, 'context'), { recursive: true, force: true });
    const aCold = await sideA(flagsA, path.join(work, 'a-cold.json'));
    log('A warm: the same again');
    const aWarm = await sideA(flagsA, path.join(work, 'a-warm.json'));
    for (const image of images) await checkPublished(registry, `${hubA.slice(registry.length + 1)}/${image.image}`, options.tag);

    // B builds from the contexts meshbuild staged, copied so that nothing of A's run touches them.
    for (const image of images) await cp(image.contextDir, path.join(contexts, image.image), { recursive: true });
    log('B cold: prune the build cache and remove local images, then docker build/push/manifest per image and platform');
    await pruneBuildCache();
    await removeImages(refsB);
    const repoOfB = (image) => `${hubB}/${image}`;
    const bCold = await sideB(images, contexts, repoOfB, options.tag);
    log('B warm: the same again');
    const bWarm = await sideB(images, contexts, repoOfB, options.tag);
    for (const image of images) await checkPublished(registry, `${hubB.slice(registry.length + 1)}/${image.image}`, options.tag);

    const rows = [
      ['', 'cold', 'warm'],
      [`A  meshbuild all --push (--builder ${options.builder})`, seconds(aCold.seconds), seconds(aWarm.seconds)],
      ['     of which go build (Go cache hit)', seconds(aCold.goSeconds), seconds(aWarm.goSeconds)],
      [`B  docker build/push + manifest`, seconds(bCold.seconds), seconds(bWarm.seconds)],
      [`     docker build (${images.length * PLATFORMS.length})`, seconds(bCold.phases.build), seconds(bWarm.phases.build)],
      [`     docker push (${images.length * PLATFORMS.length})`, seconds(bCold.phases.push), seconds(bWarm.phases.push)],
      [`     docker manifest create+push (${images.length})`, seconds(bCold.phases.manifest), seconds(bWarm.phases.manifest)],
      ['ratio B/A', ratio(bCold.seconds, aCold.seconds), ratio(bWarm.seconds, aWarm.seconds)],
      ['ratio B/(A minus its go build)', ratio(bCold.seconds, aCold.seconds - aCold.goSeconds), ratio(bWarm.seconds, aWarm.seconds - aWarm.goSeconds)],
    ];
    const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)));
    console.log(
      `bench-images: ${shipped.length} images (${shipped.map((i) => i.image).join(', ')}) + ${images.length - shipped.length} bases, ${PLATFORMS.join(' + ')}, registry ${registry}, ${os.cpus().length} CPUs`,
    );
    console.log(`binaries, built once up front for both sides (meshbuild build all --binaries-only): ${seconds(binaries)}`);
    console.log('');
    for (const row of rows) console.log(`${row[0].padEnd(widths[0])}  ${row[1].padStart(widths[1])}  ${row[2].padStart(widths[2])}`);
    console.log('');
    console.log(`A pushed to ${hubA}, B to ${hubB}; every image checked: a list of exactly ${PLATFORMS.join(' and ')}.`);
    console.log(
      `load average (1 min) at start ${loadAtStart.toFixed(1)}, at end ${os.loadavg()[0].toFixed(1)}: other work on the machine makes one run noisy.`,
    );
  } finally {
    await removeImages(refsB);
    for (const list of listsB) await run('docker', ['manifest', 'rm', list], { allowFailure: true });
    if (options.keep) log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

await main();
