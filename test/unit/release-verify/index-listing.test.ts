import { describe, expect, it } from 'vitest';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';
import type { Descriptor, ImageIndex } from '../../../src/oci/types.js';
import { classifyIndex, isAttestationEntry, normalizeOciPlatform } from '../../../src/publish/image-listing.js';
import { demuxLogs } from '../../../src/release/verify-run.js';
import { formatVerifyReport } from '../../../src/cli/verify-command.js';

const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const entry = (n: number, platform: Descriptor['platform'], annotations?: Record<string, string>): Descriptor => ({
  mediaType: MEDIA_TYPE.ociManifest,
  digest: digest(n),
  size: 100,
  ...(platform ? { platform } : {}),
  ...(annotations ? { annotations } : {}),
});

describe('classifyIndex', () => {
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociIndex,
    manifests: [
      entry(1, { os: 'linux', architecture: 'amd64' }),
      entry(2, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      entry(3, { os: 'unknown', architecture: 'unknown' }, { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': digest(1) }),
      entry(4, { os: 'linux', architecture: 'arm', variant: 'v7' }),
      entry(5, { os: 'unknown', architecture: 'unknown' }),
    ],
  };

  it('lists platforms normalised as --platforms spells them, and attestations apart', () => {
    const { platforms, attestations } = classifyIndex(index);
    expect(platforms.map((p) => p.name)).toEqual(['linux/amd64', 'linux/arm64', 'linux/arm/v7']);
    expect(platforms[1]!.platform).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(platforms[1]!.descriptor.digest).toBe(digest(2));
    expect(attestations).toEqual([`${digest(3)} (unknown/unknown, attestation-manifest, for ${digest(1)})`, `${digest(5)} (unknown/unknown)`]);
  });

  it('counts an entry as an attestation by its annotation alone, or when it has no platform', () => {
    expect(isAttestationEntry(entry(6, { os: 'linux', architecture: 'amd64' }, { 'vnd.docker.reference.type': 'attestation-manifest' }))).toBe(true);
    expect(isAttestationEntry(entry(7, undefined))).toBe(true);
    expect(isAttestationEntry(entry(8, { os: 'linux', architecture: 'amd64' }))).toBe(false);
  });

  it('keeps a platform it cannot parse as it is', () => {
    expect(normalizeOciPlatform({ os: 'plan9', architecture: 'amd64' })).toEqual({ os: 'plan9', architecture: 'amd64' });
    expect(normalizeOciPlatform({ os: 'linux', architecture: 'amd64', variant: 'v1' })).toEqual({ os: 'linux', architecture: 'amd64' });
  });
});

describe('demuxLogs', () => {
  it('joins the payloads of the engine log frames', () => {
    const frame = (stream: number, text: string) => {
      const payload = Buffer.from(text);
      const header = Buffer.alloc(8);
      header[0] = stream;
      header.writeUInt32BE(payload.length, 4);
      return Buffer.concat([header, payload]);
    };
    expect(demuxLogs(Buffer.concat([frame(1, 'pilot-discovery version 1.0 '), frame(2, 'linux/arm64\n')]))).toBe('pilot-discovery version 1.0 linux/arm64\n');
    expect(demuxLogs(Buffer.alloc(0))).toBe('');
  });
});

describe('formatVerifyReport', () => {
  it('prints platforms, attestations, runs and each problem with its platform and file', () => {
    const text = formatVerifyReport({
      reference: '127.0.0.1:5555/mesh/pilot:1.0',
      digest: digest(9),
      platforms: ['linux/amd64', 'linux/arm64'],
      attestations: [`${digest(3)} (unknown/unknown, attestation-manifest)`],
      problems: [
        {
          reference: '127.0.0.1:5555/mesh/pilot:1.0',
          platform: 'linux/arm64',
          file: '/usr/local/bin/pilot-discovery',
          problem: 'exec format error waiting to happen: /usr/local/bin/pilot-discovery is x86-64 but the image is linux/arm64',
        },
      ],
      ok: false,
      isIndex: true,
      binaries: 2,
      runs: [
        { platform: 'linux/amd64', command: ['/usr/local/bin/pilot-discovery', '--version'], exitCode: 0, output: 'pilot-discovery version 1.0 linux/amd64' },
      ],
    });
    expect(text).toBe(
      [
        `127.0.0.1:5555/mesh/pilot:1.0 @ ${digest(9)}`,
        '  platforms: linux/amd64, linux/arm64',
        '  attestation entries: 1',
        `    ${digest(3)} (unknown/unknown, attestation-manifest)`,
        '  ELF binaries checked: 2',
        '  run linux/amd64: /usr/local/bin/pilot-discovery --version -> pilot-discovery version 1.0 linux/amd64',
        '  1 problem:',
        '    - linux/arm64 /usr/local/bin/pilot-discovery: exec format error waiting to happen: /usr/local/bin/pilot-discovery is x86-64 but the image is linux/arm64',
        '',
      ].join('\n'),
    );
  });
});
