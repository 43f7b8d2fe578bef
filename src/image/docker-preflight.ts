/**
 * Checks the Docker side before any image job starts, so each missing piece is one message that
 * says what to do: the daemon, buildx, and whether the builder's nodes can build every platform.
 */
import { usageError } from '../errors.js';
import { formatPlatform, type Platform } from '../platform.js';
import { CommandNotFoundError, runProcess } from '../run/process.js';
import { describeNodes, parseBuildxInspect, placePlatforms, type BuildxBuilder, type PlatformPlacement } from './buildx-nodes.js';

export function dockerMissing() {
  return usageError('docker was not found on PATH', {
    hint: 'install the Docker Engine with buildx (scripts/env-up does it on Debian), or use --builder native',
  });
}

/**
 * The daemon, buildx and the builder: every node of it (`docker buildx inspect`), each requested
 * platform served by some running node, and --load only through a driver that loads.
 */
export async function checkBuildx(
  platforms: Platform[],
  builderName?: string,
  options: { load?: boolean; inspected?: EarlyBuildxInspect } = {},
): Promise<BuildxCheck> {
  const builder = options.inspected && !options.load ? await options.inspected.result : await inspectBuildxBuilder(builderName, options);
  return checkBuilderNodes(builder, platforms, options);
}

/**
 * `inspectBuildxBuilder` started before the run is planned (`--builder buildx`), so that its
 * docker processes (~0.3 s) overlap loading the targets and planning. Whoever starts it disposes
 * of it: a probe the plan did not use is stopped and waited for, so no process outlives the run.
 */
export interface EarlyBuildxInspect {
  result: Promise<BuildxBuilder>;
  dispose(): Promise<void>;
}

export function startBuildxInspect(builderName?: string): EarlyBuildxInspect {
  const stop = new AbortController();
  const result = inspectBuildxBuilder(builderName, { signal: stop.signal });
  result.catch(() => undefined); // read by checkBuildx, or by no one
  return {
    result,
    async dispose() {
      stop.abort();
      await result.catch(() => undefined);
    },
  };
}

/** The daemon and buildx are there; the builder, started, with every node (`docker buildx inspect --bootstrap`). */
export async function inspectBuildxBuilder(builderName?: string, options: { load?: boolean; signal?: AbortSignal } = {}): Promise<BuildxBuilder> {
  const name = builderName ? [builderName] : [];
  // The bootstrap starts with the other two questions (each a docker CLI process, ~0.1 s) and is
  // stopped if they fail: a missing daemon or buildx is reported at once, not after a bootstrap
  // waits on an unreachable node. With --load it waits for the driver check (below).
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const bootstrap = options.load ? undefined : runProcess('docker', ['buildx', 'inspect', ...name, '--bootstrap'], { signal });
  // Handled here as well: it may fail while the other two are still being asked.
  bootstrap?.catch(() => undefined);
  try {
    await checkDockerAndBuildx(options.signal);
  } catch (error) {
    stop.abort();
    await bootstrap?.catch(() => undefined);
    throw error;
  }
  let inspect;
  if (bootstrap) inspect = await bootstrap;
  else {
    // The driver without starting any node: --load is refused before a bootstrap that may wait on an unreachable node.
    const plain = await runProcess('docker', ['buildx', 'inspect', ...name], { signal });
    if (plain.exitCode === 0) checkLoadDriver(named(parseBuildxInspect(plain.stdout), builderName));
    inspect = await runProcess('docker', ['buildx', 'inspect', ...name, '--bootstrap'], { signal });
  }
  if (inspect.exitCode !== 0) {
    throw usageError(`buildx builder ${builderName ?? '(current)'} is not usable`, { detail: inspect.output.trim() });
  }
  return named(parseBuildxInspect(inspect.stdout), builderName);
}

/** The daemon answers and buildx is there, new enough: asked at once, reported in that order. */
async function checkDockerAndBuildx(signal?: AbortSignal): Promise<void> {
  const [info, version] = await Promise.allSettled([
    runProcess('docker', ['version', '--format', '{{.Server.Version}}'], { signal }),
    runProcess('docker', ['buildx', 'version'], { signal }),
  ]);
  if (info.status === 'rejected') throw info.reason instanceof CommandNotFoundError ? dockerMissing() : info.reason;
  if (info.value.exitCode !== 0) {
    throw usageError('the Docker daemon is not running (docker version could not reach it)', {
      hint: 'start it: scripts/env-up (Debian, as root), "sudo dockerd &", or start Docker Desktop; or use --builder native',
      detail: info.value.output.trim().split('\n').slice(-2).join('\n'),
    });
  }
  if (version.status === 'rejected') throw version.reason;
  if (version.value.exitCode !== 0) {
    throw usageError('docker buildx is not installed', {
      hint: 'install the buildx plugin (Debian 13: apt-get install docker-buildx; scripts/env-up does it)',
    });
  }
  checkBuildxVersion(version.value.stdout);
}

export interface BuildxCheck {
  builder: BuildxBuilder;
  placements: PlatformPlacement[];
  /** Requested platforms that only some node's emulation (qemu) serves. */
  emulated: Platform[];
}

function named(builder: BuildxBuilder, builderName: string | undefined): BuildxBuilder {
  return builder.name === '' ? { ...builder, name: builderName ?? '(current)' } : builder;
}

function describeBuilder(builder: BuildxBuilder): string {
  return `"${builder.name}" (driver ${builder.driver || 'unknown'})`;
}

/**
 * meshbuild's --load is buildx's image exporter (type=image), which puts the result in the engine
 * only with the docker driver; docker-container, remote and kubernetes keep it in their own
 * BuildKit store, so --load there would report success with nothing loaded.
 */
export function checkLoadDriver(builder: BuildxBuilder): void {
  if (builder.driver === 'docker') return;
  throw usageError(
    `--load cannot load images into the Docker Engine through buildx builder ${describeBuilder(builder)}: only the docker driver loads them there`,
    {
      hint: 'use --load with a docker-driver builder (e.g. --builder-name default), or build with this builder to a registry (--push) or an OCI layout (--output oci:DIR)',
    },
  );
}

/**
 * The decisions of the builder check on an inspected builder: every requested platform has a
 * running node (natively or emulated), and --load goes through a driver that loads into the
 * engine. Pure; exported for tests.
 */
export function checkBuilderNodes(builder: BuildxBuilder, platforms: Platform[], options: { load?: boolean } = {}): BuildxCheck {
  if (options.load) checkLoadDriver(builder);
  const placements = placePlatforms(builder, platforms);
  const missing = placements.filter((p) => p.served === 'none').map((p) => formatPlatform(p.platform));
  if (missing.length > 0) {
    const nodes = describeNodes(builder).replace(/^/gm, '  ');
    throw usageError(`the buildx builder ${describeBuilder(builder)} has no running node that can build ${missing.join(', ')}; its nodes:\n${nodes}`, {
      hint: 'add or start a node for it (docker buildx create --append --name BUILDER --platform PLATFORM ENDPOINT), install qemu emulation on a node (apt-get install qemu-user-static binfmt-support, as scripts/env-up does), choose another builder (--builder-name), or leave the platform out of --platforms',
      ...(builder.error ? { detail: builder.error } : {}),
    });
  }
  return { builder, placements, emulated: placements.filter((p) => p.served === 'emulated').map((p) => p.platform) };
}

/** The oldest buildx whose bake the buildx builder drives: `--progress rawjson` came with 0.12. */
const MINIMUM_BUILDX = [0, 12] as const;

/**
 * `docker buildx version` (`github.com/docker/buildx v0.13.1 abc`, or Debian's `0.13.1+ds1`) is at
 * least MINIMUM_BUILDX; a version it cannot read is let through. Pure; exported for tests.
 */
export function checkBuildxVersion(text: string): void {
  const match = /\bv?(\d+)\.(\d+)\.\d+/.exec(text);
  if (!match) return;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major > MINIMUM_BUILDX[0] || (major === MINIMUM_BUILDX[0] && minor >= MINIMUM_BUILDX[1])) return;
  throw usageError(
    `docker buildx ${match[0]} is too old: meshbuild's buildx builder needs ${MINIMUM_BUILDX.join('.')} or later (one bake with --progress rawjson)`,
    {
      hint: 'update the buildx plugin (Debian 13: apt-get install docker-buildx), or use --builder native',
    },
  );
}
