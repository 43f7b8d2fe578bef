/**
 * The buildx builder check without Docker: `docker buildx inspect` outputs as buildx 0.13 prints
 * them, read into nodes, and the decisions made on them (which node serves each platform, natively
 * or through emulation, none at all; --load per driver), whatever the order of the nodes.
 */
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, isMeshbuildError, type MeshbuildError } from '../../../src/errors.js';
import { builderPlacement, describeNodes, describePlacement, nativePlatformsOf, parseBuildxInspect, placePlatforms } from '../../../src/image/buildx-nodes.js';
import { checkBuilderNodes, checkBuildxVersion, checkLoadDriver } from '../../../src/image/docker-preflight.js';
import { formatPlatform, parsePlatformList } from '../../../src/platform.js';

const DOCKER_DRIVER = `Name:          default
Driver:        docker
Last Activity: 2026-12-02 15:37:58 +0000 UTC

Nodes:
Name:             default
Endpoint:         default
Status:           running
BuildKit version: v0.0.0+unknown
Platforms:        linux/amd64, linux/amd64/v2, linux/amd64/v3, linux/arm64
Labels:
 org.mobyproject.buildkit.worker.containerd.namespace: moby
 org.mobyproject.buildkit.worker.executor:             containerd
 org.mobyproject.buildkit.worker.hostname:             vm
 org.mobyproject.buildkit.worker.moby.host-gateway-ip: 172.17.0.1
 org.mobyproject.buildkit.worker.snapshotter:          overlayfs
`;

const ARM64_NODE = `Name:             multi0
Endpoint:         tcp://10.0.0.21:1234
Status:           running
BuildKit version: v0.13.2
Platforms:        linux/arm64*, linux/arm/v7, linux/arm/v6
Labels:
 org.mobyproject.buildkit.worker.executor:    oci
 org.mobyproject.buildkit.worker.hostname:    arm-box
 org.mobyproject.buildkit.worker.network:     host
 org.mobyproject.buildkit.worker.oci.process-mode: sandbox
 org.mobyproject.buildkit.worker.snapshotter: overlayfs
GC Policy rule#0:
 All:           false
 Filters:       type==source.local,type==exec.cachemount,type==source.git.checkout
 Keep Duration: 48h0m0s
 Keep Bytes:    488.3MiB
GC Policy rule#1:
 All:           true
 Keep Duration: 1440h0m0s
 Keep Bytes:    4.657GiB
`;

// The amd64 machine also has qemu: it lists linux/arm64 too, but only through emulation.
const AMD64_NODE = `Name:             multi1
Endpoint:         tcp://10.0.0.22:1234
Status:           running
BuildKit version: v0.13.2
Platforms:        linux/amd64*, linux/amd64/v2, linux/amd64/v3, linux/arm64, linux/386
Labels:
 org.mobyproject.buildkit.worker.executor:    oci
 org.mobyproject.buildkit.worker.hostname:    amd-box
 org.mobyproject.buildkit.worker.snapshotter: overlayfs
GC Policy rule#0:
 All:           false
 Filters:       type==source.local,type==exec.cachemount,type==source.git.checkout
 Keep Duration: 48h0m0s
 Keep Bytes:    488.3MiB
`;

const remoteBuilder = (...nodes: string[]) => `Name:          multi
Driver:        remote
Last Activity: 2026-12-01 09:12:44 +0000 UTC

Nodes:
${nodes.join('\n')}`;

const TWO_NODES = remoteBuilder(ARM64_NODE, AMD64_NODE);
const TWO_NODES_REVERSED = remoteBuilder(AMD64_NODE, ARM64_NODE);

const WITH_INACTIVE_NODE = `Name:          ci
Driver:        docker-container
Last Activity: 2026-11-30 18:02:10 +0000 UTC

Nodes:
Name:                  ci0
Endpoint:              unix:///var/run/docker.sock
Driver Options:        image="moby/buildkit:buildx-stable-1"
Status:                running
BuildKit daemon flags: --allow-insecure-entitlement=network.host
BuildKit version:      v0.13.2
Platforms:             linux/amd64, linux/amd64/v2, linux/amd64/v3, linux/386
Labels:
 org.mobyproject.buildkit.worker.executor:    oci
 org.mobyproject.buildkit.worker.hostname:    4f1c2a9e0b7d
 org.mobyproject.buildkit.worker.snapshotter: overlayfs

Name:      ci1
Endpoint:  ssh://builder@arm-box
Status:    inactive
Platforms: linux/arm64*

Name:      ci2
Endpoint:  tcp://10.0.0.23:1234
Error:     dial tcp 10.0.0.23:1234: connect: connection refused
`;

// As \`docker buildx inspect\` (no --bootstrap) prints a remote builder whose node was never reached.
const NOT_BOOTSTRAPPED = `Name:          edge
Driver:        remote
Last Activity: 2026-12-02 15:43:22 +0000 UTC

Nodes:
Name:      edge0
Endpoint:  tcp://127.0.0.1:9
Status:    inactive
Platforms: linux/arm64*
`;

const platforms = (value: string) => parsePlatformList(value);

function thrown(run: () => unknown): MeshbuildError {
  try {
    run();
  } catch (error) {
    if (isMeshbuildError(error)) return error;
    throw error;
  }
  throw new Error('expected a meshbuild error');
}

describe('parseBuildxInspect', () => {
  it('reads a one-node docker driver builder', () => {
    expect(parseBuildxInspect(DOCKER_DRIVER)).toEqual({
      name: 'default',
      driver: 'docker',
      nodes: [
        {
          name: 'default',
          endpoint: 'default',
          status: 'running',
          platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/arm64'],
          pinned: [],
        },
      ],
    });
  });

  it('reads every node of a two-node remote builder, pinned platforms apart, labels and GC policy skipped', () => {
    const builder = parseBuildxInspect(TWO_NODES);
    expect(builder.name).toBe('multi');
    expect(builder.driver).toBe('remote');
    expect(builder.nodes).toEqual([
      {
        name: 'multi0',
        endpoint: 'tcp://10.0.0.21:1234',
        status: 'running',
        platforms: ['linux/arm64', 'linux/arm/v7', 'linux/arm/v6'],
        pinned: ['linux/arm64'],
      },
      {
        name: 'multi1',
        endpoint: 'tcp://10.0.0.22:1234',
        status: 'running',
        platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/arm64', 'linux/386'],
        pinned: ['linux/amd64'],
      },
    ]);
  });

  it('reads inactive nodes and nodes buildx could not reach', () => {
    const builder = parseBuildxInspect(WITH_INACTIVE_NODE);
    expect(builder.driver).toBe('docker-container');
    expect(builder.nodes.map((n) => [n.name, n.status, n.platforms, n.pinned])).toEqual([
      ['ci0', 'running', ['linux/amd64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/386'], []],
      ['ci1', 'inactive', ['linux/arm64'], ['linux/arm64']],
      ['ci2', 'error', [], []],
    ]);
    expect(builder.nodes[2]!.error).toBe('dial tcp 10.0.0.23:1234: connect: connection refused');
  });

  it('takes the pinned platforms as native, else the first one listed', () => {
    const [arm64, amd64] = parseBuildxInspect(TWO_NODES).nodes;
    expect(nativePlatformsOf(arm64!).map(formatPlatform)).toEqual(['linux/arm64']);
    expect(nativePlatformsOf(amd64!).map(formatPlatform)).toEqual(['linux/amd64']);
    expect(nativePlatformsOf(parseBuildxInspect(DOCKER_DRIVER).nodes[0]!).map(formatPlatform)).toEqual(['linux/amd64']);
  });
});

describe('placePlatforms', () => {
  it('on the docker driver: amd64 native, arm64 through qemu', () => {
    const placements = placePlatforms(parseBuildxInspect(DOCKER_DRIVER), platforms('amd64,arm64'));
    expect(placements.map((p) => [formatPlatform(p.platform), p.served, p.nodes])).toEqual([
      ['linux/amd64', 'native', ['default']],
      ['linux/arm64', 'emulated', ['default']],
    ]);
  });

  it.each([
    ['arm64 node first', TWO_NODES],
    ['amd64 node first', TWO_NODES_REVERSED],
  ])('on two pinned nodes (%s): each platform on its own node, natively', (_, text) => {
    const placements = placePlatforms(parseBuildxInspect(text), platforms('amd64,arm64'));
    expect(placements.map((p) => [formatPlatform(p.platform), p.served, p.nodes])).toEqual([
      ['linux/amd64', 'native', ['multi1']],
      ['linux/arm64', 'native', ['multi0']],
    ]);
  });

  it('counts only running nodes', () => {
    const placements = placePlatforms(parseBuildxInspect(WITH_INACTIVE_NODE), platforms('amd64,arm64'));
    expect(placements.map((p) => [formatPlatform(p.platform), p.served, p.nodes])).toEqual([
      ['linux/amd64', 'native', ['ci0']],
      ['linux/arm64', 'none', []],
    ]);
  });
});

describe('builderPlacement', () => {
  it('names the node each platform goes to, whatever the node order, and says when it is emulated', () => {
    for (const text of [TWO_NODES, TWO_NODES_REVERSED]) {
      const builder = parseBuildxInspect(text);
      const placement = builderPlacement(builder, placePlatforms(builder, platforms('amd64,arm64')));
      expect(placement.platforms).toEqual([
        { platform: 'linux/amd64', node: 'multi1', served: 'native' },
        { platform: 'linux/arm64', node: 'multi0', served: 'native' },
      ]);
    }
    const docker = parseBuildxInspect(DOCKER_DRIVER);
    expect(describePlacement(builderPlacement(docker, placePlatforms(docker, platforms('amd64,arm64'))))).toBe(
      `buildx builder ${docker.name} (driver docker): linux/amd64 on default (native), linux/arm64 on default (emulated)`,
    );
  });

  it('says when no node serves a platform', () => {
    const builder = parseBuildxInspect(WITH_INACTIVE_NODE);
    const placement = builderPlacement(builder, placePlatforms(builder, platforms('amd64,arm64')));
    expect(placement.platforms[1]).toEqual({ platform: 'linux/arm64', node: undefined, served: 'none' });
    expect(describePlacement(placement)).toContain('linux/arm64: no node');
  });
});

describe('checkBuilderNodes', () => {
  it('accepts a builder whose arm64 node is the second one, and reports nothing emulated', () => {
    const check = checkBuilderNodes(parseBuildxInspect(TWO_NODES_REVERSED), platforms('amd64,arm64'));
    expect(check.emulated).toEqual([]);
    expect(check.builder.nodes.map((n) => n.name)).toEqual(['multi1', 'multi0']);
  });

  it('keeps the platforms only emulation serves', () => {
    const check = checkBuilderNodes(parseBuildxInspect(DOCKER_DRIVER), platforms('amd64,arm64'), { load: true });
    expect(check.emulated.map(formatPlatform)).toEqual(['linux/arm64']);
  });

  it.each([
    ['arm64 node first', TWO_NODES],
    ['amd64 node first', TWO_NODES_REVERSED],
  ])('refuses a platform no node serves (%s), naming it, the builder and every node', (_, text) => {
    const error = thrown(() => checkBuilderNodes(parseBuildxInspect(text), platforms('amd64,s390x,arm64')));
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toContain('has no running node that can build linux/s390x;');
    expect(error.message).not.toMatch(/build linux\/(amd64|arm64)/);
    expect(error.message).toContain('"multi" (driver remote)');
    expect(error.message).toContain('multi0 (tcp://10.0.0.21:1234, running): linux/arm64*, linux/arm/v7, linux/arm/v6');
    expect(error.message).toContain('multi1 (tcp://10.0.0.22:1234, running): linux/amd64*, linux/amd64/v2, linux/amd64/v3, linux/arm64, linux/386');
    expect(error.hint).toContain('--platforms');
  });

  it('refuses a platform only an inactive node lists, showing its status', () => {
    const error = thrown(() => checkBuilderNodes(parseBuildxInspect(WITH_INACTIVE_NODE), platforms('amd64,arm64')));
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toContain('"ci" (driver docker-container) has no running node that can build linux/arm64;');
    expect(error.message).toContain('ci1 (ssh://builder@arm-box, inactive): linux/arm64*');
    expect(error.message).toContain('ci2 (tcp://10.0.0.23:1234, error: dial tcp 10.0.0.23:1234: connect: connection refused): no platforms reported');
  });

  it.each([
    ['remote', TWO_NODES],
    ['docker-container', WITH_INACTIVE_NODE],
    ['remote', NOT_BOOTSTRAPPED],
  ])('refuses --load through the %s driver, naming the flag and the driver', (driver, text) => {
    const error = thrown(() => checkBuilderNodes(parseBuildxInspect(text), platforms('amd64'), { load: true }));
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toMatch(/^--load /);
    expect(error.message).toContain(`(driver ${driver})`);
  });

  it('lets --load through the docker driver only', () => {
    expect(() => checkLoadDriver(parseBuildxInspect(DOCKER_DRIVER))).not.toThrow();
    expect(thrown(() => checkLoadDriver(parseBuildxInspect(NOT_BOOTSTRAPPED))).message).toContain('"edge" (driver remote)');
  });

  it('lets the same builders build without --load', () => {
    expect(checkBuilderNodes(parseBuildxInspect(TWO_NODES), platforms('amd64'), { load: false }).emulated).toEqual([]);
    expect(describeNodes(parseBuildxInspect(TWO_NODES)).split('\n')).toHaveLength(2);
  });
});

describe('buildx version check', () => {
  it.each([
    'github.com/docker/buildx v0.13.1 788433953af10f2a698f5c07611dcf1f2ddd0c5a',
    'github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3',
    'github.com/docker/buildx v1.0.0 x',
    'something else',
  ])('lets %s through', (text) => expect(() => checkBuildxVersion(text)).not.toThrow());

  it('refuses a buildx without bake --progress rawjson (exit 2, with the version)', () => {
    expect(() => checkBuildxVersion('github.com/docker/buildx v0.11.2 9872040')).toThrow(/docker buildx v0\.11\.2 is too old: .* needs 0\.12 or later/);
    let thrown: unknown;
    try {
      checkBuildxVersion('github.com/docker/buildx 0.10.4+ds1');
    } catch (error) {
      thrown = error;
    }
    expect((thrown as { exitCode?: number } | undefined)?.exitCode).toBe(2);
  });
});
