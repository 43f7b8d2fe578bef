/**
 * Helpers for the multi-arch image integration tests: unique registry namespaces, reading
 * indexes, manifests, configs and layers straight from a registry over HTTP (the tests check
 * meshbuild's output with their own requests, not with its registry client), finding a file in
 * an image's layers with the project's tar reader, the ELF machine of a binary, and the Docker
 * CLI for `docker run` / `docker image inspect` / clean-up.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { execa } from 'execa';
import { readFileFromTar } from '../../src/oci/tar-reader.js';
import { REPO_ROOT } from './cli.js';

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(', ');

/** The images `meshbuild all` builds from the shipped graph, and the binaries each must hold. */
export const SHIPPED_IMAGES: Record<string, string[]> = {
  pilot: ['/usr/local/bin/pilot-discovery'],
  proxyv2: ['/usr/local/bin/pilot-agent', '/usr/local/bin/envoy'],
  istioctl: ['/usr/local/bin/istioctl'],
  'install-cni': ['/usr/local/bin/install-cni'],
  ztunnel: ['/usr/local/bin/ztunnel'],
  app: ['/usr/local/bin/server'],
  'ext-authz': ['/usr/local/bin/extauthz'],
};

/**
 * `docker run` arguments after the options that print an image's version line: install-cni, as
 * Istio's, has a CMD and no ENTRYPOINT, so its binary is named as the entrypoint.
 */
export function versionRunArgs(image: string, ref: string): string[] {
  return image === 'install-cni' ? ['--entrypoint', SHIPPED_IMAGES[image]![0]!, ref, '--version'] : [ref, '--version'];
}

/** The sample's stand-in bases (its overlay), built in the same run as the images on them. */
export const SHIPPED_BASES = ['base', 'distroless', 'iptables'];

/** ELF e_machine per architecture: what the tests expect, written down here on purpose. */
export const EXPECTED_ELF_MACHINE: Record<string, number> = { amd64: 62, arm64: 183 };

/**
 * A registry namespace no earlier run used: `mbimg-<label>-<yyyymmddhhmmss>-<pid>-<random>`,
 * so re-runs never see old tags.
 */
export function uniqueNamespace(label: string): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `mbimg-${label}-${stamp}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

/** A tag no earlier run used, for names in the local engine: `t<time><random>`. */
export function uniqueTag(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
}

export interface RegistryAuth {
  username: string;
  password: string;
}

function headers(accept: string | undefined, auth: RegistryAuth | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  if (accept !== undefined) result.accept = accept;
  if (auth) result.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  return result;
}

export interface FetchedManifest {
  /** `Docker-Content-Digest` as the registry sent it. */
  digest: string;
  mediaType: string;
  bytes: Buffer;
  json: Record<string, unknown>;
}

/** GET `/v2/<repo>/manifests/<reference>`; throws with the status when it is not 200. */
export async function getManifest(
  registry: string,
  repository: string,
  reference: string,
  accept = MANIFEST_ACCEPT,
  auth?: RegistryAuth,
): Promise<FetchedManifest> {
  const response = await fetch(`http://${registry}/v2/${repository}/manifests/${reference}`, { headers: headers(accept, auth) });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200)
    throw new Error(`GET ${registry}/${repository}:${reference} answered ${response.status}: ${bytes.toString('utf8').slice(0, 300)}`);
  return {
    digest: response.headers.get('docker-content-digest') ?? '',
    mediaType: response.headers.get('content-type') ?? '',
    bytes,
    json: JSON.parse(bytes.toString('utf8')) as Record<string, unknown>,
  };
}

/** The HTTP status of HEAD `/v2/<repo>/manifests/<reference>` (200 there, 404 not). */
export async function manifestStatus(registry: string, repository: string, reference: string, auth?: RegistryAuth): Promise<number> {
  const response = await fetch(`http://${registry}/v2/${repository}/manifests/${reference}`, { method: 'HEAD', headers: headers(MANIFEST_ACCEPT, auth) });
  return response.status;
}

/** The tags of a repository (none for a repository the registry does not know). */
export async function listTags(registry: string, repository: string, auth?: RegistryAuth): Promise<string[]> {
  const response = await fetch(`http://${registry}/v2/${repository}/tags/list`, { headers: headers(undefined, auth) });
  const text = await response.text();
  if (response.status === 404) return [];
  if (response.status !== 200) throw new Error(`GET ${registry}/${repository} tags answered ${response.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { tags?: string[] | null }).tags ?? [];
}

/** GET a blob by digest. */
export async function getBlob(registry: string, repository: string, digest: string, auth?: RegistryAuth): Promise<Buffer> {
  const response = await fetch(`http://${registry}/v2/${repository}/blobs/${digest}`, { headers: headers(undefined, auth) });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`GET blob ${registry}/${repository}@${digest} answered ${response.status}`);
  return bytes;
}

export interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
}

/** `linux/arm64` (`os/arch[/variant]`) of an index entry, `unknown/unknown` when it has none. */
export function entryPlatform(entry: IndexEntry): string {
  if (!entry.platform) return 'unknown/unknown';
  return [entry.platform.os, entry.platform.architecture, entry.platform.variant].filter(Boolean).join('/');
}

/**
 * The first bytes of `file` in an image, from the topmost layer that has it (later layers win),
 * read with the project's tar reader. Undefined when no layer has it.
 */
export async function readFileFromImage(
  layers: Array<() => Promise<Buffer>>,
  file: string,
  maxBytes = 64,
): Promise<{ layer: number; bytes: Buffer } | undefined> {
  for (let i = layers.length - 1; i >= 0; i--) {
    const bytes = await readFileFromTar(await layers[i]!(), file, { maxBytes, what: `layer ${i}` });
    if (bytes !== undefined) return { layer: i, bytes };
  }
  return undefined;
}

/** e_machine of an ELF header (offset 18, in the byte order EI_DATA names); throws when not ELF. */
export function elfMachine(bytes: Buffer): number {
  if (bytes.length < 20 || bytes.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  return bytes[5] === 2 ? bytes.readUInt16BE(18) : bytes.readUInt16LE(18);
}

/** Runs `docker <args>`; never rejects on a non-zero exit. */
export async function docker(args: string[], env?: Record<string, string>): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa('docker', args, { reject: false, stdin: 'ignore', ...(env ? { env } : {}) });
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Removes images from the local engine by name, ignoring names that are not there. */
export async function removeLocalImages(names: string[]): Promise<void> {
  for (const name of names) {
    const result = await docker(['image', 'rm', '--force', name]);
    if (result.exitCode !== 0 && !/No such image/i.test(result.stderr)) throw new Error(`docker image rm ${name}: ${result.stderr}`);
  }
}

/** Fails loudly unless the Docker Engine answers and buildx is installed: never a skip. */
export async function requireDocker(): Promise<void> {
  const info = await docker(['version', '--format', '{{.Server.Version}}']);
  if (info.exitCode !== 0) throw new Error(`the Docker Engine does not answer: run eval "$(scripts/env-up | tail -n 1)" (${info.stderr.trim()})`);
  const buildx = await docker(['buildx', 'version']);
  if (buildx.exitCode !== 0) throw new Error(`docker buildx is not installed: run scripts/env-up (${buildx.stderr.trim()})`);
}

/** Lines of `text` that start with `error:` (the CLI's one-message-per-failure prefix). */
export function errorLines(text: string): string[] {
  return text.split('\n').filter((line) => line.startsWith('error:'));
}

/** Runs scripts/stand-in-bases: base, distroless and iptables for amd64 and arm64, pushed as HUB/<name>:TAG. Throws with its output if it fails. */
export async function pushStandInBases(hub: string, tag: string): Promise<void> {
  const run = await execa(path.join(REPO_ROOT, 'scripts', 'stand-in-bases'), [hub, tag], { reject: false, all: true });
  if (run.exitCode !== 0) throw new Error(`scripts/stand-in-bases failed (exit ${String(run.exitCode)}):\n${String(run.all)}`);
}
