/**
 * `verify --run`: start each platform's image (qemu where foreign) with its version command and
 * check that it answers, and that where its output names a platform it names its own.
 */
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { stepError } from '../errors.js';
import type { ImageConfig } from '../oci/types.js';
import { formatPlatform, type Platform } from '../platform.js';
import { credentialsFromDockerConfig } from '../registry/docker-config.js';
import type { ImageCheckOptions, RunCheck } from './verify.js';

/** The version command verify runs when the targets declare none. */
export const DEFAULT_VERSION_ARGS: readonly string[] = ['--version'];

/**
 * What `run` starts for an image: its ENTRYPOINT's first element, or, for an image with only a
 * CMD (Istio's install-cni), the CMD's first element, followed by `versionArgs`; the rest of
 * ENTRYPOINT and CMD is left out (they start the service, not the version command). A shell form
 * (`/bin/sh -c "install-cni --flag"`) names its program as the script's first word.
 */
export function versionCommand(config: ImageConfig, versionArgs: readonly string[] = DEFAULT_VERSION_ARGS): string[] | undefined {
  const entrypoint = config.config?.Entrypoint ?? [];
  const form = entrypoint.length > 0 ? entrypoint : (config.config?.Cmd ?? []);
  const script = SHELLS.has(form[0] ?? '') && form[1] === '-c' ? form[2] : undefined;
  const executable = script !== undefined ? script.trim().split(/\s+/)[0] : form[0];
  return executable === undefined || executable === '' ? undefined : [executable, ...versionArgs];
}

/** The shells Dockerfile shell forms run through (`SHELL` may name another; then it runs as is). */
const SHELLS = new Set(['/bin/sh', '/bin/bash', 'sh', 'bash', '/usr/bin/sh', '/usr/bin/bash']);

/** The `os/arch` pairs a version line names (`linux/arm64`, `darwin/amd64`), as Go prints runtime.GOOS/GOARCH. */
export function namedPlatforms(output: string): string[] {
  return [...output.matchAll(/\b(linux|darwin|windows|freebsd)\/(amd64|arm64|arm|386|ppc64le|ppc64|s390x|riscv64|mips64le|loong64)\b/g)].map(
    (m) => `${m[1]}/${m[2]}`,
  );
}

/** Longest a `--version` run may take (qemu included) before it counts as hanging. */
const RUN_LIMIT_MS = 120_000;

let engine: Docker | undefined;

/** Pulls one platform's image into the engine, runs its version command (`versionCommand`), removes the container. */
export async function runVersion(
  image: string,
  platform: Platform,
  config: ImageConfig,
  options: ImageCheckOptions,
): Promise<{ run?: RunCheck; problem?: string }> {
  const name = formatPlatform(platform);
  const versionArgs = options.versionArgs ?? DEFAULT_VERSION_ARGS;
  const command = versionCommand(config, versionArgs);
  if (command === undefined) return { problem: `the ${name} image has neither an ENTRYPOINT nor a CMD to run with ${versionArgs.join(' ') || 'no arguments'}` };
  // dockerode (and its ssh stack) is loaded only when --run needs it: every command starts faster.
  engine ??= new (await import('dockerode')).default();
  const docker = engine;
  await pullImage(docker, image, name, options);
  let container: Docker.Container | undefined;
  try {
    container = await docker.createContainer({
      Image: image,
      platform: name,
      // Setting Entrypoint makes the engine drop the image's CMD: only the version command runs.
      Entrypoint: command.slice(0, 1),
      Cmd: command.slice(1),
      Tty: false,
      HostConfig: { NetworkMode: 'none' },
      Labels: { 'dev.meshbuild.verify': 'true' },
    });
    await container.start();
    const waited = await waitWithLimit(container, options.signal);
    const output = demuxLogs(await container.logs({ stdout: true, stderr: true, follow: false })).trim();
    if (waited === undefined)
      return {
        run: { platform: name, command, exitCode: -1, output },
        problem: `${command.join(' ')} did not exit within ${RUN_LIMIT_MS / 1000} s on ${name}`,
      };
    const run: RunCheck = { platform: name, command, exitCode: waited, output };
    // Go prints runtime.GOOS/GOARCH: no variant. Istio's `version` names no platform at all (the
    // ELF scan has checked the machine then); one that names only others is the wrong binary.
    const own = `${platform.os}/${platform.architecture}`;
    if (waited !== 0) return { run, problem: `${command.join(' ')} exited with ${waited} on ${name}: ${firstLine(output)}` };
    const named = namedPlatforms(output);
    if (named.length > 0 && !named.includes(own))
      return { run, problem: `${command.join(' ')} printed "${firstLine(output)}", which names ${named[0]}, not ${own}` };
    return { run };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    return { problem: `${command.join(' ')} could not start on ${name}: ${engineMessage(error)}` };
  } finally {
    await container?.remove({ force: true }).catch(() => undefined);
  }
}

async function pullImage(docker: Docker, image: string, platform: string, options: ImageCheckOptions): Promise<void> {
  const credentials = await credentialsFromDockerConfig(options.registry).catch(() => undefined);
  const authconfig = credentials?.identityToken
    ? { identitytoken: credentials.identityToken, serveraddress: options.registry }
    : credentials?.username !== undefined
      ? { username: credentials.username, password: credentials.password ?? '', serveraddress: options.registry }
      : undefined;
  let events: Array<{ error?: string; errorDetail?: { message?: string } }>;
  try {
    const stream = (await docker.pull(image, { platform, ...(authconfig ? { authconfig } : {}) })) as Readable;
    events = await new Promise((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: typeof events) => (error ? reject(error) : resolve(output))),
    );
  } catch (error) {
    throw engineError(error, `pull ${image} (${platform})`);
  }
  const failed = events.find((event) => event.error !== undefined);
  if (failed) throw engineError(new Error(failed.errorDetail?.message ?? failed.error), `pull ${image} (${platform})`);
}

async function waitWithLimit(container: Docker.Container, signal: AbortSignal | undefined): Promise<number | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => void container.kill().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const limit = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), RUN_LIMIT_MS);
    });
    const result = await Promise.race([container.wait() as Promise<{ StatusCode: number }>, limit]);
    if (signal?.aborted) throw signal.reason;
    return result?.StatusCode;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The engine's log stream without a TTY: frames of [stream, 0, 0, 0, size (4 bytes BE)] + payload. */
export function demuxLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return offset === 0 && buffer.length > 0 ? buffer.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

function engineMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\(HTTP code \d+\)\s*[a-z ]*-\s*/i, '').trim();
}

function engineError(error: unknown, what: string) {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
    return stepError(`--run needs the Docker Engine, which did not answer (${code}) when trying to ${what}`, {
      hint: 'start it (scripts/env-up on Debian), or verify without --run',
    });
  }
  return stepError(`the Docker Engine could not ${what}: ${engineMessage(error)}`, {
    hint: 'the engine pulls from the registry itself: it must reach it (loopback registries are allowed over HTTP)',
  });
}

/** The first line of a program's output, for messages. */
export function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}
