/**
 * Gzips the uncompressed layers of an image (index or manifest) in an OCI layout: each `tar`
 * layer becomes a `tar+gzip` blob through meshbuild's deterministic gzip (oci/gzip.ts), and each
 * manifest and index that lists one is written again, and index.json names the new root. Configs
 * are unchanged: their diff_ids name the uncompressed tars. The uncompressed blobs are removed.
 *
 * Why here and not in BuildKit: rewrite-timestamp (reproducible layers) makes BuildKit's exporter
 * decompress and gzip every layer once more; exported uncompressed, the rewrite only copies, and
 * each layer is gzipped once, here, on Node's thread pool (one bake of the sample, cold, one after
 * the other on a loaded 2-core machine: 34-35 s with BuildKit's gzip, 17 s uncompressed). The level
 * is the native builder's (LAYER_GZIP_LEVEL): at zlib's default the gzip took 4.1 s of an 11.3 s
 * run of the sample. It starts as soon as a target's export has written its blobs (`prime`), while
 * the bake goes on with the other targets, rather than after the whole bake.
 */
import { open, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { deterministicGzip, LAYER_GZIP_LEVEL } from '../oci/gzip.js';
import { OciLayout } from '../oci/layout.js';
import { isIndexMediaType, MEDIA_TYPE } from '../oci/media-types.js';
import type { Descriptor, ImageIndex, ImageManifest } from '../oci/types.js';

/** Manifests are small; a blob larger than this is a layer, not read to look for them. */
const MANIFEST_SIZE_LIMIT = 4 * 1024 * 1024;

/** The layers of one layout, gzipped early (`prime`) or when the root is known (`rewrite`). */
export class LayoutLayerGzip {
  /** Gzipped layers by the digest of the uncompressed one. */
  private readonly gzipped = new Map<string, Promise<Descriptor>>();
  private readonly blobs: OciLayout;

  constructor(
    private readonly layoutDir: string,
    private readonly signal?: AbortSignal,
  ) {
    this.blobs = OciLayout.beingWritten(layoutDir);
  }

  /**
   * Starts gzipping the uncompressed layers that the layout's manifests list, before its root is
   * known (buildx writes index.json when the whole bake ends). Never fails: a layer it could not
   * gzip is gzipped again by `rewrite`.
   */
  async prime(): Promise<void> {
    for (const digest of await this.blobs.blobDigests()) {
      // Only an early start: a blob it cannot read is left to rewrite.
      const manifest = await this.manifestAt(digest).catch(() => undefined);
      for (const layer of manifest?.layers ?? []) {
        if (layer.mediaType === MEDIA_TYPE.ociLayer && (await this.blobs.hasBlob(layer.digest))) void this.gzip(layer).catch(() => undefined);
      }
    }
  }

  /** Returns the descriptor of `root` as rewritten (the same one when it has no uncompressed layer). */
  async rewrite(root: Descriptor): Promise<Descriptor> {
    const layout = await OciLayout.open(this.layoutDir);
    const result = await this.rewriteDescriptor(layout, root);
    if (result.digest !== root.digest) await layout.replaceEntry(root.digest, result);
    for (const digest of this.gzipped.keys()) await rm(layout.blobPath(digest), { force: true });
    return result;
  }

  /** Waits for every gzip started (before the folder it writes in is removed). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.gzipped.values());
  }

  private async manifestAt(digest: string): Promise<ImageManifest | undefined> {
    // A layer is told by its size and first byte, not read (and hashed) whole.
    if (!(await mightBeJson(this.blobs.blobPath(digest)))) return undefined;
    const bytes = await this.blobs.readBlob(digest);
    const parsed = JSON.parse(bytes.toString('utf8')) as Partial<ImageManifest>;
    const isManifest = parsed.mediaType === MEDIA_TYPE.ociManifest || parsed.mediaType === MEDIA_TYPE.dockerManifest;
    return isManifest && Array.isArray(parsed.layers) ? (parsed as ImageManifest) : undefined;
  }

  private async rewriteDescriptor(layout: OciLayout, descriptor: Descriptor): Promise<Descriptor> {
    if (isIndexMediaType(descriptor.mediaType)) {
      const index = await layout.readJsonBlob<ImageIndex>(descriptor.digest);
      const manifests = await Promise.all(index.manifests.map((m) => this.rewriteDescriptor(layout, m)));
      if (manifests.every((m, i) => m.digest === index.manifests[i]!.digest)) return descriptor;
      return writeJson(layout, descriptor, { ...index, manifests });
    }
    if (descriptor.mediaType !== MEDIA_TYPE.ociManifest && descriptor.mediaType !== MEDIA_TYPE.dockerManifest) return descriptor;
    const manifest = await layout.readJsonBlob<ImageManifest>(descriptor.digest);
    if (!manifest.layers.some((l) => l.mediaType === MEDIA_TYPE.ociLayer)) return descriptor;
    const layers = await Promise.all(
      // Once more after a failure: an early start may have found a blob still being written.
      manifest.layers.map((layer) => (layer.mediaType === MEDIA_TYPE.ociLayer ? this.gzip(layer).catch(() => this.gzip(layer)) : layer)),
    );
    return writeJson(layout, descriptor, { ...manifest, layers });
  }

  /** The layer gzipped: started once per digest; a failed start is forgotten so that the next call tries again. */
  private gzip(layer: Descriptor): Promise<Descriptor> {
    let done = this.gzipped.get(layer.digest);
    if (!done) {
      done = gzipBlob(this.blobs, layer, this.signal);
      this.gzipped.set(layer.digest, done);
      done.catch(() => {
        if (this.gzipped.get(layer.digest) === done) this.gzipped.delete(layer.digest);
      });
    }
    return done;
  }
}

/** Gzips the layers of `root` in one go (no early start). */
export async function gzipLayoutLayers(layoutDir: string, root: Descriptor, signal?: AbortSignal): Promise<Descriptor> {
  return new LayoutLayerGzip(layoutDir, signal).rewrite(root);
}

async function gzipBlob(layout: OciLayout, layer: Descriptor, signal?: AbortSignal): Promise<Descriptor> {
  const sink = new PassThrough();
  const [{ digest, size }] = await Promise.all([
    layout.writeBlob(sink),
    // Checked against its digest: a blob read early must be whole, or this gzip fails and is done again.
    pipeline(await layout.openBlob(layer.digest), ...deterministicGzip(LAYER_GZIP_LEVEL), sink, { signal }),
  ]);
  return { ...layer, mediaType: MEDIA_TYPE.ociLayerGzip, digest, size };
}

/** Whether a blob is small enough to be a manifest and starts with `{`: one open, one byte read. */
async function mightBeJson(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    if ((await handle.stat()).size > MANIFEST_SIZE_LIMIT) return false;
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(1), 0, 1, 0);
    return bytesRead === 1 && buffer[0] === 0x7b; /* { */
  } finally {
    await handle.close();
  }
}

async function writeJson(layout: OciLayout, descriptor: Descriptor, value: object): Promise<Descriptor> {
  const { digest, size } = await layout.writeBlob(Buffer.from(JSON.stringify(value)));
  return { ...descriptor, digest, size };
}
