/**
 * Manifests and indexes in a registry: read (OCI index/manifest, Docker manifest list/manifest
 * v2), probe, write and delete, with digests checked against what the registry reports.
 */
import { createHash } from 'node:crypto';
import { MEDIA_TYPE } from '../oci/media-types.js';
import type { Descriptor, ImageIndex, ImageManifest } from '../oci/types.js';
import { computeDigest, digestAlgorithm } from './blob-source.js';
import { isDigest } from './reference.js';
import type { RegistryHttp } from './registry-http.js';
import { header, RegistryError } from './registry-error.js';
import { describeJson, isDescriptor } from './registry-json.js';
import { discardBody, readBodyBytes } from './transport.js';

/** Every manifest type meshbuild reads, most specific first. The default `accept`. */
export const MANIFEST_ACCEPT: readonly string[] = [MEDIA_TYPE.ociIndex, MEDIA_TYPE.ociManifest, MEDIA_TYPE.dockerManifestList, MEDIA_TYPE.dockerManifest];

/** Registries must accept manifests of at least 4 MiB; larger ones are refused here too. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface FetchedManifest {
  /** mediaType, digest (Docker-Content-Digest, checked against the bytes) and size. */
  descriptor: Descriptor;
  mediaType: string;
  bytes: Buffer;
  parsed: ImageManifest | ImageIndex;
}

const manifestScopes = (repo: string, push = false) => [{ repository: repo, actions: push ? (['pull', 'push'] as const) : (['pull'] as const) }];

function target(repo: string, reference: string): string {
  return `/v2/${repo}/manifests/${reference}`;
}

function mediaTypeOf(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === '' || type === 'application/json' || type === 'application/octet-stream' ? undefined : type;
}

/**
 * Checks the shape of a manifest document (its descriptors included) and returns it with its
 * media type settled. `where` names it in messages: the registry and URL for one read from a registry.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined, where: string): { mediaType: string; parsed: ImageManifest | ImageIndex } {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RegistryError(`${where} is not valid JSON`);
  }
  if (typeof json !== 'object' || json === null) throw new RegistryError(`${where} is not a JSON object`);
  const doc = json as Record<string, unknown>;
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const isIndex = Array.isArray(doc.manifests);
  const mediaType = mediaTypeOf(contentType) ?? declared ?? (isIndex ? MEDIA_TYPE.ociIndex : MEDIA_TYPE.ociManifest);
  if (!MANIFEST_ACCEPT.includes(mediaType)) {
    throw new RegistryError(`${where} has media type ${mediaType}, which meshbuild does not read`, {
      hint: mediaType.includes('v1+') ? 'Docker schema 1 manifests are obsolete: rebuild and push the image' : undefined,
    });
  }
  if (doc.schemaVersion !== 2) throw new RegistryError(`${where} has schemaVersion ${String(doc.schemaVersion)}, expected 2`);
  const wantsIndex = mediaType === MEDIA_TYPE.ociIndex || mediaType === MEDIA_TYPE.dockerManifestList;
  if (wantsIndex && !isIndex) throw new RegistryError(`${where} is typed ${mediaType} but has no manifests list`);
  if (!wantsIndex && (typeof doc.config !== 'object' || !Array.isArray(doc.layers))) {
    throw new RegistryError(`${where} is typed ${mediaType} but lacks config or layers`);
  }
  const entries: Array<[string, unknown]> = wantsIndex
    ? (doc.manifests as unknown[]).map((entry, i) => [`manifests[${i}]`, entry])
    : [['config', doc.config], ...(doc.layers as unknown[]).map((entry, i): [string, unknown] => [`layers[${i}]`, entry])];
  for (const [field, entry] of entries) {
    if (!isDescriptor(entry))
      throw new RegistryError(
        `${where} has a ${field} that is not a descriptor (mediaType, digest, size): ${describeJson(entry)} ${JSON.stringify(entry)?.slice(0, 200) ?? ''}`.trim(),
      );
  }
  return { mediaType, parsed: { ...(doc as unknown as ImageManifest | ImageIndex), mediaType } };
}

/** Reads a manifest or index by tag or digest. `accept` defaults to {@link MANIFEST_ACCEPT}. */
export async function getManifest(http: RegistryHttp, repo: string, reference: string, accept: readonly string[] = MANIFEST_ACCEPT): Promise<FetchedManifest> {
  const name = `manifest ${http.registry}/${repo}${isDigest(reference) ? '@' : ':'}${reference}`;
  const response = await http.request({
    method: 'GET',
    target: target(repo, reference),
    headers: { accept: accept.join(', ') },
    scopes: manifestScopes(repo),
    context: { repository: repo, what: `get ${name}` },
    expect: [200],
  });
  const where = `${name} (${http.resolve(target(repo, reference)).toString()})`;
  const bytes = await readBodyBytes(response, MAX_MANIFEST_BYTES).catch((error: unknown) => {
    throw new RegistryError(`could not read ${where}: ${(error as Error).message}`, { cause: error });
  });
  const { mediaType, parsed } = parseManifest(bytes, header(response.headers, 'content-type'), where);
  const reported = header(response.headers, 'docker-content-digest');
  const digest = checkDigest(bytes, where, reported, isDigest(reference) ? reference : undefined);
  return { descriptor: { mediaType, digest, size: bytes.length }, mediaType, bytes, parsed };
}

function checkDigest(bytes: Buffer, where: string, reported: string | undefined, requested: string | undefined): string {
  let result = computeDigest(bytes);
  for (const expected of [requested, reported]) {
    if (expected === undefined || !isDigest(expected)) continue;
    const actual = `${digestAlgorithm(expected)}:${createHash(digestAlgorithm(expected)).update(bytes).digest('hex')}`;
    if (actual !== expected) throw new RegistryError(`${where}: the registry sent bytes whose digest is ${actual}, not ${expected}`);
    result = expected;
  }
  return result;
}

/** The descriptor of a manifest (HEAD), or undefined when there is none. */
export async function headManifest(
  http: RegistryHttp,
  repo: string,
  reference: string,
  accept: readonly string[] = MANIFEST_ACCEPT,
): Promise<Descriptor | undefined> {
  const response = await http.request({
    method: 'HEAD',
    target: target(repo, reference),
    headers: { accept: accept.join(', ') },
    scopes: manifestScopes(repo),
    context: { repository: repo, what: `check manifest ${repo}:${reference}` },
    expect: [200, 404],
  });
  discardBody(response);
  if (response.status === 404) return undefined;
  const digest = header(response.headers, 'docker-content-digest') ?? (isDigest(reference) ? reference : undefined);
  const size = Number(header(response.headers, 'content-length') ?? 'NaN');
  const mediaType = mediaTypeOf(header(response.headers, 'content-type'));
  if (digest === undefined || !Number.isFinite(size) || mediaType === undefined) {
    // Some registries leave these off HEAD answers: ask with GET instead.
    return (await getManifest(http, repo, reference, accept)).descriptor;
  }
  return { mediaType, digest, size };
}

/** Writes a manifest or index under a tag or its digest; returns its digest. */
export async function putManifest(http: RegistryHttp, repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
  const where = `manifest ${repo}${isDigest(reference) ? '@' : ':'}${reference}`;
  parseManifest(bytes, mediaType, where);
  const digest = computeDigest(bytes);
  if (isDigest(reference) && reference !== digest) {
    throw new RegistryError(`cannot push ${where}: its bytes have digest ${digest}`);
  }
  const response = await http.request({
    method: 'PUT',
    target: target(repo, reference),
    headers: { 'content-type': mediaType },
    body: { bytes },
    scopes: manifestScopes(repo, true),
    context: { repository: repo, what: `push ${where}` },
    expect: [200, 201, 202, 204],
  });
  discardBody(response);
  const reported = header(response.headers, 'docker-content-digest');
  if (reported !== undefined && reported.startsWith('sha256:') && reported !== digest) {
    throw new RegistryError(`registry ${http.registry} stored ${where} as ${reported}, but its bytes have digest ${digest}`);
  }
  return digest;
}

/** Deletes a manifest (registries generally want a digest; some accept a tag). */
export async function deleteManifest(http: RegistryHttp, repo: string, reference: string): Promise<void> {
  const response = await http.request({
    method: 'DELETE',
    target: target(repo, reference),
    scopes: [{ repository: repo, actions: ['delete'] }],
    context: { repository: repo, what: `delete manifest ${repo}${isDigest(reference) ? '@' : ':'}${reference}` },
    expect: [200, 202, 204],
  });
  discardBody(response);
}
