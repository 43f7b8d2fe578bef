import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkElfPlatform, describeElf, ELF_HEADER_SIZE, elfMatchesPlatform, readElfHeader } from '../../../src/oci/elf.js';
import { buildLayer } from '../../../src/oci/layer.js';
import { readFileFromTar } from '../../../src/oci/tar-reader.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-oci-');
const AMD64 = { os: 'linux', architecture: 'amd64' };
const ARM64 = { os: 'linux', architecture: 'arm64' };
const ARMV7 = { os: 'linux', architecture: 'arm', variant: 'v7' };

/** Real binaries from `go build`, one per architecture. */
const binaries: Record<string, string> = {};

beforeAll(async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'main.go'), 'package main\n\nfunc main() { println("hello") }\n');
  for (const [arch, extra] of [
    ['amd64', {}],
    ['arm64', {}],
    ['arm', { GOARM: '7' }],
  ] as const) {
    const out = join(dir, `hello-${arch}`);
    await execa('go', ['build', '-o', out, 'main.go'], { cwd: dir, env: { CGO_ENABLED: '0', GOOS: 'linux', GOARCH: arch, ...extra } });
    binaries[arch] = out;
  }
}, 300_000);

async function head(arch: string): Promise<Buffer> {
  return (await readFile(binaries[arch]!)).subarray(0, ELF_HEADER_SIZE);
}

describe('readElfHeader', () => {
  it('reads class, byte order and machine of Go binaries', async () => {
    expect(readElfHeader(await head('amd64'))).toMatchObject({ class: 64, endianness: 'little', machine: 62, machineName: 'x86-64', type: 2 });
    expect(readElfHeader(await head('arm64'))).toMatchObject({ class: 64, endianness: 'little', machine: 183, machineName: 'aarch64', type: 2 });
    expect(readElfHeader(await head('arm'))).toMatchObject({ class: 32, endianness: 'little', machine: 40, machineName: 'arm' });
    expect(describeElf(readElfHeader(await head('arm64'))!)).toBe('ELF 64-bit little-endian aarch64');
  });

  it('returns undefined for what is not ELF', () => {
    expect(readElfHeader(Buffer.from('#!/bin/sh\necho hi\n'))).toBeUndefined();
    expect(readElfHeader(Buffer.from([0x7f, 0x45, 0x4c]))).toBeUndefined();
    expect(readElfHeader(Buffer.alloc(0))).toBeUndefined();
  });

  it('reads big-endian headers and names unknown machines', () => {
    const s390x = Buffer.alloc(64);
    s390x.write('\x7fELF', 0, 'latin1');
    s390x[4] = 2;
    s390x[5] = 2;
    s390x.writeUInt16BE(2, 16);
    s390x.writeUInt16BE(22, 18);
    expect(readElfHeader(s390x)).toMatchObject({ class: 64, endianness: 'big', machine: 22, machineName: 's390' });
    expect(elfMatchesPlatform(s390x, { os: 'linux', architecture: 's390x' })).toBe(true);
    s390x.writeUInt16BE(9999, 18);
    expect(readElfHeader(s390x)?.machineName).toBe('unknown(9999)');
  });
});

describe('elfMatchesPlatform', () => {
  it('tells which platform each binary was built for', async () => {
    expect(elfMatchesPlatform(await head('amd64'), AMD64)).toBe(true);
    expect(elfMatchesPlatform(await head('amd64'), ARM64)).toBe(false);
    expect(elfMatchesPlatform(await head('arm64'), ARM64)).toBe(true);
    expect(elfMatchesPlatform(await head('arm64'), AMD64)).toBe(false);
    expect(elfMatchesPlatform(await head('arm'), ARMV7)).toBe(true);
    expect(elfMatchesPlatform(await head('arm'), ARM64)).toBe(false);
    expect(elfMatchesPlatform(await head('arm64'), { os: 'darwin', architecture: 'arm64' })).toBe(false);
  });

  it('says why a binary does not match', async () => {
    expect(checkElfPlatform(await head('amd64'), ARM64)).toEqual({
      ok: false,
      reason: 'ELF 64-bit little-endian x86-64, but linux/arm64 needs ELF 64-bit little-endian aarch64',
    });
    expect(checkElfPlatform(Buffer.from('text'), AMD64)).toEqual({ ok: false, reason: 'not an ELF binary' });
  });

  it('checks a binary inside a gzipped layer from its first 64 bytes', async () => {
    const dir = await tempDir();
    const layer = await buildLayer([{ type: 'file', path: '/usr/local/bin/hello', source: binaries.arm64! }], join(dir, 'layer.tgz'));
    const bytes = await readFileFromTar(await readFile(layer.path), '/usr/local/bin/hello', { maxBytes: ELF_HEADER_SIZE });
    expect(bytes?.length).toBe(ELF_HEADER_SIZE);
    expect(elfMatchesPlatform(bytes!, ARM64)).toBe(true);
    expect(elfMatchesPlatform(bytes!, AMD64)).toBe(false);
  });
});
