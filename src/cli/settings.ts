/**
 * Flags shared by the commands that build, and their translation into a plan request. The
 * environment is read here, at the edge (HUB and TAG as in Istio's Makefile), and passed down.
 */
import path from 'node:path';
import type { Argv } from 'yargs';
import { loadConfig } from '../config/load-config.js';
import { usageError } from '../errors.js';
import { resolveArtifactOverrides } from '../fetch/artifact-overrides.js';
import { readIstioDeps } from '../fetch/istio-deps.js';
import { readCheckoutBuildArgs, runBuildArgs } from '../image/run-build-args.js';
import { readGitStamp } from '../go/git-stamp.js';
import { buildGraph, type Graph } from '../graph/graph.js';
import { parsePlatformList } from '../platform.js';
import type { PlanRequest } from '../plan/plan.js';
import type { BuilderChoice, ImageOutput } from '../plan/types.js';
import { runProcess } from '../run/process.js';
import { DEFAULT_SOURCE_DIR, DEFAULT_TARGETS_DIR } from './paths.js';

export interface GraphFlags {
  targets: string;
  source: string;
}

export interface BuildFlags extends GraphFlags {
  platforms?: string[];
  hub?: string[];
  tag?: string[];
  variants?: string[];
  out: string;
  jobs: number;
  'dry-run': boolean;
  'keep-going': boolean;
  'binaries-only': boolean;
  builder: BuilderChoice;
  push: boolean;
  'push-by-digest': boolean;
  load: boolean;
  output?: string;
  report?: string;
  attest: boolean;
  'insecure-registry'?: string[];
  'registry-concurrency': number;
  'builder-name'?: string;
  artifact?: string[];
  'build-arg'?: string[];
}

export function withGraphFlags<T>(yargs: Argv<T>) {
  return yargs
    .option('targets', {
      type: 'string',
      default: DEFAULT_TARGETS_DIR,
      defaultDescription: 'the shipped targets/',
      describe: 'Folder of *.yaml targets files',
      group: 'Graph:',
    })
    .option('source', {
      type: 'string',
      default: DEFAULT_SOURCE_DIR,
      defaultDescription: 'examples/mesh',
      describe: 'Source tree to build (an Istio checkout, or the bundled sample)',
      group: 'Graph:',
    });
}

export function withBuildFlags<T>(yargs: Argv<T>) {
  return withGraphFlags(yargs)
    .option('platforms', {
      type: 'string',
      array: true,
      describe: 'Platforms: arm64 | amd64,arm64 | linux/arm64[/v8]',
      defaultDescription: 'the graph default (linux/amd64,linux/arm64)',
    })
    .option('hub', { type: 'string', array: true, describe: 'Registry and namespace images go to (repeat or comma-separate for several); env HUB' })
    .option('tag', {
      type: 'string',
      array: true,
      describe: 'Image tag (repeat or comma-separate for several); env TAG',
      defaultDescription: 'git HEAD of --source',
    })
    .option('variants', { type: 'string', array: true, describe: 'Image variants: default, debug, distroless', defaultDescription: 'default' })
    .option('out', { type: 'string', default: 'out', describe: 'Output folder' })
    .option('jobs', { alias: 'j', type: 'number', default: 4, describe: 'Jobs run at once' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'Print the plan, run nothing' })
    .option('keep-going', { type: 'boolean', default: false, describe: 'After a failure, let independent jobs finish (tags are still all-or-nothing)' })
    .option('binaries-only', { type: 'boolean', default: false, describe: 'Stop after binaries and downloads (like make build)' })
    .option('builder', { choices: ['auto', 'buildx', 'native'] as const, default: 'auto' as BuilderChoice, describe: 'Image builder' })
    .option('push', { type: 'boolean', default: false, describe: 'Push images to --hub (by digest first, tags last)' })
    .option('push-by-digest', { type: 'boolean', default: false, describe: 'Push to --hub by digest only, write no tag (CI shards; see meshbuild merge)' })
    .option('load', { type: 'boolean', default: false, describe: 'Keep images in the local Docker Engine (every platform, containerd image store)' })
    .option('output', { type: 'string', describe: 'Write images to oci:DIR or tar:DIR', defaultDescription: 'oci:<out>/images' })
    .option('report', { type: 'string', describe: 'Write a JSON report of the run to FILE' })
    .option('attest', { type: 'boolean', default: false, describe: 'Add provenance/SBOM attestations (off: they add unknown/unknown entries)' })
    .option('insecure-registry', { type: 'string', array: true, describe: 'Registry host that may be reached over plain HTTP (loopback always may)' })
    .option('registry-concurrency', { type: 'number', default: 8, describe: 'Requests in flight per registry host' })
    .option('builder-name', { type: 'string', describe: 'buildx builder to use (e.g. a multi-node builder with native arm64 nodes)' })
    .option('artifact', {
      type: 'string',
      array: true,
      describe:
        'Use a local build instead of downloading: NAME=FILE, NAME=/path/{arch}/FILE or NAME=FOLDER (with <arch>/FILE); env ISTIO_ENVOY_LINUX_RELEASE_PATH',
    })
    .option('build-arg', {
      type: 'string',
      array: true,
      describe:
        'Build arg NAME=VALUE for every image that declares it (repeatable); BASE_VERSION and ISTIO_BASE_REGISTRY default to <source>/Makefile.core.mk, then env of the same names',
    });
}

export interface Loaded {
  graph: Graph;
  sourceDir: string;
}

export function loadGraph(flags: GraphFlags): Loaded {
  const sourceDir = path.resolve(flags.source);
  const config = loadConfig({ targetsDir: path.resolve(flags.targets), sourceDir });
  return { graph: buildGraph(config, sourceDir), sourceDir };
}

/** Splits repeated and comma-separated values, drops empties. */
export function listValue(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** A flag that must be a whole number of at least 1 (`--jobs`, `--registry-concurrency`). */
export function positiveWholeNumber(value: number, flag: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw usageError(`${flag} must be a whole number of at least 1${Number.isNaN(value) ? '' : ` (got ${value})`}`, { hint: `e.g. ${flag} 4` });
  }
  return value;
}

export async function planRequest(flags: BuildFlags, targets: string[], graph: Graph, env: NodeJS.ProcessEnv): Promise<PlanRequest> {
  positiveWholeNumber(flags.jobs, '--jobs');
  positiveWholeNumber(flags['registry-concurrency'], '--registry-concurrency');
  if (String(flags.out).trim() === '') throw usageError('--out needs a folder', { hint: 'e.g. --out out (it is made if missing)' });
  const platforms = flags.platforms !== undefined ? parsePlatformList(flags.platforms) : graph.defaults.platforms;
  const hubs = listValue(flags.hub).length > 0 ? listValue(flags.hub) : listValue(env.HUB ? [env.HUB] : []);
  for (const hub of hubs) {
    if (!/^[a-zA-Z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/.test(hub) || hub.includes('://')) {
      throw usageError(`--hub: "${hub}" is not a registry/namespace`, { hint: 'write it like docker.io/myhub or 127.0.0.1:5000/mesh (no scheme, no tag)' });
    }
  }
  let tags = listValue(flags.tag).length > 0 ? listValue(flags.tag) : listValue(env.TAG ? [env.TAG] : []);
  if (tags.length === 0) tags = [await tagFromGit(graph.sourceDir)];
  for (const tag of tags) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
      throw usageError(`--tag: "${tag}" is not a valid image tag`, { hint: 'tags are up to 128 letters, digits, _ . - and may not start with . or -' });
    }
  }
  const output = imageOutput(flags, hubs);
  return {
    targets,
    platforms,
    variants: listValue(flags.variants).length > 0 ? listValue(flags.variants) : graph.defaults.variants,
    hubs,
    tags,
    version: tags[0]!,
    outDir: path.resolve(flags.out),
    binariesOnly: flags['binaries-only'],
    builder: flags.builder,
    output,
    env,
    deps: readIstioDeps(graph.sourceDir),
    artifactOverrides: resolveArtifactOverrides({ flags: flags.artifact ?? [], env, graph, platforms }),
    git: await readGitStamp(graph.sourceDir),
    buildArgs: runBuildArgs(readCheckoutBuildArgs(graph.sourceDir), env, flags['build-arg'] ?? []),
  };
}

function imageOutput(flags: BuildFlags, hubs: string[]): ImageOutput {
  const chosen = [
    flags.push && '--push',
    flags['push-by-digest'] && '--push-by-digest',
    flags.load && '--load',
    flags.output !== undefined && '--output',
  ].filter(Boolean);
  if (chosen.length > 1) throw usageError(`${chosen.join(' and ')} cannot be used together`, { hint: 'pick one place for the images' });
  if (flags.push || flags['push-by-digest']) {
    const flag = flags.push ? '--push' : '--push-by-digest';
    if (hubs.length === 0) throw usageError(`${flag} needs --hub (or the HUB environment variable)`, { hint: 'e.g. --hub docker.io/myhub' });
    return { kind: 'registry', tags: flags.push };
  }
  if (flags.load) return { kind: 'docker' };
  if (flags.output !== undefined) {
    const match = /^(oci|tar):(.+)$/.exec(flags.output);
    if (!match) throw usageError(`--output: "${flags.output}" is not oci:DIR or tar:DIR`, { hint: 'e.g. --output oci:out/images' });
    return { kind: match[1] as 'oci' | 'tar', dir: path.resolve(match[2]!) };
  }
  return { kind: 'oci', dir: path.resolve(flags.out, 'images') };
}

/** Istio's default TAG: the source's git HEAD (with -dirty when it has changes). */
async function tagFromGit(sourceDir: string): Promise<string> {
  try {
    const head = await runProcess('git', ['-C', sourceDir, 'rev-parse', '--verify', '--short=12', 'HEAD']);
    if (head.exitCode !== 0) return 'latest';
    const status = await runProcess('git', ['-C', sourceDir, 'status', '--porcelain', '--', '.']);
    return `${head.stdout.trim()}${status.stdout.trim() !== '' ? '-dirty' : ''}`;
  } catch {
    return 'latest';
  }
}
