/**
 * What goes wrong around multi-arch images, each against the real thing: no Docker daemon, no
 * buildx, a platform the builder cannot build, a registry that is not there or refuses the
 * credentials, a Dockerfile buildx refuses, and one broken image among good ones. Each failure
 * is one clear message with its exit code and no stack trace, and no tag of the run exists
 * afterwards.
 */
import { readdir, readFile, mkdtemp, rm, writeFile, chmod, mkdir, access, constants } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runSpawnedCli, STACK_FRAME, type CliResult } from '../../support/cli.js';
import {
  entryPlatform,
  errorLines,
  getManifest,
  listTags,
  manifestStatus,
  requireDocker,
  SHIPPED_BASES,
  SHIPPED_IMAGES,
  uniqueNamespace,
  uniqueTag,
  type IndexEntry,
  type RegistryAuth,
} from '../../support/images.js';
import { localRegistry, startAuthRegistry, type AuthRegistry } from '../../support/registry.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'images');
const SHIPPED_ALL = [...Object.keys(SHIPPED_IMAGES), ...SHIPPED_BASES];

let registry: string;
let tmp: string;

beforeAll(async () => {
  registry = await localRegistry();
  await requireDocker();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-images-errors-'));
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** One failure, said once: a single `error:` line and no JavaScript stack frame. */
function expectOneClearError(result: CliResult, pattern: RegExp): string {
  const output = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  expect(result.stderr, output).not.toMatch(STACK_FRAME);
  expect(result.stdout, output).not.toMatch(STACK_FRAME);
  expect(result.stderr, output).not.toMatch(/Internal error/);
  const lines = errorLines(result.stderr);
  expect(lines, output).toHaveLength(1);
  expect(result.stderr, output).toMatch(pattern);
  return lines[0]!;
}

/** No tag of the run in any of the images' repositories, however far the run got. */
async function expectNoTags(host: string, namespace: string, images: string[], tag: string, auth?: RegistryAuth): Promise<void> {
  for (const image of images) {
    expect(await manifestStatus(host, `${namespace}/${image}`, tag, auth), `${namespace}/${image}:${tag}`).toBe(404);
    expect(await listTags(host, `${namespace}/${image}`, auth), `${namespace}/${image}`).not.toContain(tag);
  }
}

/** `meshbuild all --push` of the shipped graph to a fresh namespace of the local registry. */
function pushArgs(namespace: string, tag: string, extra: string[] = []): string[] {
  return [
    'all',
    '--builder',
    'buildx',
    '--platforms',
    'amd64,arm64',
    '--hub',
    `${registry}/${namespace}`,
    '--tag',
    tag,
    '--push',
    '--out',
    path.join(tmp, `out-${namespace}`),
    ...extra,
  ];
}

/** The `docker` the tests' PATH finds. */
async function realDocker(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'docker');
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw new Error('docker is not on PATH: run scripts/env-up');
}

describe('the Docker daemon is not running', () => {
  it('exits 2 saying so and how to start it', async () => {
    const namespace = uniqueNamespace('nodaemon');
    const result = await runSpawnedCli(pushArgs(namespace, 'e1'), { env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
    expect(result.exitCode, result.stderr).toBe(2);
    const line = expectOneClearError(result, /hint: .*start/);
    expect(line).toMatch(/Docker daemon is not running/);
    expect(result.stderr, result.stderr).toMatch(/scripts\/env-up|dockerd/);
    await expectNoTags(registry, namespace, SHIPPED_ALL, 'e1');
  });
});

describe('buildx is missing', () => {
  it('exits 2 saying buildx is missing', async () => {
    const shimDir = path.join(tmp, 'no-buildx');
    await mkdir(shimDir, { recursive: true });
    const shim = path.join(shimDir, 'docker');
    // Docker's own words for an unknown command, and its exit code; everything else is the real docker.
    await writeFile(
      shim,
      [
        '#!/bin/sh',
        'if [ "$1" = buildx ]; then',
        `  echo "docker: 'buildx' is not a docker command." >&2`,
        `  echo "See 'docker --help'" >&2`,
        '  exit 1',
        'fi',
        `exec '${await realDocker()}' "$@"`,
        '',
      ].join('\n'),
    );
    await chmod(shim, 0o755);
    const namespace = uniqueNamespace('nobuildx');
    const result = await runSpawnedCli(pushArgs(namespace, 'e2'), { env: { PATH: `${shimDir}${path.delimiter}${process.env.PATH ?? ''}` } });
    expect(result.exitCode, result.stderr).toBe(2);
    const line = expectOneClearError(result, /hint: .*buildx/);
    expect(line).toMatch(/buildx is not installed/);
    await expectNoTags(registry, namespace, SHIPPED_ALL, 'e2');
  });
});

describe('a platform the builder cannot build', () => {
  it('exits 2 naming linux/s390x', async () => {
    const namespace = uniqueNamespace('s390x');
    const result = await runSpawnedCli(pushArgs(namespace, 'e3').map((a) => (a === 'amd64,arm64' ? 'linux/s390x' : a)));
    expect(result.exitCode, result.stderr).toBe(2);
    const line = expectOneClearError(result, /hint: /);
    expect(line).toMatch(/has no running node that can build linux\/s390x/);
    await expectNoTags(registry, namespace, SHIPPED_ALL, 'e3');
  });
});

describe('the registry is unreachable', () => {
  it('fails naming the registry', async () => {
    const result = await runSpawnedCli([
      'all',
      '--builder',
      'buildx',
      '--platforms',
      'amd64,arm64',
      '--hub',
      '127.0.0.1:1/x',
      '--tag',
      uniqueTag('e'),
      '--push',
      '--out',
      path.join(tmp, 'out-unreachable'),
    ]);
    expect(result.exitCode, result.stderr).not.toBe(0);
    expectOneClearError(result, /cannot reach registry 127\.0\.0\.1:1\b/);
    // Nothing listens on 127.0.0.1:1, so nothing can have been published there.
  });
});

describe('the registry refuses the credentials', () => {
  let auth: AuthRegistry;

  beforeAll(async () => {
    auth = await startAuthRegistry();
  });

  afterAll(async () => {
    await auth?.stop();
  });

  it('fails naming the registry, and the secrets appear nowhere', async () => {
    const wrongPassword = `wrong-${uniqueTag('pw')}`;
    const encoded = Buffer.from(`${auth.username}:${wrongPassword}`).toString('base64');
    const configDir = path.join(tmp, 'docker-config');
    await mkdir(configDir, { recursive: true });
    await writeFile(path.join(configDir, 'config.json'), JSON.stringify({ auths: { [auth.address]: { auth: encoded } } }));
    const namespace = uniqueNamespace('auth');
    const reportFile = path.join(tmp, 'auth-report.json');
    const result = await runSpawnedCli(
      [
        'all',
        '--builder',
        'buildx',
        '--platforms',
        'amd64,arm64',
        '--hub',
        `${auth.address}/${namespace}`,
        '--tag',
        'e5',
        '--push',
        '--report',
        reportFile,
        '--out',
        path.join(tmp, 'out-auth'),
      ],
      { env: { DOCKER_CONFIG: configDir } },
    );
    expect(result.exitCode, result.stderr).not.toBe(0);
    expectOneClearError(result, new RegExp(`registry ${auth.address.replace(/\./g, '\\.')} rejected the credentials`));
    const report = await readFile(reportFile, 'utf8');
    for (const [name, text] of [
      ['stdout', result.stdout],
      ['stderr', result.stderr],
      ['report', report],
    ] as const) {
      expect(text, name).not.toContain(wrongPassword);
      expect(text, name).not.toContain(encoded);
      expect(text, name).not.toContain(auth.password);
    }
    await expectNoTags(auth.address, namespace, SHIPPED_ALL, 'e5', { username: auth.username, password: auth.password });
  });
});

describe('--builder buildx with targets that do not load', () => {
  it('exits 2 naming the file and line, with no word of docker and no docker process left', async () => {
    // The builder is inspected while the targets load; a named builder marks this run's docker processes.
    const builderName = `meshbuild-early-${process.pid}`;
    const result = await runSpawnedCli([
      'all',
      '--builder',
      'buildx',
      '--builder-name',
      builderName,
      '--targets',
      path.join(REPO_ROOT, 'test', 'fixtures', 'targets', 'unknown-key'),
      '--platforms',
      'amd64',
      '--out',
      path.join(tmp, 'out-early'),
    ]);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/binaries\.yaml:5:5: unknown key "pakage"/);
    expect(result.stderr).not.toMatch(/docker|buildx/i);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    const processes = await execa('ps', ['-eo', 'args'], { reject: false });
    expect(processes.stdout.split('\n').filter((line) => line.includes(builderName))).toEqual([]);
  });
});

describe('a Dockerfile buildx refuses', () => {
  it.each([
    ['dockerfile-missing-file', /"\/not-in-context\.txt": not found/],
    ['dockerfile-syntax-error', /dockerfile parse error on line 3: unknown instruction: COPPY/],
  ])("%s: exits 1 naming the image, with buildx's own message", async (fixture, buildxMessage) => {
    const namespace = uniqueNamespace('dockerfile');
    const result = await runSpawnedCli(pushArgs(namespace, 'e6', ['--targets', path.join(FIXTURES, fixture)]));
    expect(result.exitCode, result.stderr).toBe(1);
    expectOneClearError(result, buildxMessage);
    expect(result.stderr, result.stderr).toMatch(/docker buildx bake failed for image broken \(target broken, linux\/(amd64|arm64)/);
    expect(errorLines(result.stderr)[0]).toMatch(/broken/);
    await expectNoTags(registry, namespace, ['broken'], 'e6');
  });
});

describe('--keep-going with one broken image', () => {
  it('exits 1, keeps the good image by digest, and writes no tag for either', async () => {
    const namespace = uniqueNamespace('keepgoing');
    const out = path.join(tmp, 'out-keep-going');
    const reportFile = path.join(tmp, 'keep-going-report.json');
    const result = await runSpawnedCli([
      'all',
      '--builder',
      'buildx',
      '--targets',
      path.join(FIXTURES, 'keep-going'),
      '--platforms',
      'amd64,arm64',
      '--hub',
      `${registry}/${namespace}`,
      '--tag',
      'e7',
      '--push',
      '--keep-going',
      '--report',
      reportFile,
      '--out',
      out,
    ]);
    expect(result.exitCode, result.stderr).toBe(1);
    expectOneClearError(result, /docker buildx bake failed for image broken \(target broken, linux\/(amd64|arm64)/);

    const report = JSON.parse(await readFile(reportFile, 'utf8')) as {
      ok: boolean;
      jobs: Array<{ id: string; kind: string; status: string }>;
      images: unknown[];
    };
    const status = (id: string) => report.jobs.find((j) => j.id === id)?.status;
    expect(report.ok).toBe(false);
    expect(status('image:good')).toBe('succeeded');
    expect(status('image:broken')).toBe('failed');
    expect(report.jobs.filter((j) => j.kind === 'publish').map((j) => j.status)).toEqual(['skipped']);
    expect(report.images).toEqual([]);

    // The good image's index, as buildx wrote it under <out>/build/, is in the registry by digest.
    const buildDir = (await readdir(path.join(out, 'build'))).find((name) => /good$/.test(name));
    expect(buildDir).toBeDefined();
    const layoutIndex = JSON.parse(await readFile(path.join(out, 'build', buildDir!, 'index.json'), 'utf8')) as { manifests: IndexEntry[] };
    const digest = layoutIndex.manifests[0]!.digest;
    const stored = await getManifest(registry, `${namespace}/good`, digest);
    expect(stored.digest).toBe(digest);
    expect((stored.json.manifests as IndexEntry[]).map(entryPlatform).sort()).toEqual(['linux/amd64', 'linux/arm64']);

    await expectNoTags(registry, namespace, ['good', 'broken'], 'e7');
    expect(await listTags(registry, `${namespace}/good`)).toEqual([]);
  });
});
