/**
 * Reading `docker buildx bake --progress rawjson` (pure): JSON objects over several lines, split
 * anywhere between chunks, buildx's own text between them; each vertex attributed to its target.
 */
import { describe, expect, it } from 'vitest';
import { BakeProgress, type BakeVertex } from '../../../src/image/bake-progress.js';

const object = (vertexes: object[]) => `${JSON.stringify({ vertexes }, null, 2)}\n`;
const stream = [
  object([{ digest: 'sha256:0', name: '[internal] load local bake definitions', started: 't' }]),
  object([{ digest: 'sha256:1', name: '[pilot internal] load build definition from Dockerfile', started: 't' }]),
  object([{ digest: 'sha256:1', name: '[pilot internal] load build definition from Dockerfile', started: 't', completed: 't' }]),
  object([{ digest: 'sha256:2', name: '[pilot linux/arm64 2/3] COPY arm64/pilot-discovery /usr/local/bin/', started: 't' }]),
  object([{ digest: 'sha256:3', name: '[app linux/amd64 1/2] COPY ${TARGETARCH}/server /server', started: 't' }]),
  object([{ digest: 'sha256:3', name: '[app linux/amd64 1/2] COPY ${TARGETARCH}/server /server', started: 't', error: 'context canceled: context canceled' }]),
  object([
    {
      digest: 'sha256:2',
      name: '[pilot linux/arm64 2/3] COPY arm64/pilot-discovery /usr/local/bin/',
      started: 't',
      error: '"/arm64/pilot-discovery": not found',
    },
  ]),
  'Dockerfile.pilot:12\n--------------------\n  12 | >>> COPY ${TARGETARCH}/pilot-discovery /usr/local/bin/\n--------------------\n',
  'ERROR: failed to solve: failed to compute cache key: "/arm64/pilot-discovery": not found\n',
].join('');

function read(chunkSize: number): { progress: BakeProgress; steps: BakeVertex[] } {
  const steps: BakeVertex[] = [];
  const progress = new BakeProgress(new Set(['pilot', 'app']), (step) => steps.push(step));
  for (let i = 0; i < stream.length; i += chunkSize) progress.feed(stream.slice(i, i + chunkSize));
  return { progress, steps };
}

describe('bake progress', () => {
  it.each([1, 7, 100, stream.length])('attributes each started vertex once to its target (chunks of %i)', (size) => {
    const { steps } = read(size);
    expect(steps).toEqual([
      { target: 'pilot', step: '[internal] load build definition from Dockerfile' },
      { target: 'pilot', step: '[linux/arm64 2/3] COPY arm64/pilot-discovery /usr/local/bin/', platform: 'linux/arm64' },
      { target: 'app', step: '[linux/amd64 1/2] COPY ${TARGETARCH}/server /server', platform: 'linux/amd64' },
    ]);
  });

  it('names the target and platform whose own step failed, not those bake cancelled for it', () => {
    const { progress } = read(13);
    expect([...progress.failures().entries()]).toEqual([
      [
        'pilot',
        {
          target: 'pilot',
          platform: 'linux/arm64',
          step: '[linux/arm64 2/3] COPY arm64/pilot-discovery /usr/local/bin/',
          error: '"/arm64/pilot-discovery": not found',
        },
      ],
    ]);
  });

  it('reports each vertex that completes without error once (an export: its layout is written)', () => {
    const done: BakeVertex[] = [];
    const progress = new BakeProgress(
      new Set(['pilot', 'app']),
      () => undefined,
      undefined,
      (step) => done.push(step),
    );
    const exported = { digest: 'sha256:4', name: '[app] exporting to oci image format', started: 't', completed: 't' };
    progress.feed(stream + object([exported]) + object([exported]));
    expect(done).toEqual([
      { target: 'pilot', step: '[internal] load build definition from Dockerfile' },
      { target: 'app', step: 'exporting to oci image format' },
    ]);
  });

  it("keeps buildx's own text (the Dockerfile excerpt and closing error) apart from the JSON", () => {
    const text = read(5).progress.text();
    expect(text.startsWith('Dockerfile.pilot:12')).toBe(true);
    expect(text.split('\n').at(-1)).toBe('ERROR: failed to solve: failed to compute cache key: "/arm64/pilot-discovery": not found');
    expect(text).not.toContain('vertexes');
  });
});

describe('bake progress: the output of steps', () => {
  it("hands each step's output (base64 in the JSON) to its target, stdout and stderr apart", () => {
    const base64 = (text: string) => Buffer.from(text).toString('base64');
    const logs: Array<[string, string, string]> = [];
    const progress = new BakeProgress(
      new Set(['pilot', 'app']),
      () => undefined,
      (vertex, stream, text) => logs.push([vertex.target, stream, text]),
    );
    progress.feed(object([{ digest: 'sha256:5', name: '[pilot linux/arm64 3/3] RUN useradd istio-proxy', started: 't' }]));
    progress.feed(
      `${JSON.stringify(
        {
          logs: [
            { vertex: 'sha256:5', stream: 1, data: base64('adding user\n') },
            { vertex: 'sha256:5', stream: 2, data: base64('warning: no home\n') },
            { vertex: 'sha256:unknown', stream: 1, data: base64('from a step of no target\n') },
          ],
        },
        null,
        2,
      )}\n`,
    );
    expect(logs).toEqual([
      ['pilot', 'stdout', 'adding user\n'],
      ['pilot', 'stderr', 'warning: no home\n'],
    ]);
  });
});
