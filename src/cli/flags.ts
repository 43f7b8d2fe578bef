/**
 * The flags commands share, as yargs option sets, split by what uses them: the graph, the plan,
 * where images go, and running. Only definitions and small value checks live here, so that a
 * command's `--help` loads nothing else.
 */
import type { Argv } from 'yargs';
import { usageError } from '../errors.js';
import type { BuilderChoice } from '../plan/types.js';
import { DEFAULT_TARGETS_DIR } from './paths.js';

export interface GraphFlags {
  targets: string;
  /** Unset: the current directory when it is a mesh tree, else the bundled sample (see `source-dir.ts`). */
  source?: string;
}

/** What decides the plan: the graph, the platforms, names and tags, and where images go. */
export interface PlanFlags extends GraphFlags {
  platforms?: string[];
  hub?: string[];
  tag?: string[];
  variants?: string[];
  out: string;
  'binaries-only': boolean;
  builder: BuilderChoice;
  artifact?: string[];
  'build-arg'?: string[];
  label?: string[];
  annotation?: string[];
  /** Only `all`, `build` and `release` take it; with it `auto` picks buildx. */
  attest?: boolean;
  push: boolean;
  'push-by-digest': boolean;
  load: boolean;
  output?: string;
}

/** How a run is shown (src/cli/run-output.ts). */
export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** Everything `all` and `build` take: the plan's flags and how to run it. */
export interface BuildFlags extends PlanFlags, OutputFlags {
  jobs: number;
  'dry-run': boolean;
  'keep-going': boolean;
  report?: string;
  trace?: string;
  attest: boolean;
  'insecure-registry'?: string[];
  'registry-concurrency': number;
  'builder-name'?: string;
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
      defaultDescription: 'the current directory if it is a mesh tree, else the bundled sample',
      describe: 'Source tree to build: an Istio checkout, or a tree with a meshbuild.yaml',
      group: 'Graph:',
    });
}

/** The flags that decide what is planned. Where images go is in `withDestinationFlags`. */
export function withPlanFlags<T>(yargs: Argv<T>) {
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
      describe: 'Image tag, also stamped into the binaries as their version (repeat or comma-separate for several); env TAG',
      defaultDescription: 'git HEAD of --source',
    })
    .option('variants', { type: 'string', array: true, describe: 'Image variants: default, debug, distroless', defaultDescription: 'default' })
    .option('out', { type: 'string', default: 'out', describe: 'Output folder' })
    .option('binaries-only', { type: 'boolean', default: false, describe: 'Stop after binaries and downloads (like make build)' })
    .option('builder', { choices: ['auto', 'buildx', 'native'] as const, default: 'auto' as BuilderChoice, describe: 'Image builder' })
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
    })
    .option('label', { type: 'string', array: true, describe: 'Config label KEY=VALUE on every image, over the defaults (repeatable)' })
    .option('annotation', { type: 'string', array: true, describe: 'Annotation [index:|manifest:]KEY=VALUE on every image, over the defaults (repeatable)' });
}

/**
 * Where images go. `plan` takes them hidden: it pushes nothing, but the same command line with
 * `plan` in front shows the plan of that run (references with the hub, the tag step).
 */
export function withDestinationFlags<T>(yargs: Argv<T>, options: { hidden: boolean } = { hidden: false }) {
  const { hidden } = options;
  return yargs
    .option('push', { type: 'boolean', default: false, hidden, describe: 'Push images to --hub (by digest first, tags last)' })
    .option('push-by-digest', {
      type: 'boolean',
      default: false,
      hidden,
      describe: 'Push to --hub by digest only, write no tag (CI shards; see meshbuild merge)',
    })
    .option('load', { type: 'boolean', default: false, hidden, describe: 'Keep images in the local Docker Engine (every platform, containerd image store)' })
    .option('output', { type: 'string', hidden, describe: 'Write images to oci:DIR or tar:DIR', defaultDescription: 'oci:<out>/images' });
}

/** The registry flags of every command that talks to registries. */
export function withRegistryFlags<T>(yargs: Argv<T>) {
  return yargs
    .option('insecure-registry', { type: 'string', array: true, describe: 'Registry host that may be reached over plain HTTP (loopback always may)' })
    .option('registry-concurrency', { type: 'number', default: 8, describe: 'Requests in flight per registry host' });
}

/** --json, --quiet, --verbose: for every command that ends with a summary. */
export function withOutputFlags<T>(yargs: Argv<T>) {
  return yargs
    .option('json', { type: 'boolean', describe: 'Print the summary as JSON on stdout', group: 'Output:' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Show only errors and the summary', group: 'Output:' })
    .option('verbose', { type: 'boolean', describe: "Show tools' output (go, buildx) as it comes", group: 'Output:' })
    .conflicts('quiet', 'verbose');
}

/** `all`, `build` and `release`: the plan, where images go, and how the run goes. */
export function withBuildFlags<T>(yargs: Argv<T>) {
  return withOutputFlags(withRegistryFlags(withDestinationFlags(withPlanFlags(yargs))))
    .option('jobs', { alias: 'j', type: 'number', default: 4, describe: 'Jobs run at once' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'Print the plan, run nothing' })
    .option('keep-going', { type: 'boolean', default: false, describe: 'After a failure, let independent jobs finish (tags are still all-or-nothing)' })
    .option('report', { type: 'string', describe: 'Write a JSON report of the run to FILE' })
    .option('trace', { type: 'string', describe: "Write the run's timeline to FILE as a Chrome trace (open in Perfetto or chrome://tracing)" })
    .option('attest', { type: 'boolean', default: false, describe: 'Add provenance/SBOM attestations (buildx only; they add unknown/unknown entries)' })
    .option('builder-name', { type: 'string', describe: 'buildx builder to use (e.g. a multi-node builder with native arm64 nodes)' });
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
