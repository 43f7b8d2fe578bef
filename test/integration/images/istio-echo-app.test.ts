/**
 * Istio 1.29.1's pkg/test/echo/docker/Dockerfile.app, unchanged, built by meshbuild for
 * linux/amd64 and linux/arm64 on the stand-ins scripts/stand-in-bases pushes to the local registry
 * (`FROM ${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION}` with both given by --build-arg). Its
 * `RUN useradd -m --uid 1338 application` sends it to buildx, which runs the arm64 RUN under
 * qemu. No image of the graph stands for that base: meshbuild reads it through its own registry
 * client and hands it to BuildKit as a named context, so the Docker Engine pulls nothing. The
 * client and server binaries are stand-ins (test/fixtures/images/stand-in-binaries); the DNS
 * certificate and key are made for the test, in its temp folder.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, type CliResult } from '../../support/cli.js';
import {
  docker,
  elfMachine,
  entryPlatform,
  EXPECTED_ELF_MACHINE,
  getBlob,
  getManifest,
  OCI_INDEX,
  readFileFromImage,
  removeLocalImages,
  requireDocker,
  uniqueNamespace,
  type IndexEntry,
  pushStandInBases,
} from '../../support/images.js';
import { freePort, localRegistry } from '../../support/registry.js';

const TAG = 'echo-app';
const BASE_TAG = 'stand-in';
const ARCHES = ['amd64', 'arm64'];
const SOURCE = path.join(REPO_ROOT, 'test', 'fixtures', 'images', 'stand-in-binaries');
const DOCKERFILE = path.join(REPO_ROOT, 'test', 'fixtures', 'dockerfiles', 'istio-1.29.1', 'pkg_test_echo_docker_Dockerfile.app');

describe("Istio's echo Dockerfile.app on the stand-in base, --platforms amd64,arm64", () => {
  let registry: string;
  let namespace: string;
  let tmp: string | undefined;
  let run: CliResult;
  const pulled: string[] = [];

  beforeAll(async () => {
    registry = await localRegistry();
    await requireDocker();
    namespace = uniqueNamespace('echo-app');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-echo-app-'));

    await pushStandInBases(`${registry}/${namespace}-bases`, BASE_TAG);

    const targets = path.join(tmp, 'targets');
    await mkdir(path.join(targets, 'dns'), { recursive: true });
    await copyFile(DOCKERFILE, path.join(targets, 'Dockerfile.app'));
    const cert = await execa(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=echo.test',
        '-keyout',
        path.join(targets, 'dns', 'key.pem'),
        '-out',
        path.join(targets, 'dns', 'cert-chain.pem'),
      ],
      { reject: false, all: true },
    );
    if (cert.exitCode !== 0) throw new Error(`openssl could not make the test certificate (exit ${String(cert.exitCode)}):\n${String(cert.all)}`);
    await writeFile(
      path.join(targets, 'images.yaml'),
      [
        'binaries:',
        '  client: { package: ./client }',
        '  server: { package: ./server }',
        'images:',
        '  app:',
        '    dockerfile: Dockerfile.app',
        '    binaries: [client, server]',
        '    files: [{ path: dns, to: dns }]',
        'groups: { all: [app] }',
        '',
      ].join('\n'),
    );
    run = await runCli([
      'all',
      '--targets',
      targets,
      '--source',
      SOURCE,
      '--platforms',
      'amd64,arm64',
      '--hub',
      `${registry}/${namespace}`,
      '--tag',
      TAG,
      '--push',
      '--build-arg',
      `ISTIO_BASE_REGISTRY=${registry}/${namespace}-bases`,
      '--build-arg',
      `BASE_VERSION=${BASE_TAG}`,
      '--out',
      path.join(tmp, 'out'),
    ]);
    if (run.exitCode !== 0) throw new Error(`meshbuild all failed (exit ${run.exitCode}):\n${run.stderr}`);
  }, 900_000);

  afterAll(async () => {
    await removeLocalImages(pulled);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('goes to buildx (the Dockerfile has RUN)', async () => {
    const plan = await runCli(['plan', '--targets', path.join(tmp!, 'targets'), '--source', SOURCE, '--platforms', 'amd64,arm64', '--json']);
    expect(plan.exitCode, plan.stderr).toBe(0);
    const jobs = (JSON.parse(plan.stdout) as { jobs: Array<{ kind: string; image?: string; builder?: string }> }).jobs;
    expect(jobs.find((j) => j.kind === 'image-build' && j.image === 'app')?.builder).toBe('buildx');
  });

  it.each(ARCHES)(
    'linux/%s: in the pushed index; User 1338; /etc/passwd of the top layers has application; client and server of that machine',
    async (arch) => {
      const repository = `${namespace}/app`;
      const index = await getManifest(registry, repository, TAG, OCI_INDEX);
      const entries = (index.json.manifests as IndexEntry[]).filter((m) => entryPlatform(m) !== 'unknown/unknown');
      expect(entries.map(entryPlatform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
      const entry = entries.find((m) => entryPlatform(m) === `linux/${arch}`)!;
      const manifest = await getManifest(registry, repository, entry.digest, entry.mediaType);
      const configDescriptor = manifest.json.config as IndexEntry;
      const config = JSON.parse((await getBlob(registry, repository, configDescriptor.digest)).toString('utf8')) as {
        architecture: string;
        config: { User?: string; Entrypoint?: string[] };
      };
      expect(config.architecture).toBe(arch);
      expect(config.config.User).toBe('1338');
      expect(config.config.Entrypoint).toEqual(['/usr/local/bin/server']);

      const layers = (manifest.json.layers as IndexEntry[]).map((layer) => () => getBlob(registry, repository, layer.digest));
      const passwd = await readFileFromImage(layers, 'etc/passwd', 64 * 1024);
      expect(passwd, `/etc/passwd in app linux/${arch}`).toBeDefined();
      expect(passwd!.bytes.toString('utf8').split('\n')).toContain('application:x:1338:1338::/home/application:/bin/sh');
      // The base's layers, then one per COPY (4) and the RUN's on top, which has /etc/passwd.
      // (Not compared by digest with the base's: buildx's rewrite-timestamp writes every layer anew.)
      const baseIndex = await getManifest(registry, `${namespace}-bases/base`, BASE_TAG, OCI_INDEX);
      const baseEntry = (baseIndex.json.manifests as IndexEntry[]).find((m) => entryPlatform(m) === `linux/${arch}`)!;
      const baseManifest = await getManifest(registry, `${namespace}-bases/base`, baseEntry.digest, baseEntry.mediaType);
      const baseLayers = (baseManifest.json.layers as IndexEntry[]).length;
      expect(baseLayers).toBeGreaterThan(0);
      expect(layers.length).toBe(baseLayers + 5);
      expect(passwd!.layer).toBe(layers.length - 1);

      for (const binary of ['usr/local/bin/client', 'usr/local/bin/server']) {
        const found = await readFileFromImage(layers, binary);
        expect(found, `${binary} in app linux/${arch}`).toBeDefined();
        expect(elfMachine(found!.bytes), `${binary} in app linux/${arch}`).toBe(EXPECTED_ELF_MACHINE[arch]);
      }
      const cert = await readFileFromImage(layers, 'cert.crt', 64 * 1024);
      expect(cert?.bytes.toString('utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    },
  );

  it.each(ARCHES)('runs as linux/%s: the server, as user 1338, whose home useradd made', async (arch) => {
    const ref = `${registry}/${namespace}/app:${TAG}`;
    pulled.push(ref);
    const server = await docker(['run', '--rm', '--pull', 'always', '--platform', `linux/${arch}`, ref]);
    expect(server.exitCode, server.stderr).toBe(0);
    expect(server.stdout).toBe(`echo server linux/${arch} uid=1338`);
    const shell = await docker(['run', '--rm', '--platform', `linux/${arch}`, '--entrypoint', 'sh', ref, '-c', 'id; ls -dn /home/application; uname -m']);
    expect(shell.exitCode, shell.stderr).toBe(0);
    expect(shell.stdout.split('\n')).toEqual([
      'uid=1338(application) gid=1338(application) groups=1338(application)',
      expect.stringMatching(/^drwx\S+\s+\d+\s+1338\s+1338\s.*\/home\/application$/),
      arch === 'amd64' ? 'x86_64' : 'aarch64',
    ]);
  });

  it('reads a base from a plain-HTTP registry that is not on loopback (--insecure-registry), which the Docker Engine refuses', async () => {
    // A second registry on this machine's first non-loopback IPv4 address: the Docker Engine
    // reaches only loopback registries over plain HTTP unless its daemon.json says otherwise.
    const address = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
    if (address === undefined) throw new Error('this machine has no non-loopback IPv4 address to serve a plain-HTTP registry on');
    const port = await freePort();
    const host = `${address}:${port}`;
    const dir = path.join(tmp!, 'insecure-registry');
    await mkdir(dir);
    await writeFile(
      path.join(dir, 'config.yml'),
      ['version: 0.1', 'log: { level: error }', 'storage:', `  filesystem: { rootdirectory: ${path.join(dir, 'data')} }`, 'http:', `  addr: ${host}`, ''].join(
        '\n',
      ),
    );
    const child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      let status: number | undefined;
      for (let attempt = 0; attempt < 100 && status !== 200 && child.exitCode === null; attempt++) {
        status = await fetch(`http://${host}/v2/`).then(
          (r) => r.status,
          () => undefined,
        );
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (status !== 200) throw new Error(`docker-registry did not start on ${host} (exit ${String(child.exitCode)})`);

      const mirror = await runCli([
        'mirror',
        `${registry}/${namespace}-bases/base:${BASE_TAG}`,
        `${host}/bases`,
        '--insecure-registry',
        host,
        '--out',
        path.join(tmp!, 'mirror-out'),
      ]);
      expect(mirror.exitCode, mirror.stderr).toBe(0);
      // What BuildKit in the Docker Engine does with that FROM by itself.
      await writeFile(path.join(dir, 'Dockerfile'), `FROM ${host}/bases/base:${BASE_TAG}\nRUN true\n`);
      const plain = await docker(['buildx', 'build', '--platform', 'linux/amd64', '--output', 'type=cacheonly', '--progress', 'plain', dir]);
      expect(plain.exitCode).not.toBe(0);
      expect(plain.stderr).toContain('server gave HTTP response to HTTPS client');

      const build = await runCli([
        'all',
        '--targets',
        path.join(tmp!, 'targets'),
        '--source',
        SOURCE,
        '--platforms',
        'amd64,arm64',
        '--hub',
        `${registry}/${namespace}-insecure`,
        '--tag',
        TAG,
        '--push',
        '--insecure-registry',
        host,
        '--build-arg',
        `ISTIO_BASE_REGISTRY=${host}/bases`,
        '--build-arg',
        `BASE_VERSION=${BASE_TAG}`,
        '--out',
        path.join(tmp!, 'insecure-out'),
      ]);
      expect(build.exitCode, build.stderr).toBe(0);
      const index = await getManifest(registry, `${namespace}-insecure/app`, TAG, OCI_INDEX);
      expect((index.json.manifests as IndexEntry[]).map(entryPlatform).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 600_000);

  it("read the base through meshbuild's registry client, for both platforms (not pulled by the Docker Engine)", () => {
    expect(run.stderr).toContain(`reading base ${registry}/${namespace}-bases/base:${BASE_TAG} (linux/amd64, linux/arm64) from its registry`);
  });
});
