/**
 * Checks a published image before anyone pulls it: its index lists every platform asked for,
 * each platform's config says that platform, every ELF binary in each platform's layers was built
 * for it (an amd64 binary in the arm64 image is an `exec format error` waiting to happen), and,
 * with `run`, each platform's executable answers its version command (under qemu where foreign)
 * and, where its output names a platform, names its own.
 */
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { stepError } from '../errors.js';
import { isIndexMediaType } from '../oci/media-types.js';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest, OciPlatform } from '../oci/types.js';
import { formatPlatform, parsePlatform, samePlatform, type Platform } from '../platform.js';
import type { ImageStore } from '../publish/image-store.js';
import { RegistryStore } from '../publish/registry-store.js';
import { RegistryClient } from '../registry/client.js';
import { credentialsFromDockerConfig } from '../registry/docker-config.js';
import { formatReference, parseReference, referenceTarget } from '../registry/reference.js';
import { canCheckElf, scanLayerForForeignBinaries } from './elf-scan.js';

export interface VerifyOptions {
  /** Platforms the image must have; empty: every platform its index lists. */
  platforms: Platform[];
  /** Start each platform's executable with `versionArgs` through the Docker Engine. Default false. */
  run?: boolean;
  /** Arguments `run` passes to the image's executable (its version command). Default `["--version"]`. */
  versionArgs?: readonly string[];
  /** Registry hosts that may be reached over plain HTTP besides loopback ones. Default none. */
  insecureRegistries?: string[];
  signal?: AbortSignal;
}

export interface VerifyFinding {
  reference: string;
  platform?: string;
  file?: string;
  problem: string;
}

export interface VerifyResult {
  reference: string;
  /** Digest of what the reference names (the index, or a single-platform manifest). */
  digest: string;
  /** Platforms the index lists, attestation entries left out. */
  platforms: string[];
  /** Attestation entries (unknown/unknown, `vnd.docker.reference.type: attestation-manifest`). */
  attestations: string[];
  problems: VerifyFinding[];
  ok: boolean;
}

/** What `run` saw for one platform. */
export interface RunCheck {
  platform: string;
  command: string[];
  exitCode: number;
  output: string;
}

/** A VerifyResult with what the command line shows besides: runs, binaries checked, single-platform. */
export interface VerifyReport extends VerifyResult {
  /** False when the reference names a single-platform manifest rather than an index. */
  isIndex: boolean;
  /** ELF binaries whose machine was checked, over all platforms. */
  binaries: number;
  runs: RunCheck[];
}

export interface InspectOptions extends VerifyOptions {
  /** The client for a registry host. Default: a new one honouring `insecureRegistries`. */
  clientFor?: (registry: string) => RegistryClient;
}

/** Verifies `reference` (`host/repo:tag` or `host/repo@sha256:...`) in its registry. */
export async function verifyReference(reference: string, options: VerifyOptions): Promise<VerifyResult> {
  const { reference: ref, digest, platforms, attestations, problems, ok } = await inspectReference(reference, options);
  return { reference: ref, digest, platforms, attestations, problems, ok };
}

/** As {@link verifyReference}, with the details a summary shows. Throws a usage error for a bad reference. */
export async function inspectReference(reference: string, options: InspectOptions): Promise<VerifyReport> {
  const parsed = parseReference(reference);
  const client = options.clientFor?.(parsed.registry) ?? new RegistryClient(parsed.registry, { insecureRegistries: options.insecureRegistries ?? [] });
  const store = new RegistryStore(client, parsed.repository);
  const root = await store.resolveTag(referenceTarget(parsed));
  if (root === undefined) {
    throw stepError(`${reference} does not exist in registry ${parsed.registry}`, {
      hint: 'check the repository and tag, and that the image was pushed there',
    });
  }
  const repository = formatReference({ registry: parsed.registry, repository: parsed.repository });
  return inspectImage(store, root, reference, { ...options, runnable: (digest) => `${repository}@${digest}`, registry: parsed.registry });
}

/** One platform entry of an index (or the platform of a single-platform manifest). */
export interface ListedPlatform {
  platform: Platform;
  name: string;
  descriptor: Descriptor;
}

export interface ImageListing {
  root: Descriptor;
  isIndex: boolean;
  platforms: ListedPlatform[];
  attestations: string[];
}

/** An OCI platform normalised as `--platforms` values are (`linux/arm64/v8` is `linux/arm64`). */
export function normalizeOciPlatform(platform: OciPlatform): Platform {
  const raw: Platform = platform.variant
    ? { os: platform.os, architecture: platform.architecture, variant: platform.variant }
    : { os: platform.os, architecture: platform.architecture };
  const parsed = parsePlatform(formatPlatform(raw));
  return parsed.ok ? parsed.platform : raw;
}

/** Whether an index entry is an attestation (buildx's provenance/SBOM) rather than a platform. */
export function isAttestationEntry(descriptor: Descriptor): boolean {
  return (
    descriptor.platform === undefined ||
    descriptor.platform.os === 'unknown' ||
    descriptor.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'
  );
}

/** Splits an index's entries into platforms and attestations (described for people). */
export function classifyIndex(index: ImageIndex): { platforms: ListedPlatform[]; attestations: string[] } {
  const platforms: ListedPlatform[] = [];
  const attestations: string[] = [];
  for (const descriptor of index.manifests) {
    if (isAttestationEntry(descriptor)) {
      const kind = descriptor.annotations?.['vnd.docker.reference.type'];
      const subject = descriptor.annotations?.['vnd.docker.reference.digest'];
      const where = descriptor.platform
        ? [descriptor.platform.os, descriptor.platform.architecture, descriptor.platform.variant].filter(Boolean).join('/')
        : 'no platform';
      attestations.push(`${descriptor.digest} (${[where, kind, subject && `for ${subject}`].filter(Boolean).join(', ')})`);
      continue;
    }
    const platform = normalizeOciPlatform(descriptor.platform!);
    platforms.push({ platform, name: formatPlatform(platform), descriptor });
  }
  return { platforms, attestations };
}

/** Lists an image's platforms; a single-platform manifest's platform comes from its config. */
export async function listImage(store: ImageStore, root: Descriptor): Promise<ImageListing> {
  const document = parseJson<ImageIndex | ImageManifest>(await store.readManifest(root), `${store.name}@${root.digest}`);
  if (isIndexMediaType(root.mediaType) || 'manifests' in document) {
    return { root, isIndex: true, ...classifyIndex(document as ImageIndex) };
  }
  const config = await readConfig(store, document as ImageManifest);
  const platform = normalizeOciPlatform(config);
  return { root, isIndex: false, platforms: [{ platform, name: formatPlatform(platform), descriptor: root }], attestations: [] };
}

interface ImageCheckOptions extends VerifyOptions {
  /** The reference the engine pulls a platform manifest by. */
  runnable: (digest: string) => string;
  registry: string;
}

async function inspectImage(store: ImageStore, root: Descriptor, reference: string, options: ImageCheckOptions): Promise<VerifyReport> {
  const listing = await listImage(store, root);
  const report: VerifyReport = {
    reference,
    digest: root.digest,
    platforms: listing.platforms.map((p) => p.name),
    attestations: listing.attestations,
    problems: [],
    ok: false,
    isIndex: listing.isIndex,
    binaries: 0,
    runs: [],
  };
  const problem = (finding: Omit<VerifyFinding, 'reference'>) => report.problems.push({ reference, ...finding });
  if (listing.platforms.length === 0) problem({ problem: 'the index lists no platform (only attestations)' });
  const wanted = options.platforms.length > 0 ? options.platforms : listing.platforms.map((p) => p.platform);
  for (const platform of wanted) {
    if (options.signal?.aborted) throw options.signal.reason;
    const name = formatPlatform(platform);
    const entry = listing.platforms.find((p) => samePlatform(p.platform, platform));
    if (entry === undefined) {
      problem({
        platform: name,
        problem: listing.isIndex
          ? `the index does not list ${name} (it lists ${report.platforms.join(', ') || 'no platform'})`
          : `single-platform image (${report.platforms.join(', ')}), not an index: ${name} nodes would run its binaries and fail with exec format error`,
      });
      continue;
    }
    await checkPlatform(store, entry, platform, report, problem, options);
  }
  report.ok = report.problems.length === 0;
  return report;
}

async function checkPlatform(
  store: ImageStore,
  entry: ListedPlatform,
  platform: Platform,
  report: VerifyReport,
  problem: (finding: Omit<VerifyFinding, 'reference'>) => void,
  options: ImageCheckOptions,
): Promise<void> {
  const name = formatPlatform(platform);
  const document = parseJson<ImageManifest | ImageIndex>(await store.readManifest(entry.descriptor), `${store.name}@${entry.descriptor.digest}`);
  if ('manifests' in document || !Array.isArray((document as ImageManifest).layers)) {
    problem({ platform: name, problem: `the ${name} entry ${entry.descriptor.digest} is not an image manifest` });
    return;
  }
  const manifest = document as ImageManifest;
  const config = await readConfig(store, manifest);
  const configured = normalizeOciPlatform(config);
  if (!samePlatform(configured, platform)) {
    problem({ platform: name, problem: `the index lists ${name} but its image config says ${formatPlatform(configured)}` });
  }
  if (canCheckElf(platform)) {
    for (const layer of manifest.layers) {
      if (/zstd/.test(layer.mediaType)) {
        problem({ platform: name, problem: `layer ${layer.digest} is zstd-compressed, which verify cannot read: its binaries were not checked` });
        continue;
      }
      if (layer.urls !== undefined && layer.urls.length > 0) continue; // non-distributable: not in this registry
      const stream = await store.openBlob(layer);
      try {
        const scan = await scanLayerForForeignBinaries(stream, platform, {
          what: `layer ${layer.digest} of ${report.reference} (${name})`,
          signal: options.signal,
        });
        report.binaries += scan.binaries;
        for (const foreign of scan.foreign) {
          problem({
            platform: name,
            file: foreign.file,
            problem: `exec format error waiting to happen: ${foreign.file} is ${foreign.machine} but the image is ${name}`,
          });
        }
      } finally {
        stream.destroy();
      }
    }
  }
  if (options.run) {
    const outcome = await runVersion(options.runnable(entry.descriptor.digest), platform, config, options);
    if (outcome.run) report.runs.push(outcome.run);
    if (outcome.problem !== undefined) problem({ platform: name, problem: outcome.problem });
  }
}

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
async function runVersion(image: string, platform: Platform, config: ImageConfig, options: ImageCheckOptions): Promise<{ run?: RunCheck; problem?: string }> {
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

async function readConfig(store: ImageStore, manifest: ImageManifest): Promise<ImageConfig> {
  const stream = await store.openBlob(manifest.config);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 8 * 1024 * 1024) {
      stream.destroy();
      throw stepError(`the image config ${manifest.config.digest} in ${store.name} is larger than 8 MiB`);
    }
    chunks.push(chunk);
  }
  return parseJson<ImageConfig>(Buffer.concat(chunks), `image config ${manifest.config.digest} in ${store.name}`);
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw stepError(`${what} is not valid JSON`);
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}
