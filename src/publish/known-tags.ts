/**
 * Tags seen naming an index earlier in the same run (an up-to-date image's check of its registry),
 * so the publish step and the tag phase need not ask again: a no-op push costs one request per
 * image, hub and tag. Only "names exactly this index" is remembered; anything else is read afresh.
 */
import type { Descriptor } from '../oci/types.js';
import type { ImageStore } from './image-store.js';

export class KnownTags {
  private readonly named = new Map<string, string>();

  /** Reads each tag in `store`; true when every one names `index`. Stops at the first that does not. */
  async confirm(store: ImageStore, tags: readonly string[], index: Descriptor, signal?: AbortSignal): Promise<boolean> {
    if (tags.length === 0) return false;
    for (const tag of tags) {
      const now = await store.resolveTag(tag, signal);
      if (now?.digest !== index.digest) return false;
      this.named.set(`${store.name}:${tag}`, index.digest);
    }
    return true;
  }

  /** Whether `tag` in `store` was seen naming `digest` in this run. */
  names(store: ImageStore, tag: string, digest: string): boolean {
    return this.named.get(`${store.name}:${tag}`) === digest;
  }
}
