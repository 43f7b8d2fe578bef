/** Pulls one file out of a (gzipped) tar download, streaming it to `destination`. */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readTar, type TarInput } from '../oci/tar-reader.js';

export async function extractTarMember(archive: TarInput, member: string, destination: string): Promise<void> {
  const wanted = member.replace(/^\.?\//, '');
  for await (const entry of readTar(archive, { what: 'the download' })) {
    if (entry.path === wanted && entry.type === 'file') {
      await pipeline(Readable.from(entry.content()), createWriteStream(destination));
      return;
    }
  }
  throw new Error(`the archive holds no file ${wanted}`);
}
