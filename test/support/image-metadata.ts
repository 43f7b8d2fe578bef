/**
 * Image metadata as the tests check it: a copy of the bundled sample made into its own git
 * checkout (a remote, one commit at a fixed time), and the annotations of a pushed index and of
 * each of its manifests, and each config's labels, read back from the registry over HTTP.
 */
import { cpSync } from 'node:fs';
import { execa } from 'execa';
import { expect } from 'vitest';
import { getBlob, getManifest, OCI_INDEX, type IndexEntry } from './images.js';
import { SAMPLE_SOURCE } from './istio-checkout.js';

export const OCI = 'org.opencontainers.image';
/** The five annotations every pushed index and manifest carries. */
export const FIVE = ['source', 'revision', 'version', 'created', 'title'].map((key) => `${OCI}.${key}`);
/** The commit time of `gitCheckout`'s commit, and what `created` says with no SOURCE_DATE_EPOCH. */
export const COMMIT_TIME = 1_700_000_000;
export const COMMIT_CREATED = '2023-11-14T22:13:20Z';

export interface GitCheckout {
  dir: string;
  commit: string;
}

/**
 * Makes `dir` a git checkout with remote `origin` at `remote` and one commit (all its files) at
 * COMMIT_TIME; with `copySample`, the bundled sample is copied into it first.
 */
export async function gitCheckout(dir: string, remote: string, options: { copySample?: boolean } = {}): Promise<GitCheckout> {
  if (options.copySample) cpSync(SAMPLE_SOURCE, dir, { recursive: true });
  const date = `@${COMMIT_TIME} +0000`;
  const env = {
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
    GIT_AUTHOR_NAME: 'test',
    GIT_AUTHOR_EMAIL: 't@example.com',
    GIT_COMMITTER_NAME: 'test',
    GIT_COMMITTER_EMAIL: 't@example.com',
  };
  const git = (...args: string[]) => execa('git', ['-C', dir, ...args], { env });
  await git('init', '-q');
  await git('remote', 'add', 'origin', remote);
  await git('add', '-A');
  await git('commit', '-q', '-m', 'sample');
  return { dir, commit: (await git('rev-parse', 'HEAD')).stdout.trim() };
}

export interface PushedMetadata {
  digest: string;
  index: Record<string, string>;
  /** Per platform (`linux/amd64`): its manifest's annotations and its config's labels. */
  platforms: Map<string, { annotations: Record<string, string>; labels: Record<string, string>; created?: string }>;
}

/** The annotations and labels of `repository:tag` as the registry serves them. */
export async function readPushedMetadata(registry: string, repository: string, tag: string): Promise<PushedMetadata> {
  const index = await getManifest(registry, repository, tag, OCI_INDEX);
  const platforms: PushedMetadata['platforms'] = new Map();
  for (const entry of index.json.manifests as IndexEntry[]) {
    if (!entry.platform || entry.platform.os === 'unknown') continue;
    const manifest = await getManifest(registry, repository, entry.digest, entry.mediaType);
    const configDigest = (manifest.json.config as IndexEntry).digest;
    const config = JSON.parse((await getBlob(registry, repository, configDigest)).toString('utf8')) as {
      created?: string;
      config?: { Labels?: Record<string, string> };
    };
    platforms.set(`${entry.platform.os}/${entry.platform.architecture}`, {
      annotations: (manifest.json.annotations as Record<string, string> | undefined) ?? {},
      labels: config.config?.Labels ?? {},
      ...(config.created !== undefined ? { created: config.created } : {}),
    });
  }
  return { digest: index.digest, index: (index.json.annotations as Record<string, string> | undefined) ?? {}, platforms };
}

/** The five annotations on `pushed`'s index and on each of its manifests, titled `title`, `created` at the commit time; labels alike. */
export function expectFiveAnnotations(pushed: PushedMetadata, checkout: GitCheckout, title: string, version: string, source: string): void {
  const expected: Record<string, string> = {
    [`${OCI}.source`]: source,
    [`${OCI}.revision`]: checkout.commit,
    [`${OCI}.version`]: version,
    [`${OCI}.created`]: COMMIT_CREATED,
    [`${OCI}.title`]: title,
  };
  const five = (record: Record<string, string>) => Object.fromEntries(FIVE.map((key) => [key, record[key]]));
  expect(five(pushed.index), `${title} index`).toEqual(expected);
  expect(pushed.platforms.size, title).toBeGreaterThan(0);
  for (const [platform, one] of pushed.platforms) {
    expect(five(one.annotations), `${title} ${platform} manifest`).toEqual(expected);
    expect(five(one.labels), `${title} ${platform} config labels`).toEqual(expected);
  }
}
