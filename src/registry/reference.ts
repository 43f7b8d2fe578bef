/**
 * Image references as Docker and the OCI distribution spec spell them:
 * `[host[:port]/]repo/path[:tag][@algorithm:hex]`, with Docker Hub's defaults (`docker.io`,
 * `library/`) filled in, and `--hub` strings (`127.0.0.1:5555/mesh`) joined with an image name.
 */
import { usageError } from '../errors.js';

/** Docker Hub's canonical registry name in references. */
export const DOCKER_HUB = 'docker.io';
/** The host that actually serves Docker Hub's distribution API. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** The tag Docker assumes when a reference names neither tag nor digest. */
export const DEFAULT_TAG = 'latest';

export interface ImageReference {
  /** `host[:port]`, `docker.io` for Docker Hub. */
  registry: string;
  /** Repository path inside the registry, `library/alpine` for Docker Hub's official images. */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>` (or `sha512:<128 hex>`). */
  digest?: string;
}

/** A `--hub` value: where images go, before an image name is added. */
export interface Hub {
  registry: string;
  /** Repository prefix (may be empty): `mesh` in `127.0.0.1:5555/mesh`. */
  namespace: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?)(?::[0-9]{1,5})?$/;

/** True for a well-formed `sha256:` / `sha512:` digest. */
export function isDigest(text: string): boolean {
  return DIGEST.test(text);
}

/** Throws a usage error unless `digest` is a well-formed sha256/sha512 digest. */
export function assertDigest(digest: string, what = 'digest'): void {
  if (!isDigest(digest)) throw usageError(`invalid ${what} "${digest}": expected sha256:<64 hex digits>`);
}

/** Docker's rule: the first path component is a registry host if it has a dot or a port, or is `localhost`. */
function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[');
}

function normalizeRegistry(host: string): string {
  const lower = host.toLowerCase();
  return lower === 'index.docker.io' || lower === DOCKER_HUB_API_HOST ? DOCKER_HUB : lower;
}

function validateRepository(repository: string, input: string): void {
  if (repository.length === 0 || repository.length > 255) {
    throw usageError(`invalid image reference "${input}": repository name must be 1-255 characters`);
  }
  for (const component of repository.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      throw usageError(`invalid image reference "${input}": "${component}" is not a valid repository path component`, {
        hint: 'repository paths are lower-case letters and digits, separated by ".", "_", "__" or "-"',
      });
    }
  }
}

/** Splits `host/path` into registry and path with Docker's defaults applied. */
function splitRegistry(name: string, input: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? name : name.slice(0, slash);
  if (slash !== -1 && looksLikeHost(first)) {
    if (!HOST_PORT.test(first)) throw usageError(`invalid image reference "${input}": bad registry host "${first}"`);
    const registry = normalizeRegistry(first);
    const path = name.slice(slash + 1);
    const repository = registry === DOCKER_HUB && !path.includes('/') ? `library/${path}` : path;
    return { registry, repository };
  }
  return { registry: DOCKER_HUB, repository: slash === -1 ? `library/${name}` : name };
}

/**
 * Parses `[host[:port]/]repo/path[:tag][@sha256:...]`. Without a host the registry is Docker Hub
 * (`docker.io`) and single-component names get `library/`. No default tag is added: use
 * {@link referenceTarget} to get `tag ?? digest ?? 'latest'`. Throws a usage error (exit 2).
 */
export function parseReference(input: string): ImageReference {
  const text = input.trim();
  if (text.length === 0) throw usageError('empty image reference');
  if (/^[a-z]+:\/\//i.test(text)) {
    throw usageError(`invalid image reference "${input}": drop the URL scheme`, {
      hint: 'write host[:port]/repository[:tag]; for a plain-HTTP registry pass --insecure-registry HOST',
    });
  }
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw usageError(`invalid image reference "${input}": bad digest "${digest}"`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw usageError(`invalid image reference "${input}": bad tag "${tag}"`);
  }
  const { registry, repository } = splitRegistry(rest, input);
  validateRepository(repository, input);
  const reference: ImageReference = { registry, repository };
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  return reference;
}

/** What to ask the registry for: the digest if there is one, else the tag, else `latest`. */
export function referenceTarget(reference: ImageReference): string {
  return reference.digest ?? reference.tag ?? DEFAULT_TAG;
}

export interface FormatReferenceOptions {
  /** Drop `docker.io/` and `library/` as `docker` prints them. Default false. */
  familiar?: boolean;
}

/** Formats back to `host/repo[:tag][@digest]`; the inverse of {@link parseReference}. */
export function formatReference(reference: ImageReference, options: FormatReferenceOptions = {}): string {
  let name = `${reference.registry}/${reference.repository}`;
  if (options.familiar && reference.registry === DOCKER_HUB) {
    name =
      reference.repository.startsWith('library/') && reference.repository.split('/').length === 2
        ? reference.repository.slice('library/'.length)
        : reference.repository;
  }
  if (reference.tag !== undefined) name += `:${reference.tag}`;
  if (reference.digest !== undefined) name += `@${reference.digest}`;
  return name;
}

/**
 * Parses a `--hub` value: `127.0.0.1:5555/mesh`, `gcr.io/istio-release`, `localhost:5000`, or a
 * Docker Hub namespace such as `istio`. A trailing `/` is ignored.
 */
export function parseHub(input: string): Hub {
  const text = input.trim().replace(/\/+$/, '');
  if (text.length === 0) throw usageError('empty --hub');
  if (/^[a-z]+:\/\//i.test(text)) {
    throw usageError(`invalid --hub "${input}": drop the URL scheme`, {
      hint: 'plain HTTP is used for loopback registries; for another host pass --insecure-registry HOST',
    });
  }
  const slash = text.indexOf('/');
  const first = slash === -1 ? text : text.slice(0, slash);
  const isHost = looksLikeHost(first);
  const path = isHost ? (slash === -1 ? '' : text.slice(slash + 1)) : text;
  if (path.includes(':') || path.includes('@')) {
    throw usageError(`invalid --hub "${input}": a hub names a registry and namespace, not a tag or digest`);
  }
  if (isHost) {
    if (!HOST_PORT.test(first)) throw usageError(`invalid --hub "${input}": bad registry host "${first}"`);
    if (path !== '') validateRepository(path, input);
    return { registry: normalizeRegistry(first), namespace: path };
  }
  validateRepository(text, input);
  return { registry: DOCKER_HUB, namespace: text };
}

/**
 * Joins a hub and an image name into a reference: `127.0.0.1:5555/mesh` + `pilot` (+ tag `1.0`)
 * gives registry `127.0.0.1:5555`, repository `mesh/pilot`. A bare Docker Hub image gets `library/`.
 */
export function repositoryFromHub(hub: string | Hub, image: string, tag?: string): ImageReference {
  const parsed = typeof hub === 'string' ? parseHub(hub) : hub;
  let repository = parsed.namespace === '' ? image : `${parsed.namespace}/${image}`;
  if (parsed.registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  validateRepository(repository, `${parsed.registry}/${repository}`);
  const reference: ImageReference = { registry: parsed.registry, repository };
  if (tag !== undefined) {
    if (!TAG.test(tag)) throw usageError(`invalid tag "${tag}"`);
    reference.tag = tag;
  }
  return reference;
}

/** The host that serves a registry's API: `registry-1.docker.io` for Docker Hub, else the registry itself. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}
