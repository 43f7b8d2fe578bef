// What scripts/bench-peers measures on: the peer tools (crane, ko) from the Go module proxy,
// pinned; a 300 MB layer in an OCI layout; targets for the sample's Go binaries as ko builds them
// (one FROM-base image per binary); and a generated 30-image graph. Nothing here is timed.
import { execa } from 'execa';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { root } from './bench-support.mjs';

export const CRANE_MODULE = 'github.com/google/go-containerregistry/cmd/crane@v0.22.1';
export const KO_MODULE = 'github.com/google/ko@v0.19.1';
export const SAMPLE = path.join(root, 'examples', 'mesh');

/** The sample's Go binaries, with the build tags its graph gives them (Istio's STANDARD and AGENT tags). */
const STANDARD = ['vtprotobuf', 'disable_pgv'];
const AGENT = ['agent', 'disable_pgv', 'grpcnotrace', 'retrynotrace'];
export const SAMPLE_BINARIES = [
  { name: 'pilot-discovery', package: './pilot/cmd/pilot-discovery', tags: STANDARD },
  { name: 'pilot-agent', package: './pilot/cmd/pilot-agent', tags: AGENT },
  { name: 'istioctl', package: './istioctl/cmd/istioctl', tags: STANDARD },
  { name: 'install-cni', package: './cni/cmd/install-cni', tags: AGENT },
  { name: 'istio-cni', package: './cni/cmd/istio-cni', tags: AGENT },
  { name: 'client', package: './pkg/test/echo/cmd/client', tags: STANDARD },
  { name: 'server', package: './pkg/test/echo/cmd/server', tags: STANDARD },
  { name: 'extauthz', package: './samples/extauthz/cmd/extauthz', tags: STANDARD },
];

/** `go install`s crane and ko (pinned) into `dir` unless they are there; returns their paths. */
export async function installPeers(dir, log) {
  await mkdir(dir, { recursive: true });
  const tools = {};
  for (const [name, module] of [
    ['crane', CRANE_MODULE],
    ['ko', KO_MODULE],
  ]) {
    const version = module.slice(module.indexOf('@') + 1);
    const bin = path.join(dir, `${name}-${version}`);
    if (!existsSync(bin)) {
      log(`go install ${module}`);
      const gobin = path.join(dir, `.gobin-${name}`);
      await execa('go', ['install', module], { env: { GOBIN: gobin, CGO_ENABLED: '0' }, stdin: 'ignore' });
      await rename(path.join(gobin, name), bin);
    }
    tools[name] = bin;
  }
  return tools;
}

/** An OCI layout (ref `big:latest`) of one amd64 image with a `mib` MiB layer of random bytes. */
export async function writeLargeLayout(dir, mib) {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (bytes) => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    await writeFile(path.join(blobs, hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const temp = path.join(blobs, 'layer.tmp');
  const handle = await open(temp, 'w');
  const hash = createHash('sha256');
  for (let i = 0; i < mib; i++) {
    const chunk = randomBytes(1024 * 1024);
    hash.update(chunk);
    await handle.write(chunk);
  }
  await handle.close();
  const layerHex = hash.digest('hex');
  await rename(temp, path.join(blobs, layerHex));
  const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerHex}`, size: mib * 1024 * 1024 };
  const config = await put(
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} })),
  );
  const manifest = await put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [layer],
      }),
    ),
  );
  const index = await put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, platform: { architecture: 'amd64', os: 'linux' } }],
      }),
    ),
  );
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const ref = { 'org.opencontainers.image.ref.name': 'big:latest' };
  await writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...index, annotations: ref }],
    }),
  );
}

/** Targets for a small FROM-scratch base image (`peer-base`), which ko, crane and meshbuild all build on. */
export async function writeBaseTargets(dir) {
  await mkdir(path.join(dir, 'base'), { recursive: true });
  await writeFile(path.join(dir, 'base', 'os-release'), 'NAME=bench-peers base\n');
  await writeFile(path.join(dir, 'Dockerfile.base'), 'FROM scratch\nCOPY os-release /etc/os-release\n');
  await writeFile(
    path.join(dir, 'images.yaml'),
    'images:\n  peer-base:\n    dockerfile: Dockerfile.base\n    files: [{ path: base/os-release, to: os-release }]\ngroups: { all: [peer-base] }\n',
  );
}

/**
 * ko's shape in meshbuild targets: one image per sample binary, `FROM <base>` with the binary at
 * /ko-app/<name> as its entrypoint; and the .ko.yaml that builds the same packages with the same tags.
 */
export async function writeKoEquivalent(targetsDir, koDir, base) {
  await mkdir(targetsDir, { recursive: true });
  await mkdir(koDir, { recursive: true });
  const lines = ['binaries:'];
  for (const b of SAMPLE_BINARIES) lines.push(`  ${b.name}: { package: ${b.package}, tags: [${b.tags.join(', ')}] }`);
  lines.push('images:');
  for (const b of SAMPLE_BINARIES) {
    await writeFile(
      path.join(targetsDir, `Dockerfile.${b.name}`),
      `FROM ${base}\nARG TARGETARCH\nCOPY \${TARGETARCH}/${b.name} /ko-app/${b.name}\nENTRYPOINT ["/ko-app/${b.name}"]\n`,
    );
    lines.push(`  ${b.name}: { dockerfile: Dockerfile.${b.name}, binaries: [${b.name}] }`);
  }
  lines.push(`groups: { all: [${SAMPLE_BINARIES.map((b) => b.name).join(', ')}] }`, '');
  await writeFile(path.join(targetsDir, 'images.yaml'), lines.join('\n'));
  const builds = SAMPLE_BINARIES.map((b) => `  - id: ${b.name}\n    main: ${b.package}\n    flags: ['-tags=${b.tags.join(',')}']`);
  await writeFile(path.join(koDir, '.ko.yaml'), `defaultBaseImage: ${base}\nbuilds:\n${builds.join('\n')}\n`);
}
