/**
 * What an image weighs: the sum of its layers' compressed sizes, per platform manifest. This is
 * what a pull transfers (before sharing), unlike the few hundred bytes of the manifest itself.
 */
import type { Descriptor, ImageManifest } from '../oci/types.js';
import type { ImageStore } from './image-store.js';

/** The compressed size of the layers of the manifest `manifest` names in `store`. */
export async function compressedSize(store: ImageStore, manifest: Descriptor, signal?: AbortSignal): Promise<number> {
  const parsed = JSON.parse((await store.readManifest(manifest, signal)).toString('utf8')) as Partial<ImageManifest>;
  return sumOfLayers(parsed);
}

function sumOfLayers(manifest: Partial<ImageManifest>): number {
  return (manifest.layers ?? []).reduce((sum, layer) => sum + layer.size, 0);
}
