/**
 * What `verify --run` starts: the image's ENTRYPOINT executable, or its CMD's first element when
 * it has only a CMD (Istio's install-cni), with the version arguments the targets declare
 * (`versionArgs`, default `--version`), chosen per reference by the CLI; and which platforms a
 * version line names.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { versionArgsFor } from '../../../src/cli/verify-command.js';
import { layerRoots, sourceRoots } from '../../../src/config/path-policy.js';
import { readTargetsFile } from '../../../src/config/targets-file.js';
import type { ImageSpec } from '../../../src/config/model.js';
import { parseYamlDocument } from '../../../src/config/yaml-document.js';
import type { ImageConfig } from '../../../src/oci/types.js';
import { DEFAULT_VERSION_ARGS, namedPlatforms, versionCommand } from '../../../src/release/verify-run.js';
import { runCli } from '../../support/cli.js';
import { loadShippedGraph } from '../core/shipped-graph.js';

const config = (details: ImageConfig['config']): ImageConfig => ({
  architecture: 'amd64',
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: [] },
  ...(details !== undefined ? { config: details } : {}),
});

describe('versionCommand', () => {
  it('runs the ENTRYPOINT executable with --version by default, leaving its CMD out', () => {
    expect(versionCommand(config({ Entrypoint: ['/usr/local/bin/pilot-agent'], Cmd: ['proxy', 'sidecar'] }))).toEqual([
      '/usr/local/bin/pilot-agent',
      '--version',
    ]);
    expect(DEFAULT_VERSION_ARGS).toEqual(['--version']);
  });

  it('passes the declared version arguments instead', () => {
    expect(versionCommand(config({ Entrypoint: ['/usr/local/bin/istioctl'] }), ['version', '--remote=false'])).toEqual([
      '/usr/local/bin/istioctl',
      'version',
      '--remote=false',
    ]);
    expect(versionCommand(config({ Entrypoint: ['/usr/local/bin/server'] }), [])).toEqual(['/usr/local/bin/server']);
  });

  it('uses only the first element of a longer ENTRYPOINT', () => {
    expect(versionCommand(config({ Entrypoint: ['/usr/local/bin/pilot-discovery', 'discovery'] }), ['version'])).toEqual([
      '/usr/local/bin/pilot-discovery',
      'version',
    ]);
  });

  it("runs a CMD-only image's first CMD element (install-cni), as a path or a name for PATH", () => {
    expect(versionCommand(config({ Cmd: ['/usr/local/bin/install-cni'] }), ['version'])).toEqual(['/usr/local/bin/install-cni', 'version']);
    expect(versionCommand(config({ Entrypoint: null, Cmd: ['install-cni', '--log_output_level', 'info'] }), ['version'])).toEqual(['install-cni', 'version']);
    expect(versionCommand(config({ Entrypoint: [], Cmd: ['install-cni'] }))).toEqual(['install-cni', '--version']);
  });

  it("runs a shell form's program (the script's first word), not the shell", () => {
    expect(versionCommand(config({ Cmd: ['/bin/sh', '-c', 'install-cni --log_output_level=info'] }), ['version'])).toEqual(['install-cni', 'version']);
    expect(versionCommand(config({ Entrypoint: ['/bin/sh', '-c', '  /usr/local/bin/server  --port 80'] }))).toEqual(['/usr/local/bin/server', '--version']);
    expect(versionCommand(config({ Entrypoint: ['/bin/sh', '/entry.sh'] }))).toEqual(['/bin/sh', '--version']);
  });

  it('has nothing to run for an image with neither (a base image)', () => {
    expect(versionCommand(config(undefined))).toBeUndefined();
    expect(versionCommand(config({ Entrypoint: null, Cmd: null }))).toBeUndefined();
    expect(versionCommand(config({ Entrypoint: [], Cmd: [] }))).toBeUndefined();
    expect(versionCommand(config({ Cmd: [''] }))).toBeUndefined();
  });
});

describe('namedPlatforms', () => {
  it("finds the os/arch pairs Go prints, and none in Istio's version output", () => {
    expect(namedPlatforms('pilot-discovery version 1.2.3 linux/arm64')).toEqual(['linux/arm64']);
    expect(
      namedPlatforms('client version: version.BuildInfo{Version:"1.29.1", GitRevision:"abc", GolangVersion:"go1.24.4", BuildStatus:"Clean", GitTag:"1.29.1"}'),
    ).toEqual([]);
    expect(namedPlatforms('built for linux/amd64 on darwin/arm64')).toEqual(['linux/amd64', 'darwin/arm64']);
    expect(namedPlatforms('see /usr/local/bin/envoy and linux/amd64x')).toEqual([]);
  });
});

/** Reads one targets file's text as the loader does (files next to it, source in /src). */
function readImages(text: string): { images: ImageSpec[]; problems: string[] } {
  const file = '/t/targets/images.yaml';
  const content = readTargetsFile(parseYamlDocument(text, 'targets/images.yaml'), 'targets', file, {
    own: layerRoots('targets', path.dirname(file), '/src'),
    source: sourceRoots('/src'),
  });
  return {
    images: content.specs.filter((spec): spec is ImageSpec => spec.kind === 'image'),
    problems: content.diagnostics.map((d) => `${d.location?.line ?? '?'}: ${d.message}`),
  };
}

describe('versionArgs in a targets file', () => {
  it('reads a list, a single string, and an empty list; leaves it out when not written', () => {
    const { images, problems } = readImages(
      [
        'images:',
        '  pilot:',
        '    dockerfile: pilot.Dockerfile',
        '    versionArgs: [version]',
        '  istioctl:',
        '    dockerfile: istioctl.Dockerfile',
        '    versionArgs: version',
        '  server:',
        '    dockerfile: app.Dockerfile',
        '    versionArgs: []',
        '  plain:',
        '    dockerfile: plain.Dockerfile',
        '',
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(Object.fromEntries(images.map((image) => [image.name, image.versionArgs]))).toEqual({
      pilot: ['version'],
      istioctl: ['version'],
      server: [],
      plain: undefined,
    });
    expect(images.find((image) => image.name === 'plain')).not.toHaveProperty('versionArgs');
  });

  it('reports a value that is not a list of strings at its line', () => {
    const { problems } = readImages(['images:', '  pilot:', '    dockerfile: pilot.Dockerfile', '    versionArgs: {a: b}', ''].join('\n'));
    expect(problems).toEqual(['4: "versionArgs" of image "pilot" must be a list of strings']);
    const empty = readImages(['images:', '  pilot:', '    dockerfile: pilot.Dockerfile', '    versionArgs: [version, ""]', ''].join('\n'));
    expect(empty.problems).toEqual([expect.stringMatching(/^4: items of "versionArgs" in image "pilot" must be non-empty strings/)]);
  });
});

describe("the shipped graph's version commands", () => {
  it("declares Istio's version subcommand, and --help for the two apps that have none", () => {
    const graph = loadShippedGraph();
    const declared = Object.fromEntries([...graph.images.values()].map((image) => [image.name, image.versionArgs]));
    expect(declared).toMatchObject({
      pilot: ['version'],
      proxyv2: ['version'],
      istioctl: ['version', '--remote=false'],
      'install-cni': ['version'],
      app: ['--help'],
      'ext-authz': ['--help'],
    });
  });
});

describe('versionArgsFor (verify --run, per reference)', () => {
  const graph = loadShippedGraph();

  it('keeps --version for plain references (no graph asked for)', () => {
    expect(versionArgsFor('127.0.0.1:5555/istio/pilot:1.29.1', undefined, undefined)).toEqual(['--version']);
  });

  it("takes the graph's versionArgs of the image named by the repository's last segment", () => {
    expect(versionArgsFor('127.0.0.1:5555/istio/pilot:1.29.1-distroless', undefined, graph)).toEqual(['version']);
    expect(versionArgsFor('registry.example/a/b/istioctl@sha256:' + 'a'.repeat(64), undefined, graph)).toEqual(['version', '--remote=false']);
    expect(versionArgsFor('127.0.0.1:5555/istio/not-in-graph:1', undefined, graph)).toEqual(['--version']);
  });

  it('lets --version-args override both, split on spaces ("" runs the executable alone)', () => {
    expect(versionArgsFor('127.0.0.1:5555/istio/pilot:1', 'version  --short', graph)).toEqual(['version', '--short']);
    expect(versionArgsFor('127.0.0.1:5555/istio/anything:1', 'version', undefined)).toEqual(['version']);
    expect(versionArgsFor('127.0.0.1:5555/istio/pilot:1', '', graph)).toEqual([]);
  });
});

describe('meshbuild verify --version-args', () => {
  it('needs --run: without it, exit 2 before any request', async () => {
    const result = await runCli(['verify', '127.0.0.1:1/istio/pilot:1', '--version-args', 'version']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/run/);
    expect(result.stdout).toBe('');
  });
});
