/**
 * Finds the binaries in an image layer that were built for another machine than the image's
 * platform: the layer streams through the tar reader once, and of each regular file only the
 * first 64 bytes (an ELF header) are looked at, so memory stays flat whatever the layer's size
 * and nothing is unpacked to disk.
 */
import { ELF_HEADER_SIZE, MIN_ELF_BYTES, readElfHeader } from '../oci/elf.js';
import { readTar, type TarInput } from '../oci/tar-reader.js';
import { ELF_MACHINE, type Platform } from '../platform.js';

/** A file whose ELF machine is not its platform's. */
export interface ForeignBinary {
  /** Absolute path in the image: `/usr/local/bin/pilot-discovery`. */
  file: string;
  /** The ELF machine it was built for: `x86-64`, `aarch64`, `arm`. */
  machine: string;
}

export interface LayerScan {
  /** ELF files seen in the layer. */
  binaries: number;
  foreign: ForeignBinary[];
}

export interface LayerScanOptions {
  /** Named in errors about unreadable layers, e.g. the layer digest. */
  what?: string;
  signal?: AbortSignal;
}

/** Whether meshbuild knows which ELF machine `platform`'s binaries carry (Linux amd64, arm64, arm, ...). */
export function canCheckElf(platform: Platform): boolean {
  return platform.os === 'linux' && ELF_MACHINE[platform.architecture] !== undefined;
}

/**
 * Scans one layer (gzipped or not) for ELF files whose e_machine is not that of `platform`.
 * Callers check {@link canCheckElf} first; for other platforms nothing is reported foreign.
 */
export async function scanLayerForForeignBinaries(layer: TarInput, platform: Platform, options: LayerScanOptions = {}): Promise<LayerScan> {
  const expected = ELF_MACHINE[platform.architecture];
  const scan: LayerScan = { binaries: 0, foreign: [] };
  for await (const entry of readTar(layer, { what: options.what ?? 'layer' })) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (entry.type !== 'file' || entry.size < MIN_ELF_BYTES) continue;
    const header = readElfHeader(await entry.buffer(ELF_HEADER_SIZE));
    if (header === undefined) continue;
    scan.binaries++;
    if (expected !== undefined && platform.os === 'linux' && header.machine !== expected.code) {
      scan.foreign.push({ file: `/${entry.path}`, machine: header.machineName });
    }
  }
  return scan;
}
