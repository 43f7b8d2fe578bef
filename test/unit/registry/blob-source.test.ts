import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DigestVerifier, sliceStream } from '../../../src/registry/blob-source.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
const chunked = (bytes: Buffer, size: number): Readable =>
  Readable.from(
    Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)),
    { objectMode: false },
  );

describe('DigestVerifier', () => {
  const bytes = Buffer.from('0123456789'.repeat(1000));

  it('passes matching bytes through unchanged', async () => {
    expect((await drain(chunked(bytes, 333).pipe(new DigestVerifier({ digest: sha(bytes), size: bytes.length })))).equals(bytes)).toBe(true);
  });

  it('fails before the last byte leaves when the digest or size is wrong', async () => {
    const wrong = new DigestVerifier({ digest: sha(Buffer.from('x')), size: bytes.length });
    const out: Buffer[] = [];
    wrong.on('data', (c: Buffer) => out.push(c));
    chunked(bytes, 1000).pipe(wrong);
    await expect(new Promise((resolve, reject) => wrong.on('end', resolve).on('error', reject))).rejects.toThrow(/does not match its digest/);
    expect(Buffer.concat(out).length).toBeLessThan(bytes.length);
    await expect(drain(chunked(bytes, 1000).pipe(new DigestVerifier({ digest: sha(bytes), size: bytes.length - 1 })))).rejects.toThrow(/too long/);
    await expect(drain(chunked(bytes, 1000).pipe(new DigestVerifier({ digest: sha(bytes), size: bytes.length + 1 })))).rejects.toThrow(/does not match/);
  });
});

describe('sliceStream', () => {
  it('takes exactly the bytes asked for, across chunk borders', async () => {
    const bytes = Buffer.from('abcdefghijklmnopqrstuvwxyz');
    expect((await drain(sliceStream(chunked(bytes, 4), 10))).toString()).toBe('abcdefghij');
    expect((await drain(sliceStream(chunked(bytes, 4), 26))).toString()).toBe('abcdefghijklmnopqrstuvwxyz');
    await expect(drain(sliceStream(chunked(bytes, 4), 30))).rejects.toThrow(/ended 4 bytes early/);
  });
});
