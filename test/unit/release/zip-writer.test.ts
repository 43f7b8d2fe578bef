/**
 * The zip writer, read back with offsets from the zip specification (APPNOTE 4.3): headers,
 * DOS time, Unix mode, CRC-32 and deflated data that inflates to the input; same input, same bytes.
 */
import { randomBytes } from 'node:crypto';
import { crc32, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MeshbuildError } from '../../../src/errors.js';
import { encodeZip } from '../../../src/release/zip-writer.js';

interface CentralEntry {
  name: string;
  versionMadeBy: number;
  method: number;
  time: number;
  date: number;
  crc: number;
  compressedSize: number;
  size: number;
  externalAttributes: number;
  localOffset: number;
}

/** Reads the end record and the central directory, and each entry's data through its local header. */
function readZip(zip: Buffer): Array<CentralEntry & { data: Buffer }> {
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end)).toBe(0x06054b50);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  expect(at + zip.readUInt32LE(end + 12)).toBe(end);
  const entries: Array<CentralEntry & { data: Buffer }> = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const nameLength = zip.readUInt16LE(at + 28);
    const entry: CentralEntry = {
      versionMadeBy: zip.readUInt16LE(at + 4),
      method: zip.readUInt16LE(at + 10),
      time: zip.readUInt16LE(at + 12),
      date: zip.readUInt16LE(at + 14),
      crc: zip.readUInt32LE(at + 16),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      externalAttributes: zip.readUInt32LE(at + 38),
      localOffset: zip.readUInt32LE(at + 42),
      name: zip.subarray(at + 46, at + 46 + nameLength).toString('utf8'),
    };
    expect(zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32), 'no extra field, no comment').toBe(0);
    const local = entry.localOffset;
    expect(zip.readUInt32LE(local)).toBe(0x04034b50);
    expect(zip.readUInt32LE(local + 14), 'local CRC matches').toBe(entry.crc);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    expect(zip.subarray(local + 30, local + 30 + nameLength).toString('utf8')).toBe(entry.name);
    entries.push({ ...entry, data: inflateRawSync(zip.subarray(dataStart, dataStart + entry.compressedSize)) });
    at += 46 + nameLength;
  }
  return entries;
}

describe('encodeZip', () => {
  const binary = Buffer.concat([Buffer.from('MZ'), randomBytes(200_000), Buffer.alloc(100_000)]);

  it('holds each file deflated, with its CRC, size, Unix mode and the DOS epoch', () => {
    const [entry, ...rest] = readZip(encodeZip([{ name: 'istioctl.exe', data: binary, mode: 0o755 }]));
    expect(rest).toEqual([]);
    expect(entry!.name).toBe('istioctl.exe');
    expect(entry!.data.equals(binary)).toBe(true);
    expect(entry!.crc).toBe(crc32(binary));
    expect(entry!.size).toBe(binary.length);
    expect(entry!.compressedSize).toBeLessThan(binary.length);
    expect(entry!.method).toBe(8);
    expect(entry!.versionMadeBy >> 8, 'made by Unix').toBe(3);
    expect(entry!.externalAttributes >>> 16).toBe(0o100755);
    expect([entry!.date, entry!.time], '1980-01-01 00:00').toEqual([(1 << 5) | 1, 0]);
  });

  it('gives the same bytes for the same entries, in any order', () => {
    const a = { name: 'a.txt', data: Buffer.from('alpha\n') };
    const b = { name: 'bin/b', data: binary, mode: 0o755 };
    const first = encodeZip([a, b]);
    expect(encodeZip([b, a]).equals(first)).toBe(true);
    expect(readZip(first).map((e) => [e.name, e.externalAttributes >>> 16])).toEqual([
      ['a.txt', 0o100644],
      ['bin/b', 0o100755],
    ]);
  });

  it('writes an empty archive as the end record alone', () => {
    expect(encodeZip([])).toEqual(Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]));
  });

  it.each(['', '/abs', '../up', 'a/../b', 'a\\b', 'dir/', 'ünïcode'])('refuses the entry name %j', (name) => {
    expect(() => encodeZip([{ name, data: Buffer.from('x') }])).toThrow(MeshbuildError);
  });

  it('refuses a name listed twice', () => {
    expect(() =>
      encodeZip([
        { name: 'x', data: Buffer.from('1') },
        { name: 'x', data: Buffer.from('2') },
      ]),
    ).toThrow(/listed twice/);
  });
});
