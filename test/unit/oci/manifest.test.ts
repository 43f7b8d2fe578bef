import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../../../src/oci/digest.js';
import { describeBytes, encodeImageConfig, encodeImageIndex, encodeImageManifest, platformOfConfig } from '../../../src/oci/manifest.js';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';

const DIFF = `sha256:${'1'.repeat(64)}`;
const LAYER = { mediaType: MEDIA_TYPE.ociLayerGzip, digest: `sha256:${'2'.repeat(64)}`, size: 1234 };

describe('encodeImageConfig', () => {
  it('writes keys in a fixed order, sorts maps and adds no time of its own', () => {
    const { bytes, descriptor, value } = encodeImageConfig({
      platform: { variant: 'v7', os: 'linux', architecture: 'arm' },
      diffIds: [DIFF],
      config: { Labels: { b: '2', a: '1' }, Entrypoint: ['/usr/local/bin/pilot-agent'], Env: ['PATH=/usr/bin', 'A=1'], User: '1337' },
    });
    expect(bytes.toString()).toBe(
      '{"architecture":"arm","os":"linux","variant":"v7","config":{"User":"1337","Env":["PATH=/usr/bin","A=1"],' +
        '"Entrypoint":["/usr/local/bin/pilot-agent"],"Labels":{"a":"1","b":"2"}},' +
        `"rootfs":{"type":"layers","diff_ids":["${DIFF}"]}}`,
    );
    expect(descriptor).toEqual({ mediaType: MEDIA_TYPE.ociConfig, digest: sha256Digest(bytes), size: bytes.length });
    expect(value.rootfs.diff_ids).toEqual([DIFF]);
    expect(platformOfConfig(value)).toEqual({ architecture: 'arm', os: 'linux', variant: 'v7' });
  });

  it('gives the same bytes for the same input, and puts `created` first when it is given', () => {
    const input = { platform: { os: 'linux', architecture: 'amd64' }, diffIds: [DIFF] };
    expect(encodeImageConfig(input).bytes.equals(encodeImageConfig({ ...input }).bytes)).toBe(true);
    const dated = encodeImageConfig({ ...input, created: '2024-01-02T03:04:05Z', history: [{ created_by: 'meshbuild', created: '2024-01-02T03:04:05Z' }] });
    expect(dated.bytes.toString()).toMatch(/^\{"created":"2024-01-02T03:04:05Z","architecture":"amd64","os":"linux",/);
    expect(dated.value.history).toEqual([{ created: '2024-01-02T03:04:05Z', created_by: 'meshbuild' }]);
  });
});

describe('encodeImageManifest and encodeImageIndex', () => {
  it('make an OCI manifest whose descriptor carries the platform, and an index of such descriptors', () => {
    const config = encodeImageConfig({ platform: { os: 'linux', architecture: 'arm64' }, diffIds: [DIFF] });
    const manifest = encodeImageManifest({
      config: config.descriptor,
      layers: [{ size: LAYER.size, digest: LAYER.digest, mediaType: LAYER.mediaType }],
      platform: { os: 'linux', architecture: 'arm64' },
    });
    expect(manifest.bytes.toString()).toBe(
      `{"schemaVersion":2,"mediaType":"${MEDIA_TYPE.ociManifest}",` +
        `"config":{"mediaType":"${MEDIA_TYPE.ociConfig}","digest":"${config.descriptor.digest}","size":${config.descriptor.size}},` +
        `"layers":[{"mediaType":"${MEDIA_TYPE.ociLayerGzip}","digest":"${LAYER.digest}","size":1234}]}`,
    );
    expect(manifest.descriptor).toEqual({
      mediaType: MEDIA_TYPE.ociManifest,
      digest: sha256Digest(manifest.bytes),
      size: manifest.bytes.length,
      platform: { architecture: 'arm64', os: 'linux' },
    });
    const index = encodeImageIndex({ manifests: [manifest.descriptor], annotations: { 'org.opencontainers.image.version': '1.24.0' } });
    expect(JSON.parse(index.bytes.toString())).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.ociIndex,
      manifests: [manifest.descriptor],
      annotations: { 'org.opencontainers.image.version': '1.24.0' },
    });
    expect(index.descriptor.mediaType).toBe(MEDIA_TYPE.ociIndex);
    expect(index.descriptor.digest).toBe(sha256Digest(index.bytes));
  });

  it('describes any bytes', () => {
    expect(describeBytes(Buffer.from('abc'), 'text/plain')).toEqual({
      mediaType: 'text/plain',
      digest: sha256Digest('abc'),
      size: 3,
    });
  });
});
