/** Temp folders for the oci tests, removed after each test file. */
import { useTempDirs as sharedTempDirs } from '../../support/temp-dirs.js';

/** Temp folders for the oci tests. */
export const useTempDirs = (prefix = 'meshbuild-oci-') => sharedTempDirs(prefix);

/** Collects a stream or async iterable of chunks into one Buffer. */
export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}
