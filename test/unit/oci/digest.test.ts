import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { MeshbuildError } from '../../../src/errors.js';
import { DigestingStream, isDigest, parseDigest, sha256Digest, sha256File } from '../../../src/oci/digest.js';
import { collect, useTempDirs } from './temp-dir.js';

const tempDir = useTempDirs();
const EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ABC = 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('sha256Digest', () => {
  it('digests buffers and UTF-8 strings', () => {
    expect(sha256Digest(Buffer.alloc(0))).toBe(EMPTY);
    expect(sha256Digest('abc')).toBe(ABC);
    expect(sha256Digest(new Uint8Array([0x61, 0x62, 0x63]))).toBe(ABC);
  });
});

describe('sha256File', () => {
  it('streams a file and reports its size', async () => {
    const file = join(await tempDir(), 'f');
    await writeFile(file, 'abc');
    expect(await sha256File(file)).toEqual({ digest: ABC, size: 3 });
  });
});

describe('DigestingStream', () => {
  it('passes data through while hashing and counting it', async () => {
    const counter = new DigestingStream();
    const out = await collect(Readable.from([Buffer.from('a'), Buffer.from('bc')]).pipe(counter));
    expect(out.toString()).toBe('abc');
    expect(counter.size).toBe(3);
    expect(counter.digest()).toBe(ABC);
  });

  it('fails at the end when the content does not have the expected digest', async () => {
    const counter = new DigestingStream({ expected: EMPTY, what: 'blob x' });
    const error = await pipeline(Readable.from([Buffer.from('abc')]), counter, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) void chunk;
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeshbuildError);
    expect(String(error)).toContain(`blob x has digest ${ABC}, expected ${EMPTY}`);
  });

  it('refuses to tell a digest before the end', () => {
    expect(() => new DigestingStream().digest()).toThrow(/Internal error/);
  });
});

describe('parseDigest', () => {
  it('accepts sha256 with 64 lowercase hex characters', () => {
    expect(parseDigest(ABC)).toEqual({ algorithm: 'sha256', hex: ABC.slice(7) });
    expect(isDigest(ABC)).toBe(true);
  });

  it('refuses anything else with a usage error', () => {
    for (const bad of ['', 'abc', ABC.slice(7), ABC.toUpperCase(), `${ABC}0`, `sha512:${ABC.slice(7)}`, `sha256:${'g'.repeat(64)}`]) {
      expect(isDigest(bad)).toBe(false);
      expect(() => parseDigest(bad, '--from digest')).toThrow(MeshbuildError);
    }
    expect(() => parseDigest('sha256:abc', '--from digest')).toThrow(/--from digest "sha256:abc" is not a sha256 digest/);
  });
});
