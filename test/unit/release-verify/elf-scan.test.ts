import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createTarStream, type TarInputEntry } from '../../../src/oci/tar-writer.js';
import { parsePlatformList, type Platform } from '../../../src/platform.js';
import { canCheckElf, scanLayerForForeignBinaries } from '../../../src/release/elf-scan.js';

/** The first bytes of a Linux ELF file for `machine` (62 x86-64, 183 aarch64, 40 arm), padded with `rest` bytes. */
function elf(machine: number, bits: 32 | 64 = 64, rest = 4096): Buffer {
  const bytes = Buffer.alloc(64 + rest, 0xab);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, bits === 64 ? 2 : 1, 1, 1, 0], 0);
  bytes.fill(0, 8, 16);
  bytes.writeUInt16LE(2, 16);
  bytes.writeUInt16LE(machine, 18);
  return bytes;
}

const [AMD64, ARM64, ARM] = parsePlatformList('amd64,arm64,linux/arm/v7') as [Platform, Platform, Platform];

const layerEntries: TarInputEntry[] = [
  { type: 'file', path: 'usr/local/bin/pilot-discovery', content: elf(183), executable: true },
  { type: 'file', path: 'usr/local/bin/helper', content: elf(62), executable: true },
  { type: 'file', path: 'usr/lib/libold.so', content: elf(40, 32) },
  { type: 'file', path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' },
  { type: 'file', path: 'tiny', content: Buffer.from([0x7f, 0x45, 0x4c, 0x46]) },
  { type: 'symlink', path: 'usr/bin/pilot', target: '/usr/local/bin/pilot-discovery' },
  { type: 'directory', path: 'var/lib/istio' },
];

async function gzipped(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const gzip = createGzip();
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  await pipeline(stream, gzip);
  return Buffer.concat(chunks);
}

describe('scanLayerForForeignBinaries', () => {
  it('names every ELF file whose machine is not the platform, with its path and machine', async () => {
    const scan = await scanLayerForForeignBinaries(createTarStream(layerEntries), ARM64);
    expect(scan.binaries).toBe(3);
    expect(scan.foreign).toEqual([
      { file: '/usr/lib/libold.so', machine: 'arm' },
      { file: '/usr/local/bin/helper', machine: 'x86-64' },
    ]);
  });

  it('reads gzipped layers the same way', async () => {
    const scan = await scanLayerForForeignBinaries(Readable.from([await gzipped(createTarStream(layerEntries))]), AMD64);
    expect(scan.foreign.map((f) => `${f.file} ${f.machine}`)).toEqual(['/usr/lib/libold.so arm', '/usr/local/bin/pilot-discovery aarch64']);
  });

  it('passes a layer whose binaries all match, and skips large file bodies without reading them into memory', async () => {
    const big = elf(40, 32, 32 * 1024 * 1024);
    const scan = await scanLayerForForeignBinaries(createTarStream([{ type: 'file', path: 'bin/envoy', content: big, executable: true }]), ARM);
    expect(scan).toEqual({ binaries: 1, foreign: [] });
  });

  it('ignores files that are not ELF, however they start', async () => {
    const scan = await scanLayerForForeignBinaries(
      createTarStream([{ type: 'file', path: 'script.sh', content: '#!/bin/sh\necho hi there, this is not a binary\n' }]),
      AMD64,
    );
    expect(scan).toEqual({ binaries: 0, foreign: [] });
  });

  it('fails with a step error naming the layer when the archive is cut short', async () => {
    const bytes = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      createTarStream(layerEntries)
        .on('data', (c: Buffer) => chunks.push(c))
        .on('end', () => resolve(Buffer.concat(chunks)))
        .on('error', reject);
    });
    await expect(scanLayerForForeignBinaries(bytes.subarray(0, 700), AMD64, { what: 'layer sha256:abc' })).rejects.toThrow(/layer sha256:abc/);
  });

  it('knows which platforms it can check', () => {
    expect(canCheckElf(AMD64)).toBe(true);
    expect(canCheckElf(ARM)).toBe(true);
    expect(canCheckElf({ os: 'windows', architecture: 'amd64' })).toBe(false);
  });
});
