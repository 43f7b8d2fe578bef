/**
 * The native builder against buildx, file by file: every image of the shipped graph is built by
 * both (same tag, same platforms, SOURCE_DATE_EPOCH unset, one --out so they copy the same
 * binaries) into OCI layouts, and per platform the merged file trees (type, mode, owner, link
 * target, content) and the run-time config must be equal. test/fixtures/native/features adds
 * what the shipped Dockerfiles do not use: --chown, --chmod, folders with symlinks, ENV forms,
 * WORKDIR, EXPOSE with a protocol, VOLUME, STOPSIGNAL, a CMD inherited then dropped.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { differences, readLayoutImage, requireStack, type PlatformImage } from './native-support.js';

const TAG = '1.0.0-equal';
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const SHIPPED = ['base', 'distroless', 'pilot', 'proxyv2', 'istioctl', 'install-cni', 'app', 'ext-authz'];
const FEATURES = path.join('test', 'fixtures', 'native', 'features');

async function buildBoth(tmp: string, name: string, args: string[]): Promise<{ native: string; buildx: string }> {
  const out = path.join(tmp, `${name}-out`);
  const dirs = { native: path.join(tmp, `${name}-native`), buildx: path.join(tmp, `${name}-buildx`) };
  for (const builder of ['native', 'buildx'] as const) {
    const result = await runCli([...args, '--builder', builder, '--platforms', 'amd64,arm64', '--tag', TAG, '--out', out, '--output', `oci:${dirs[builder]}`], {
      env: { SOURCE_DATE_EPOCH: undefined },
    });
    if (result.exitCode !== 0) throw new Error(`meshbuild ${args.join(' ')} --builder ${builder} failed (exit ${result.exitCode}):\n${result.stderr}`);
  }
  return dirs;
}

describe('native and buildx images are the same, file by file', () => {
  let tmp: string;
  const images = new Map<string, { native: Map<string, PlatformImage>; buildx: Map<string, PlatformImage> }>();

  beforeAll(async () => {
    await requireStack();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-native-equal-'));
    const shipped = await buildBoth(tmp, 'shipped', ['all']);
    for (const image of SHIPPED) {
      images.set(image, { native: await readLayoutImage(shipped.native, `${image}:${TAG}`), buildx: await readLayoutImage(shipped.buildx, `${image}:${TAG}`) });
    }
    const features = await buildBoth(tmp, 'features', ['build', 'features', '--targets', FEATURES]);
    for (const image of ['feature-base', 'features']) {
      images.set(image, {
        native: await readLayoutImage(features.native, `${image}:${TAG}`),
        buildx: await readLayoutImage(features.buildx, `${image}:${TAG}`),
      });
    }
  }, 1_200_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  describe.each([...SHIPPED, 'feature-base', 'features'])('%s', (image) => {
    it('lists the same platforms, linux/amd64 and linux/arm64', () => {
      const built = images.get(image)!;
      expect([...built.native.keys()].sort()).toEqual(PLATFORMS);
      expect([...built.buildx.keys()].sort()).toEqual(PLATFORMS);
    });

    it.each(PLATFORMS)(
      '%s: same files (type, mode, uid, gid, link, sha256) and same config (entrypoint, cmd, env, user, workdir, labels, ports, volumes, stop signal, os, arch, variant)',
      (platform) => {
        const built = images.get(image)!;
        const native = built.native.get(platform)!;
        const buildx = built.buildx.get(platform)!;
        expect(differences(native, buildx)).toEqual([]);
        // Not two empty images agreeing: the comparison saw real files and settings.
        expect(native.tree.size).toBeGreaterThanOrEqual(2);
        expect(native.config.architecture).toBe(platform.split('/')[1]);
        expect(native.config.os).toBe('linux');
      },
    );
  });

  it('the comparison covers what the features fixture sets up', () => {
    const features = images.get('features')!.native.get('linux/arm64')!;
    expect(features.config).toMatchObject({
      Entrypoint: ['/usr/local/bin/run'],
      Cmd: ['/bin/sh', '-c', 'run --serve'],
      User: '1337:1337',
      WorkingDir: '/srv/app/data',
      ExposedPorts: ['53/udp', '8080/tcp'],
      Volumes: ['/srv/app/data'],
      StopSignal: 'SIGQUIT',
    });
    expect(features.config.Env).toEqual(
      expect.arrayContaining([
        'PATH=/usr/local/bin:/bin:/srv/app/bin',
        'GREETING_TEXT=hello world',
        'LEGACY_FORM=a value with spaces',
        'FINAL_GREETING=hello world',
        'BASE_ONLY=from-base',
      ]),
    );
    expect(features.config.Labels).toMatchObject({
      'org.example.arch': 'arm64',
      'org.example.platform': 'linux/arm64',
      'org.example.flavour': 'plain',
      'org.example.layer': 'base',
    });
    expect(features.tree.get('srv/app/docs/readme.txt')).toMatchObject({ type: 'file', mode: '640', uid: 1337, gid: 1338 });
    expect(features.tree.get('usr/local/bin/run')).toMatchObject({ type: 'file', mode: '755', uid: 0, gid: 0 });
    expect(features.tree.get('srv/app/conf/current.yaml')).toMatchObject({ type: 'symlink', link: 'app.yaml' });
    expect(features.tree.get('srv/app/both/run.sh')?.type).toBe('file');

    const installCni = images.get('install-cni')!.native.get('linux/amd64')!;
    expect(installCni.config.Env).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/cni/bin');
    expect(installCni.config.WorkingDir).toBe('/opt/cni/bin');
  });
});
