/**
 * The files a release leaves in `out/release/<version>/`: istioctl archives per platform
 * (deterministic tar.gz, and a zip for Windows), `SHA256SUMS`, the run report and release notes
 * that list every image by digest and the line a user types next. Everything is written into a
 * staging folder that the caller renames into place once the release is published.
 */
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { sha256File } from '../oci/digest.js';
import { deterministicGzip } from '../oci/gzip.js';
import { createTarStream } from '../oci/tar-writer.js';
import { formatPlatform, type Platform } from '../platform.js';
import { binaryOutputPath } from '../plan/plan.js';
import { encodeZip } from './zip-writer.js';

/** istioctl's archives, named as Istio names them: `istioctl-<version>-<suffix>.tar.gz` (`-win.zip`). */
export const ISTIOCTL_ARCHIVES: ReadonlyArray<{ platform: Platform; suffix: string; format: 'tar.gz' | 'zip' }> = [
  { platform: { os: 'linux', architecture: 'amd64' }, suffix: 'linux-amd64', format: 'tar.gz' },
  { platform: { os: 'linux', architecture: 'arm64' }, suffix: 'linux-arm64', format: 'tar.gz' },
  { platform: { os: 'linux', architecture: 'arm', variant: 'v7' }, suffix: 'linux-armv7', format: 'tar.gz' },
  { platform: { os: 'darwin', architecture: 'amd64' }, suffix: 'osx', format: 'tar.gz' },
  { platform: { os: 'darwin', architecture: 'arm64' }, suffix: 'osx-arm64', format: 'tar.gz' },
  { platform: { os: 'windows', architecture: 'amd64' }, suffix: 'win', format: 'zip' },
];

/** Archive members are executables: fixed mode, whoever built them. */
const BINARY_MODE = 0o755;

export function releaseDir(outDir: string, version: string): string {
  return path.join(outDir, 'release', version);
}

export function istioctlArchiveName(version: string, archive: (typeof ISTIOCTL_ARCHIVES)[number]): string {
  return `istioctl-${version}-${archive.suffix}.${archive.format}`;
}

/**
 * Packs each platform's istioctl (built under `outDir` as the planner lays binaries out) into
 * `dir`; returns the archive names. Each holds the one binary, mode 0755, mtime 0.
 */
export async function writeIstioctlArchives(dir: string, version: string, outDir: string): Promise<string[]> {
  const names: string[] = [];
  for (const archive of ISTIOCTL_ARCHIVES) {
    const binary = binaryOutputPath(outDir, archive.platform, 'istioctl');
    const name = istioctlArchiveName(version, archive);
    const file = path.join(dir, name);
    if (archive.format === 'zip') {
      await writeFile(file, encodeZip([{ name: path.basename(binary), data: await readFile(binary), mode: BINARY_MODE }]));
    } else {
      const tar = createTarStream([{ type: 'file', path: 'istioctl', source: binary, mode: BINARY_MODE }], { mtime: 0 });
      await pipeline(tar, ...deterministicGzip(), createWriteStream(file));
    }
    names.push(name);
  }
  return names;
}

/** `SHA256SUMS` for `files` in `dir`: `<hex>  <name>` lines sorted by name, as `sha256sum -c` reads them. */
export async function checksumsFor(dir: string, files: readonly string[]): Promise<string> {
  const lines: string[] = [];
  for (const name of [...files].sort()) {
    const { digest } = await sha256File(path.join(dir, name));
    lines.push(`${digest.replace(/^sha256:/, '')}  ${name}`);
  }
  return `${lines.join('\n')}\n`;
}

/** One image as the notes list it. */
export interface ReleasedImage {
  image: string;
  variant: string;
  hub: string;
  /** `host/namespace/image` */
  repository: string;
  /** Index digest. */
  digest: string;
  platforms: string[];
  tags: string[];
}

export interface ReleaseNotesInput {
  version: string;
  hubs: string[];
  images: ReleasedImage[];
  /** Archive names with their sha256 hex. */
  archives: Array<{ name: string; sha256: string }>;
  /** Lines about tags left where they were (`latest stays ...`). */
  notes: string[];
}

/** `RELEASE_NOTES.md`: images by digest per hub, the install line, the istioctl archives. */
export function formatReleaseNotes(input: ReleaseNotesInput): string {
  const out: string[] = [`# Release ${input.version}`, ''];
  for (const hub of input.hubs) {
    const images = input.images.filter((i) => i.hub === hub).sort((a, b) => a.image.localeCompare(b.image) || a.variant.localeCompare(b.variant));
    out.push(`## Images in ${hub}`, '', 'Pull by digest to get exactly these bytes; the tags point at the same digests.', '');
    out.push('| Image | Variant | Reference | Platforms | Tags |', '| --- | --- | --- | --- | --- |');
    for (const image of images) {
      out.push(`| ${image.image} | ${image.variant} | \`${image.repository}@${image.digest}\` | ${image.platforms.join(', ')} | ${image.tags.join(', ')} |`);
    }
    out.push('', 'Install it:', '', '```sh', `istioctl install --set hub=${hub} --set tag=${input.version}`, '```', '');
  }
  if (input.notes.length > 0) out.push('## Tags', '', ...input.notes.map((n) => `- ${n}`), '');
  out.push('## istioctl', '', `Built for ${ISTIOCTL_ARCHIVES.map((a) => formatPlatform(a.platform)).join(', ')}; checksums in SHA256SUMS.`, '');
  out.push('| File | SHA-256 |', '| --- | --- |', ...input.archives.map((a) => `| ${a.name} | \`${a.sha256}\` |`), '');
  return out.join('\n');
}
