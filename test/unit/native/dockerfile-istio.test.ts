/**
 * Istio's own Dockerfiles (istio/istio at tag 1.29.1, copied into test/fixtures/dockerfiles/istio-1.29.1)
 * read into the structure Istio's build relies on: global ARGs before FROM, `FROM ${ISTIO_BASE_REGISTRY}/...`
 * stages picked by `FROM ${BASE_DISTRIBUTION:-debug}`, `COPY ${TARGETARCH:-amd64}/...`, exec-form ENTRYPOINT.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile, type Dockerfile } from '../../../src/image/dockerfile.js';
import { interpretDockerfile, type BuildProgram } from '../../../src/image/native/build-steps.js';
import type { Platform } from '../../../src/platform.js';
import { nativeBlocker } from '../../../src/plan/builder-choice.js';

const ROOT = path.join(import.meta.dirname, '../../fixtures/dockerfiles/istio-1.29.1');
const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64' };

function read(name: string): Dockerfile {
  return parseDockerfile(readFileSync(path.join(ROOT, name), 'utf8'), name);
}

/** Each instruction as `KEYWORD text` (JSON form as JSON), the shape compared below. */
function outline(dockerfile: Dockerfile): string[] {
  return dockerfile.instructions.map((i) => `${i.keyword} ${i.json ? JSON.stringify(i.json) : i.text}`);
}

const VARIANT_STAGES = (second: string) => [
  'ARG BASE_DISTRIBUTION=debug',
  'ARG BASE_VERSION=latest',
  'ARG ISTIO_BASE_REGISTRY=gcr.io/istio-release',
  'FROM ${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION} AS debug',
  `FROM \${ISTIO_BASE_REGISTRY}/${second}:\${BASE_VERSION} AS distroless`,
  'FROM ${BASE_DISTRIBUTION:-debug}',
];

describe("Istio 1.29.1's Dockerfiles", () => {
  it.each([
    [
      'pilot_docker_Dockerfile.pilot',
      [
        ...VARIANT_STAGES('distroless'),
        'ARG TARGETARCH',
        'COPY ${TARGETARCH:-amd64}/pilot-discovery /usr/local/bin/pilot-discovery',
        'USER 1337:1337',
        'ENTRYPOINT ["/usr/local/bin/pilot-discovery"]',
      ],
    ],
    [
      'pilot_docker_Dockerfile.proxyv2',
      [
        ...VARIANT_STAGES('iptables'),
        'WORKDIR /',
        'ARG proxy_version',
        'ARG SIDECAR=envoy',
        'COPY envoy_bootstrap.json /var/lib/istio/envoy/envoy_bootstrap_tmpl.json',
        'ARG TARGETARCH',
        'COPY ${TARGETARCH:-amd64}/${SIDECAR} /usr/local/bin/${SIDECAR}',
        'ENV ISTIO_META_ISTIO_PROXY_SHA=$proxy_version',
        'ARG TARGETARCH',
        'COPY ${TARGETARCH:-amd64}/pilot-agent /usr/local/bin/pilot-agent',
        'ENTRYPOINT ["/usr/local/bin/pilot-agent"]',
      ],
    ],
    [
      'istioctl_docker_Dockerfile.istioctl',
      [
        'ARG BASE_VERSION=latest',
        'ARG ISTIO_BASE_REGISTRY=gcr.io/istio-release',
        'FROM ${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION}',
        'USER 1000:1000',
        'ARG TARGETARCH',
        'COPY ${TARGETARCH:-amd64}/istioctl /usr/local/bin/istioctl',
        'ENTRYPOINT ["/usr/local/bin/istioctl"]',
      ],
    ],
    [
      'cni_deployments_kubernetes_Dockerfile.install-cni',
      [
        ...VARIANT_STAGES('iptables'),
        'LABEL description="Istio CNI plugin installer."',
        'ARG TARGETARCH',
        'COPY ${TARGETARCH:-amd64}/istio-cni /opt/cni/bin/istio-cni',
        'COPY ${TARGETARCH:-amd64}/install-cni /usr/local/bin/install-cni',
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/cni/bin',
        'WORKDIR /opt/cni/bin',
        'CMD ["/usr/local/bin/install-cni"]',
      ],
    ],
    [
      'pilot_docker_Dockerfile.ztunnel',
      [
        ...VARIANT_STAGES('iptables'),
        'WORKDIR /',
        'ARG istio_version',
        'ARG TARGETARCH',
        'COPY ${TARGETARCH:-amd64}/ztunnel /usr/local/bin/ztunnel',
        'ENV ISTIO_META_ISTIO_VERSION=$istio_version',
        'ENTRYPOINT ["/usr/local/bin/ztunnel"]',
      ],
    ],
    [
      'pkg_test_echo_docker_Dockerfile.app',
      [
        'ARG BASE_VERSION=latest',
        'ARG ISTIO_BASE_REGISTRY=gcr.io/istio-release',
        'FROM ${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION}',
        'ARG TARGETARCH',
        'COPY ${TARGETARCH:-amd64}/client /usr/local/bin/client',
        'COPY ${TARGETARCH:-amd64}/server /usr/local/bin/server',
        'COPY dns/cert-chain.pem /cert.crt',
        'COPY dns/key.pem /cert.key',
        'RUN useradd -m --uid 1338 application',
        'USER 1338',
        'ENTRYPOINT ["/usr/local/bin/server"]',
      ],
    ],
    [
      'samples_extauthz_docker_Dockerfile',
      [
        'ARG BASE_VERSION=latest',
        'ARG ISTIO_BASE_REGISTRY=gcr.io/istio-release',
        'FROM ${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION}',
        'ARG TARGETARCH',
        'COPY ${TARGETARCH:-amd64}/extauthz /usr/local/bin/extauthz',
        'ENTRYPOINT ["/usr/local/bin/extauthz"]',
      ],
    ],
  ])('%s', (name, expected) => {
    expect(outline(read(name))).toEqual(expected);
  });

  const target = (program: BuildProgram) => program.stages[program.target]!;

  it('picks the stage BASE_DISTRIBUTION names, with the base registry and version Istio passes', () => {
    const pilot = read('pilot_docker_Dockerfile.pilot');
    const args = { ISTIO_BASE_REGISTRY: '127.0.0.1:5555/istio-base', BASE_VERSION: '1.29.1' };
    const debug = interpretDockerfile(pilot, args, ARM64, AMD64);
    expect(debug.stages[0]!.base).toEqual({ kind: 'image', name: '127.0.0.1:5555/istio-base/base:1.29.1' });
    expect(target(debug).base).toEqual({ kind: 'stage', index: 0 });
    expect(target(debug).steps).toContainEqual(
      expect.objectContaining({ kind: 'copy', sources: ['arm64/pilot-discovery'], destination: '/usr/local/bin/pilot-discovery' }),
    );
    expect(target(debug).steps).toContainEqual({ kind: 'entrypoint', value: ['/usr/local/bin/pilot-discovery'] });

    const distroless = interpretDockerfile(pilot, { ...args, BASE_DISTRIBUTION: 'distroless' }, AMD64, AMD64);
    expect(distroless.stages[1]!.base).toEqual({ kind: 'image', name: '127.0.0.1:5555/istio-base/distroless:1.29.1' });
    expect(target(distroless).base).toEqual({ kind: 'stage', index: 1 });
    expect(target(distroless).steps).toContainEqual(expect.objectContaining({ kind: 'copy', sources: ['amd64/pilot-discovery'] }));
  });

  it('expands proxyv2 ARGs declared in the stage into COPY and ENV', () => {
    const program = interpretDockerfile(read('pilot_docker_Dockerfile.proxyv2'), { proxy_version: 'abc123' }, ARM64, AMD64);
    expect(target(program).steps).toContainEqual(expect.objectContaining({ kind: 'copy', sources: ['arm64/envoy'], destination: '/usr/local/bin/envoy' }));
    expect(target(program).steps).toContainEqual({ kind: 'env', values: [['ISTIO_META_ISTIO_PROXY_SHA', 'abc123']] });
  });

  it('sends only the app image (RUN useradd) to buildx', () => {
    const blockers = Object.fromEntries(
      [
        'pilot_docker_Dockerfile.pilot',
        'pilot_docker_Dockerfile.proxyv2',
        'istioctl_docker_Dockerfile.istioctl',
        'cni_deployments_kubernetes_Dockerfile.install-cni',
        'pilot_docker_Dockerfile.ztunnel',
        'pkg_test_echo_docker_Dockerfile.app',
        'samples_extauthz_docker_Dockerfile',
      ].map((name) => [name, nativeBlocker(read(name))]),
    );
    expect(blockers).toEqual({
      'pilot_docker_Dockerfile.pilot': undefined,
      'pilot_docker_Dockerfile.proxyv2': undefined,
      'istioctl_docker_Dockerfile.istioctl': undefined,
      'cni_deployments_kubernetes_Dockerfile.install-cni': undefined,
      'pilot_docker_Dockerfile.ztunnel': undefined,
      'pkg_test_echo_docker_Dockerfile.app': { keyword: 'RUN', line: 13 },
      samples_extauthz_docker_Dockerfile: undefined,
    });
  });
});
