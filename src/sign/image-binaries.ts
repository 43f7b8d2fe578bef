/**
 * The Go binaries an image's filesystem holds: its layers are read in order (later files replace
 * earlier ones, whiteouts remove them), each ELF file in full, and of each its digest and embedded
 * Go build information. Non-ELF files are skipped after their first bytes.
 */
import { stepError } from '../errors.js';
import { sha256Digest } from '../oci/digest.js';
import { MIN_ELF_BYTES, readElfHeader } from '../oci/elf.js';
import { readTar } from '../oci/tar-reader.js';
import type { ImageManifest } from '../oci/types.js';
import type { ImageStore } from '../publish/image-store.js';
import { readGoBuildInfo } from './go-build-info.js';
import type { ImageBinary } from './spdx-sbom.js';

/** Bytes an ELF file may have to be read for its build information; larger ones are refused. */
const MAX_BINARY_BYTES = 1024 * 1024 * 1024;

/** Every Go binary in the image of `manifest`, by path. */
export async function goBinariesInImage(store: ImageStore, manifest: ImageManifest, signal?: AbortSignal): Promise<ImageBinary[]> {
  const files = new Map<string, ImageBinary>();
  for (const layer of manifest.layers) {
    if (/zstd/.test(layer.mediaType)) throw stepError(`layer ${layer.digest} in ${store.name} is zstd-compressed: its binaries cannot be read`);
    if (layer.urls !== undefined && layer.urls.length > 0) continue; // non-distributable: not in this registry
    const stream = await store.openBlob(layer, signal);
    try {
      for await (const entry of readTar(stream, { what: `layer ${layer.digest} of ${store.name}` })) {
        if (signal?.aborted) throw signal.reason;
        const file = `/${entry.path}`;
        const name = file.slice(file.lastIndexOf('/') + 1);
        if (name === '.wh..wh..opq') {
          removeUnder(files, file.slice(0, file.lastIndexOf('/')));
          continue;
        }
        if (name.startsWith('.wh.')) {
          const removed = `${file.slice(0, file.lastIndexOf('/') + 1)}${name.slice(4)}`;
          files.delete(removed);
          removeUnder(files, removed);
          continue;
        }
        files.delete(file);
        if (entry.type !== 'file' || entry.size < MIN_ELF_BYTES) continue;
        const binary = await readGoBinary(entry.content(), entry.size, file);
        if (binary) files.set(file, binary);
      }
    } finally {
      stream.destroy();
    }
  }
  return [...files.values()].sort((a, b) => a.file.localeCompare(b.file));
}

function removeUnder(files: Map<string, ImageBinary>, dir: string): void {
  for (const path of files.keys()) if (path.startsWith(`${dir}/`)) files.delete(path);
}

async function readGoBinary(content: AsyncIterable<Buffer>, size: number, file: string): Promise<ImageBinary | undefined> {
  const chunks: Buffer[] = [];
  let read = 0;
  let isElf = false;
  for await (const chunk of content) {
    chunks.push(chunk);
    read += chunk.length;
    if (!isElf && read >= MIN_ELF_BYTES) {
      if (readElfHeader(Buffer.concat(chunks)) === undefined) return undefined;
      isElf = true;
    }
    if (read > MAX_BINARY_BYTES) throw stepError(`${file} is an ELF file larger than 1 GiB: its build information was not read`);
  }
  const bytes = Buffer.concat(chunks, read);
  if (bytes.length !== size) return undefined;
  const info = readGoBuildInfo(bytes);
  if (info === undefined) return undefined;
  return { file, digest: sha256Digest(bytes), info };
}
