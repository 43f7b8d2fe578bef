/**
 * The native image builder: assembles images for Dockerfiles that only copy files onto a base,
 * with no daemon and no emulation. Per platform it takes the base's manifest and config (never
 * unpacking its layers: their blobs are linked or streamed as they are), adds one deterministic
 * layer per COPY/ADD and WORKDIR, and writes the config, manifests and index into an OCI layout,
 * the same shape buildx produces, so everything downstream is shared.
 */
import { readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { stepError } from '../../errors.js';
import { LAYER_GZIP_LEVEL } from '../../oci/gzip.js';
import { buildLayer, type LayerCompression } from '../../oci/layer.js';
import { encodeImageConfig, encodeImageIndex, encodeImageManifest } from '../../oci/manifest.js';
import type { TarInputEntry } from '../../oci/tar-writer.js';
import type { Descriptor, HistoryEntry, ImageConfig, ImageConfigDetails, ImageManifest } from '../../oci/types.js';
import { formatPlatform, type Platform } from '../../platform.js';
import { OWN_LABELS, rfc3339, withBaseDigest } from '../../plan/image-metadata.js';
import type { ImageBuildJob } from '../../plan/types.js';
import { LayoutStore } from '../../publish/layout-store.js';
import type { ImageStore } from '../../publish/image-store.js';
import { makeTempDir, moveIntoPlace } from '../../run/atomic-files.js';
import type { JobContext } from '../../run/scheduler.js';
import type { BuiltImage } from '../built-image.js';
import { parseDockerfile } from '../dockerfile.js';
import { DEFAULT_LINUX_PATH, interpretDockerfile, type BuildProgram, type BuildStep } from './build-steps.js';
import { copyEntries, normal, withParents } from './copy-entries.js';
import { ImagePaths, listLayer, type LayerListing } from './image-paths.js';
import { pickPlatformManifest } from './platform-manifest.js';

const DEFAULT_PATH = `PATH=${DEFAULT_LINUX_PATH}`;

export interface NativeOptions {
  outDir: string;
  /** Layer mtimes and the config's `created` (the plan's `sourceDateEpoch`). Default 0. */
  sourceDateEpoch?: number;
  /** `none` for registries on loopback (compressing costs more than sending). Default gzip. */
  compression: LayerCompression;
  /** Resolves a `FROM <reference>` that is not an image of the graph (a registry image). */
  openExternalBase(reference: string): Promise<{ store: ImageStore; index: Descriptor }>;
}

/** An image being assembled for one platform: base layers first. */
interface ImageState {
  layers: Array<{ descriptor: Descriptor; diffId: string; from: ImageStore }>;
  config: ImageConfigDetails;
  history: HistoryEntry[];
  /** The image's paths as its layers leave them (base layers listed, never unpacked). */
  paths: ImagePaths;
  cmdFromBase: boolean;
  /** The index (or manifest) digest of the image the stage starts from; none for scratch. */
  baseDigest?: string;
}

export async function buildNative(
  job: ImageBuildJob,
  contextDir: string,
  bases: BuiltImage[],
  context: JobContext,
  options: NativeOptions,
): Promise<BuiltImage> {
  const dockerfile = parseDockerfile(await readFile(job.dockerfile, 'utf8'), path.relative(process.cwd(), job.dockerfile));
  const temp = await makeTempDir(options.outDir, `native-${job.image}`);
  try {
    const layoutDir = path.join(temp, 'layout');
    const layout = await LayoutStore.at(layoutDir);
    const buildPlatform: Platform = { os: 'linux', architecture: process.arch === 'arm64' ? 'arm64' : 'amd64' };
    const assemble = async (platform: Platform): Promise<{ manifest: Descriptor; baseDigest?: string }> => {
      if (context.signal.aborted) throw context.signal.reason;
      // FROM lines do not depend on base images, so a first reading finds the bases the target
      // needs; the second expands ENV against their Env (`ENV PATH=$PATH:/x`), as BuildKit does.
      const inputs: StageInputs = { job, contextDir, bases, options, layout, temp, baseStates: new Map() };
      const outline = interpretDockerfile(dockerfile, job.buildArgs, platform, buildPlatform);
      for (const name of baseImagesOf(outline, outline.target)) inputs.baseStates.set(name, await baseImageState(name, platform, inputs));
      const program = interpretDockerfile(dockerfile, job.buildArgs, platform, buildPlatform, (name) => inputs.baseStates.get(name)?.config.Env);
      const state = await buildStage(program, program.target, platform, inputs);
      const manifest = await writeImage(state, platform, layout, job, options);
      context.progress(`assembled ${formatPlatform(platform)}`);
      return { manifest, ...(state.baseDigest ? { baseDigest: state.baseDigest } : {}) };
    };
    // Platforms are assembled side by side (they share only content-addressed blobs); all are
    // waited for before the temp folder goes, and the first failure in platform order is reported.
    const settled = await Promise.allSettled(job.platforms.map(assemble));
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) throw failure.reason;
    const assembled = settled.map((s) => (s as PromiseFulfilledResult<{ manifest: Descriptor; baseDigest?: string }>).value);
    const manifests = assembled.map((a) => a.manifest);
    const index = encodeImageIndex({ manifests, annotations: withBaseDigest(job.metadata, assembled[0]?.baseDigest).indexAnnotations });
    await layout.putManifest(index.descriptor, index.bytes);
    const finalDir = path.join(options.outDir, 'build', job.id.replace(/[^a-zA-Z0-9._-]/g, '_'));
    await moveIntoPlace(layoutDir, finalDir);
    return {
      image: job.image,
      jobId: job.id,
      layoutDir: finalDir,
      index: index.descriptor,
      platforms: manifests.map((m) => ({ platform: [m.platform!.os, m.platform!.architecture, m.platform!.variant].filter(Boolean).join('/'), descriptor: m })),
      namedContext: `oci-layout://${finalDir}@${index.descriptor.digest}`,
      storedIn: [],
    };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

interface StageInputs {
  job: ImageBuildJob;
  contextDir: string;
  bases: BuiltImage[];
  options: NativeOptions;
  layout: LayoutStore;
  temp: string;
  /** Base images the target stage builds on, by name in FROM, read once per platform. */
  baseStates: Map<string, ImageState>;
}

/** Names of the base images (not stages, not scratch) that stage `index` builds on. */
function baseImagesOf(program: BuildProgram, index: number): string[] {
  const base = program.stages[index]!.base;
  if (base.kind === 'stage') return baseImagesOf(program, base.index);
  return base.kind === 'image' ? [base.name] : [];
}

async function buildStage(program: BuildProgram, index: number, platform: Platform, inputs: StageInputs): Promise<ImageState> {
  const stage = program.stages[index]!;
  let state: ImageState;
  switch (stage.base.kind) {
    case 'scratch':
      // BuildKit's empty image: working directory / (and the default PATH, added below).
      state = { layers: [], config: { WorkingDir: '/' }, history: [], paths: ImagePaths.empty(), cmdFromBase: false };
      break;
    case 'stage': {
      const base = await buildStage(program, stage.base.index, platform, inputs);
      state = { ...base, layers: [...base.layers], history: [...base.history], paths: base.paths.clone(), config: { ...base.config } };
      break;
    }
    case 'image': {
      const base = inputs.baseStates.get(stage.base.name) ?? (await baseImageState(stage.base.name, platform, inputs));
      state = { ...base, layers: [...base.layers], history: [...base.history], paths: base.paths.clone(), config: { ...base.config } };
      break;
    }
  }
  if (!(state.config.Env ?? []).some((e) => e.startsWith('PATH='))) state.config.Env = [DEFAULT_PATH, ...(state.config.Env ?? [])];
  for (const step of stage.steps) await applyStep(step, state, inputs);
  return state;
}

/** A base image of the graph (by its named context) or from a registry: its platform's manifest and config. */
async function baseImageState(name: string, platform: Platform, inputs: StageInputs): Promise<ImageState> {
  // `FROM base` by its name in the graph, or by the reference it stands for (`standsFor`).
  const inGraph = inputs.job.bases.find((b) => b.name === name) ?? inputs.job.bases.find((b) => b.reference === name);
  let store: ImageStore;
  let root: Descriptor;
  if (inGraph) {
    const built = inputs.bases.find((b) => b.jobId === inGraph.jobId)!;
    store = await LayoutStore.at(built.layoutDir, false);
    root = built.index;
  } else {
    ({ store, index: root } = await inputs.options.openExternalBase(name));
  }
  const manifestDescriptor = await pickPlatformManifest(store, root, platform, name);
  const manifest = JSON.parse((await store.readManifest(manifestDescriptor)).toString('utf8')) as ImageManifest;
  const config = JSON.parse((await readAll(await store.openBlob(manifest.config))).toString('utf8')) as ImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length)
    throw stepError(`base image ${name} (${formatPlatform(platform)}) has ${manifest.layers.length} layers but ${diffIds.length} diff_ids`);
  const paths = ImagePaths.empty();
  for (const layer of manifest.layers) paths.applyListing(await listLayer(layer.digest, () => store.openBlob(layer)));
  return {
    layers: manifest.layers.map((descriptor, i) => ({ descriptor, diffId: diffIds[i]!, from: store })),
    config: withoutOwnLabels(config.config ?? {}),
    history: [...(config.history ?? [])],
    paths,
    cmdFromBase: (config.config?.Cmd ?? null) !== null,
    baseDigest: root.digest,
  };
}

async function applyStep(step: BuildStep, state: ImageState, inputs: StageInputs): Promise<void> {
  const config = state.config;
  const note = (created_by: string, empty = true) => state.history.push({ created_by, comment: 'meshbuild', ...(empty ? { empty_layer: true } : {}) });
  switch (step.kind) {
    case 'copy': {
      const entries = await copyEntries(step, config.WorkingDir ?? '/', state.paths, {
        contextDir: inputs.contextDir,
        dockerfile: path.relative(process.cwd(), inputs.job.dockerfile),
        image: inputs.job.image,
        mtime: inputs.options.sourceDateEpoch ?? 0,
      });
      await addLayer(state, withParents(entries, state.paths, step.chown ?? { uid: 0, gid: 0 }, inputs.options.sourceDateEpoch ?? 0), inputs);
      note(step.text, false);
      return;
    }
    case 'workdir': {
      const dir = path.posix.resolve(config.WorkingDir ?? '/', step.path);
      config.WorkingDir = dir;
      const target = state.paths.resolve(dir, true);
      if (target !== '' && state.paths.get(target)?.type !== 'directory') {
        // As BuildKit's WORKDIR: the folders it creates belong to the USER at that point.
        const owner = config.User ? state.paths.resolveUser(config.User) : { uid: 0, gid: 0 };
        const mtime = inputs.options.sourceDateEpoch ?? 0;
        await addLayer(state, withParents([{ type: 'directory', path: target, mode: 0o755, ...owner, mtime }], state.paths, owner, mtime), inputs);
        note(`WORKDIR ${step.path}`, false);
      } else {
        note(`WORKDIR ${step.path}`);
      }
      return;
    }
    case 'env': {
      const env = [...(config.Env ?? [])];
      for (const [key, value] of step.values) {
        const at = env.findIndex((e) => e.startsWith(`${key}=`));
        if (at >= 0) env[at] = `${key}=${value}`;
        else env.push(`${key}=${value}`);
      }
      config.Env = env;
      note(`ENV ${step.values.map(([k, v]) => `${k}=${v}`).join(' ')}`);
      return;
    }
    case 'label':
      config.Labels = { ...(config.Labels ?? {}), ...Object.fromEntries(step.values) };
      note(`LABEL ${step.values.map(([k, v]) => `${k}=${v}`).join(' ')}`);
      return;
    case 'user':
      config.User = step.value;
      note(`USER ${step.value}`);
      return;
    case 'entrypoint':
      config.Entrypoint = step.value;
      // As Docker does: a new ENTRYPOINT drops the CMD inherited from the base.
      if (state.cmdFromBase) config.Cmd = null;
      note(`ENTRYPOINT ${JSON.stringify(step.value)}`);
      return;
    case 'cmd':
      config.Cmd = step.value;
      state.cmdFromBase = false;
      note(`CMD ${JSON.stringify(step.value)}`);
      return;
    case 'expose':
      config.ExposedPorts = { ...(config.ExposedPorts ?? {}), ...Object.fromEntries(step.ports.map((p) => [p, {}])) };
      note(`EXPOSE ${step.ports.join(' ')}`);
      return;
    case 'volume':
      config.Volumes = { ...(config.Volumes ?? {}), ...Object.fromEntries(step.paths.map((p) => [p, {}])) };
      note(`VOLUME ${JSON.stringify(step.paths)}`);
      return;
    case 'stopsignal':
      config.StopSignal = step.value;
      note(`STOPSIGNAL ${step.value}`);
      return;
  }
}

async function addLayer(state: ImageState, entries: TarInputEntry[], inputs: StageInputs): Promise<void> {
  const file = path.join(inputs.temp, `layer-${state.layers.length}-${Math.random().toString(36).slice(2)}`);
  const layer = await buildLayer(entries, file, {
    compression: inputs.options.compression,
    mtime: inputs.options.sourceDateEpoch ?? 0,
    gzipLevel: LAYER_GZIP_LEVEL,
  });
  // The layer was digested as it was written, in the layout's file system: moved in, not copied.
  const layout = inputs.layout.layout;
  if (await layout.hasBlob(layer.descriptor.digest)) await rm(layer.path, { force: true });
  else await rename(layer.path, layout.blobPath(layer.descriptor.digest));
  state.layers.push({ descriptor: layer.descriptor, diffId: layer.diffId, from: inputs.layout });
  const listing: LayerListing = { paths: new Map(), removed: [], opaque: [], accounts: new Map() };
  for (const entry of entries) {
    const at = normal(entry.path);
    const mode = entry.mode ?? (entry.type === 'directory' ? 0o755 : entry.type === 'symlink' ? 0o777 : 0o644);
    listing.paths.set(at, { type: entry.type, mode, uid: entry.uid ?? 0, gid: entry.gid ?? 0, linkname: entry.type === 'symlink' ? entry.target : '' });
    if (entry.type === 'file' && (at === 'etc/passwd' || at === 'etc/group'))
      listing.accounts.set(at, 'source' in entry ? await readFile(entry.source, 'utf8') : entry.content.toString());
  }
  state.paths.applyListing(listing);
}

/** A base's config without the labels that describe the base itself (its title, description, version...). */
function withoutOwnLabels(config: ImageConfigDetails): ImageConfigDetails {
  if (!config.Labels) return { ...config };
  const labels = Object.fromEntries(Object.entries(config.Labels).filter(([key]) => !OWN_LABELS.includes(key)));
  return { ...config, Labels: labels };
}

async function writeImage(state: ImageState, platform: Platform, layout: LayoutStore, job: ImageBuildJob, options: NativeOptions): Promise<Descriptor> {
  // Base layers are referenced, not rebuilt: their blobs are copied as they are into this layout.
  for (const layer of state.layers) {
    if (layer.from !== layout) await layout.putBlob(layer.descriptor, () => layer.from.openBlob(layer.descriptor, undefined, { verify: false }));
  }
  const metadata = withBaseDigest(job.metadata, state.baseDigest);
  // As buildx's --label: over the Dockerfile's own LABELs.
  const labels = { ...(state.config.Labels ?? {}), ...metadata.labels };
  const config = encodeImageConfig({
    platform: { os: platform.os, architecture: platform.architecture, ...(platform.variant ? { variant: platform.variant } : {}) },
    diffIds: state.layers.map((l) => l.diffId),
    config: { ...state.config, ...(Object.keys(labels).length > 0 ? { Labels: labels } : {}) },
    history: state.history,
    created: rfc3339(options.sourceDateEpoch ?? 0),
  });
  await layout.layout.writeBlob(config.bytes, { digest: config.descriptor.digest });
  const manifest = encodeImageManifest({
    config: config.descriptor,
    layers: state.layers.map((l) => l.descriptor),
    annotations: metadata.manifestAnnotations,
    platform: { architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}) },
  });
  await layout.putManifest(manifest.descriptor, manifest.bytes);
  return manifest.descriptor;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
