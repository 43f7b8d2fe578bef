import { describe, expect, it } from 'vitest';
import { selectLayoutRefs } from '../../../src/cli/push-command.js';
import { MeshbuildError } from '../../../src/errors.js';
import { mirrorDestination, mirrorSourcesFromReport } from '../../../src/release/mirror.js';
import { REPORT_SCHEMA_VERSION, type ReportedImage, type RunReport } from '../../../src/report/json-report.js';

describe('selectLayoutRefs (push --from)', () => {
  const single = ['app:1.0', 'pilot:1.0'];
  const several = ['pilot:1.0', 'pilot:1.0-distroless', 'app:1.0'];

  it('publishes every ref under its own tag without --tag', () => {
    expect(selectLayoutRefs(several, [])).toEqual([
      { image: 'pilot', ref: 'pilot:1.0', tags: ['1.0'] },
      { image: 'pilot', ref: 'pilot:1.0-distroless', tags: ['1.0-distroless'] },
      { image: 'app', ref: 'app:1.0', tags: ['1.0'] },
    ]);
  });

  it('retags a layout with one tag per image under every --tag', () => {
    expect(selectLayoutRefs(single, ['2.0', 'latest'])).toEqual([
      { image: 'app', ref: 'app:1.0', tags: ['2.0', 'latest'] },
      { image: 'pilot', ref: 'pilot:1.0', tags: ['2.0', 'latest'] },
    ]);
  });

  it('filters an image with several tags to those named, and refuses a tag it lacks', () => {
    expect(selectLayoutRefs(several, ['1.0-distroless']).filter((s) => s.image === 'pilot')).toEqual([
      { image: 'pilot', ref: 'pilot:1.0-distroless', tags: ['1.0-distroless'] },
    ]);
    expect(() => selectLayoutRefs(several, ['2.0'])).toThrow(/the layout has pilot under several tags \(1\.0, 1\.0-distroless\)/);
  });

  it('refuses refs that are not image:tag, and an empty layout, as usage errors', () => {
    for (const refs of [['latest'], ['pilot:'], []]) {
      let caught: unknown;
      try {
        selectLayoutRefs(refs, []);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(MeshbuildError);
      expect((caught as MeshbuildError).exitCode).toBe(2);
    }
  });
});

describe('mirror naming and sources', () => {
  it('puts the copy at <dst-hub>/<last path element of the source repository>', () => {
    expect(mirrorDestination('127.0.0.1:5555/mesh/release/pilot:1.0', 'registry.example.com/mirror')).toEqual({
      registry: 'registry.example.com',
      repository: 'mirror/pilot',
    });
    expect(mirrorDestination('127.0.0.1:5555/mesh/pilot@sha256:' + 'a'.repeat(64), '127.0.0.1:5555/other', 'v2')).toEqual({
      registry: '127.0.0.1:5555',
      repository: 'other/pilot',
      tag: 'v2',
    });
    expect(() => mirrorDestination('127.0.0.1:5555/mesh/pilot:1.0', 'http://example.com/x')).toThrow(/URL scheme/);
  });

  const image = (overrides: Partial<ReportedImage>): ReportedImage => ({
    image: 'pilot',
    variant: 'default',
    repository: '127.0.0.1:5555/mesh/pilot',
    refs: ['127.0.0.1:5555/mesh/pilot:1.0'],
    digest: `sha256:${'b'.repeat(64)}`,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    size: 491,
    platforms: [
      { platform: 'linux/amd64', digest: `sha256:${'c'.repeat(64)}`, size: 1, mediaType: 'x' },
      { platform: 'linux/arm64', digest: `sha256:${'d'.repeat(64)}`, size: 1, mediaType: 'x' },
    ],
    ...overrides,
  });
  const report = (images: ReportedImage[]): RunReport => ({
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: 'meshbuild',
    version: '1.0',
    platforms: ['linux/amd64', 'linux/arm64'],
    hubs: ['127.0.0.1:5555/mesh'],
    tags: ['1.0'],
    startedAt: '',
    finishedAt: '',
    durationMs: 0,
    ok: true,
    jobs: [],
    images,
  });

  it('takes every ref of a report, or repo@digest for images pushed by digest only, with their platforms', () => {
    const sources = mirrorSourcesFromReport(
      report([
        image({}),
        image({ refs: ['127.0.0.1:5555/mesh/pilot:1.0', '127.0.0.1:5555/mesh/pilot:latest'] }),
        image({ image: 'app', repository: '127.0.0.1:5555/mesh/app', refs: [] }),
      ]),
      'report.json',
    );
    expect(sources.map((s) => s.reference)).toEqual([
      '127.0.0.1:5555/mesh/pilot:1.0',
      '127.0.0.1:5555/mesh/pilot:latest',
      `127.0.0.1:5555/mesh/app@sha256:${'b'.repeat(64)}`,
    ]);
    expect(sources[0]!.platforms).toEqual([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
    ]);
  });

  it('refuses a report of images in an OCI layout or tar files, and one with no images', () => {
    expect(() => mirrorSourcesFromReport(report([image({ repository: 'oci:/work/out/images', refs: ['pilot:1.0'] })]), 'r.json')).toThrow(/not in a registry/);
    expect(() => mirrorSourcesFromReport(report([image({ repository: '/work/out/tar/pilot_1.0.tar', refs: ['pilot:1.0'] })]), 'r.json')).toThrow(
      /not in a registry/,
    );
    expect(() => mirrorSourcesFromReport(report([]), 'r.json')).toThrow(/lists no images/);
  });
});
