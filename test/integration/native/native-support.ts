/**
 * Helpers for the native builder's integration tests: the stack check (never a skip), reading
 * an image out of an OCI layout as comparable data (the merged file tree over all its layers,
 * read with the project's tar reader, and the config fields that matter at run time), and a
 * file-by-file difference of two such images.
 */
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import { OciLayout } from '../../../src/oci/layout.js';
import { readTar, type TarInput } from '../../../src/oci/tar-reader.js';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from '../../../src/oci/types.js';
import { requireDocker } from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';

const ENV_UP = 'run eval "$(scripts/env-up | tail -n 1)"';

/** The local registry, after checking that Docker with buildx and skopeo are there. Throws (never skips) otherwise. */
export async function requireStack(options: { docker?: boolean; skopeo?: boolean } = {}): Promise<string> {
  const registry = await localRegistry();
  if (options.docker !== false) await requireDocker();
  if (options.skopeo) {
    const skopeo = await execa('skopeo', ['--version'], { reject: false });
    if (skopeo.exitCode !== 0) throw new Error(`skopeo is not installed: ${ENV_UP} (apt-get install -y skopeo)`);
  }
  return registry;
}

/** One path of an image's merged tree: what a container would see there. */
export interface TreeNode {
  type: string;
  /** Octal permission bits, e.g. `755`. */
  mode: string;
  uid: number;
  gid: number;
  /** Symlink or hard link target; '' otherwise. */
  link: string;
  /** sha256 hex of a regular file's content; '' otherwise. */
  sha256: string;
}

/** The config fields a container runs with, and the platform. */
export interface ComparableConfig {
  Entrypoint: string[] | null;
  Cmd: string[] | null;
  Env: string[] | null;
  User: string;
  WorkingDir: string;
  Labels: Record<string, string> | null;
  ExposedPorts: string[];
  Volumes: string[];
  StopSignal: string;
  os: string;
  architecture: string;
  variant: string;
}

export interface PlatformImage {
  platform: string;
  manifest: Descriptor;
  config: ComparableConfig;
  /** Path (no leading `/`) -> node, sorted by path. */
  tree: Map<string, TreeNode>;
  layerMediaTypes: string[];
}

/**
 * Applies layers bottom up into one tree: a later entry replaces an earlier one, `.wh.NAME`
 * removes NAME (and what is under it), `.wh..wh..opq` empties its folder of lower entries.
 */
export async function mergedTree(layers: Array<{ open: () => Promise<TarInput>; what: string }>): Promise<Map<string, TreeNode>> {
  const tree = new Map<string, TreeNode>();
  const removeUnder = (prefix: string, includeSelf: boolean) => {
    for (const key of [...tree.keys()]) if ((includeSelf && key === prefix) || key.startsWith(`${prefix}/`)) tree.delete(key);
  };
  for (const layer of layers) {
    const added = new Set<string>();
    for await (const entry of readTar(await layer.open(), { what: layer.what })) {
      const slash = entry.path.lastIndexOf('/');
      const dir = slash < 0 ? '' : entry.path.slice(0, slash);
      const name = entry.path.slice(slash + 1);
      if (name === '.wh..wh..opq') {
        for (const key of [...tree.keys()]) if (key.startsWith(`${dir}/`) && !added.has(key)) tree.delete(key);
        continue;
      }
      if (name.startsWith('.wh.')) {
        removeUnder(dir === '' ? name.slice(4) : `${dir}/${name.slice(4)}`, true);
        continue;
      }
      let sha256 = '';
      if (entry.type === 'file') {
        const hash = createHash('sha256');
        for await (const chunk of entry.content()) hash.update(chunk);
        sha256 = hash.digest('hex');
      }
      if (entry.type !== 'directory') removeUnder(entry.path, false);
      tree.set(entry.path, { type: entry.type, mode: entry.mode.toString(8), uid: entry.uid, gid: entry.gid, link: entry.linkname, sha256 });
      added.add(entry.path);
    }
  }
  return new Map([...tree].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function comparableConfig(config: ImageConfig): ComparableConfig {
  const details = config.config ?? {};
  return {
    Entrypoint: details.Entrypoint ?? null,
    Cmd: details.Cmd ?? null,
    Env: details.Env ?? null,
    User: details.User ?? '',
    WorkingDir: details.WorkingDir ?? '',
    // base.digest names the base as each builder made it: its bytes (and so its digest) differ by builder.
    Labels: details.Labels ? Object.fromEntries(Object.entries(details.Labels).filter(([key]) => key !== 'org.opencontainers.image.base.digest')) : null,
    ExposedPorts: Object.keys(details.ExposedPorts ?? {}).sort(),
    Volumes: Object.keys(details.Volumes ?? {}).sort(),
    StopSignal: details.StopSignal ?? '',
    os: config.os,
    architecture: config.architecture,
    variant: config.variant ?? '',
  };
}

/** `os/arch[/variant]` of an index entry. */
export function platformOf(descriptor: Descriptor): string {
  const platform = descriptor.platform;
  return platform ? [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/') : 'unknown/unknown';
}

/** The image `ref` names in the layout at `dir`, per platform (attestation entries left out). */
export async function readLayoutImage(dir: string, ref: string): Promise<Map<string, PlatformImage>> {
  const layout = await OciLayout.open(dir);
  const root = await layout.resolveRef(ref);
  if (!root) throw new Error(`${dir} has no ref ${ref} (it has ${(await layout.listRefs()).join(', ')})`);
  const index = await layout.readJsonBlob<ImageIndex>(root.digest);
  const images = new Map<string, PlatformImage>();
  for (const descriptor of index.manifests) {
    if (platformOf(descriptor) === 'unknown/unknown') continue;
    const manifest = await layout.readJsonBlob<ImageManifest>(descriptor.digest);
    const config = await layout.readJsonBlob<ImageConfig>(manifest.config.digest);
    const tree = await mergedTree(manifest.layers.map((layer) => ({ open: () => layout.openBlob(layer.digest), what: `${ref} layer ${layer.digest}` })));
    images.set(platformOf(descriptor), {
      platform: platformOf(descriptor),
      manifest: descriptor,
      config: comparableConfig(config),
      tree,
      layerMediaTypes: manifest.layers.map((l) => l.mediaType),
    });
  }
  return images;
}

/** One line per difference between two images of one platform: config fields, then paths. */
export function differences(native: PlatformImage, buildx: PlatformImage): string[] {
  const lines: string[] = [];
  for (const key of Object.keys(native.config) as Array<keyof ComparableConfig>) {
    const a = JSON.stringify(native.config[key]);
    const b = JSON.stringify(buildx.config[key]);
    if (a !== b) lines.push(`config ${key}: native ${a}, buildx ${b}`);
  }
  for (const path of new Set([...native.tree.keys(), ...buildx.tree.keys()])) {
    const a = native.tree.get(path);
    const b = buildx.tree.get(path);
    if (JSON.stringify(a) !== JSON.stringify(b))
      lines.push(`/${path}: native ${a ? JSON.stringify(a) : 'missing'}, buildx ${b ? JSON.stringify(b) : 'missing'}`);
  }
  return lines;
}
