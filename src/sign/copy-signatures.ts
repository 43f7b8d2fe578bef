/**
 * Mirroring keeps an image verifiable: the `.sig` and `.att` manifests of its index and of every
 * manifest it lists are copied with it (digests unchanged, so every signature still holds), and
 * their tags go to the caller's tag phase with the image's own.
 */
import type { Descriptor, ImageIndex } from '../oci/types.js';
import { copyImage } from '../publish/copy-image.js';
import type { ImageStore } from '../publish/image-store.js';
import type { TagWrite } from '../publish/tag-phase.js';
import { cosignTag, type CosignKind } from './cosign-layout.js';

export interface CopiedSignatures {
  /** `.sig` manifests copied (one per signed manifest). */
  signatures: number;
  /** `.att` manifests copied. */
  attestations: number;
  tags: TagWrite[];
}

/** Copies what cosign stored for `root` and its children from `from` to `to`; nothing when unsigned. */
export async function copySignatures(from: ImageStore, to: ImageStore, root: Descriptor, signal?: AbortSignal): Promise<CopiedSignatures> {
  const document = JSON.parse((await from.readManifest(root, signal)).toString('utf8')) as Partial<ImageIndex>;
  const digests = [root.digest, ...(document.manifests ?? []).map((m) => m.digest)];
  const copied: CopiedSignatures = { signatures: 0, attestations: 0, tags: [] };
  for (const digest of digests) {
    for (const kind of ['sig', 'att'] as CosignKind[]) {
      const tag = cosignTag(digest, kind);
      const descriptor = await from.resolveTag(tag, signal);
      if (descriptor === undefined) continue;
      await copyImage(from, to, descriptor, signal ? { signal } : {});
      copied.tags.push({ store: to, tag, index: descriptor, bytes: await from.readManifest(descriptor, signal) });
      if (kind === 'sig') copied.signatures++;
      else copied.attestations++;
    }
  }
  return copied;
}
