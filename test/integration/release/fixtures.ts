/**
 * Shared pieces of the release / merge integration tests: temp folders, a copy of the sample to
 * change, and what the registry says about the images of a hub (read with the tests' own HTTP
 * requests, not meshbuild's client).
 */
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { REPO_ROOT, type CliResult } from '../../support/cli.js';
import { entryPlatform, getManifest, listTags, SHIPPED_BASES, SHIPPED_IMAGES, type IndexEntry } from '../../support/images.js';
import { useTempDirs as sharedTempDirs } from '../../support/temp-dirs.js';

/** Every image `meshbuild all` / `release` publishes from the shipped graph. */
export const ALL_IMAGES = [...SHIPPED_BASES, ...Object.keys(SHIPPED_IMAGES)].sort();

export const SAMPLE_SOURCE = path.join(REPO_ROOT, 'examples', 'mesh');

export const useTempDirs = (prefix: string) => sharedTempDirs(`meshbuild-${prefix}-`);

export async function copySample(dir: string): Promise<string> {
  await cp(SAMPLE_SOURCE, dir, { recursive: true });
  return dir;
}

export function expectExit(result: CliResult, code: number, what: string): void {
  expect(result.exitCode, `${what}: exit ${result.exitCode}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(code);
}

/** `namespace/image` for each image of a hub's namespace. */
export function repositoryOf(namespace: string, image: string): string {
  return `${namespace}/${image}`;
}

/** Every tag of every image in the namespace, by image. */
export async function tagsByImage(registry: string, namespace: string): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const image of ALL_IMAGES) result[image] = (await listTags(registry, repositoryOf(namespace, image))).sort();
  return result;
}

/** The digest each `image:tag` names, for every image and the tags given (absent tags left out). */
export async function tagDigests(registry: string, namespace: string, tags: string[]): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const image of ALL_IMAGES) {
    const existing = await listTags(registry, repositoryOf(namespace, image));
    for (const tag of tags.filter((t) => existing.includes(t)))
      result[`${image}:${tag}`] = (await getManifest(registry, repositoryOf(namespace, image), tag)).digest;
  }
  return result;
}

/** The platforms and manifest digests an index lists. */
export async function indexEntries(registry: string, repository: string, reference: string): Promise<Array<{ platform: string; digest: string }>> {
  const index = await getManifest(registry, repository, reference);
  const manifests = (index.json.manifests ?? []) as IndexEntry[];
  return manifests.map((m) => ({ platform: entryPlatform(m), digest: m.digest }));
}
