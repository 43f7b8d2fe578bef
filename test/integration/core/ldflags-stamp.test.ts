/**
 * Istio's stamps and tags through the real CLI and the real go: the sample, as a git checkout of
 * its own, built with the shipped graph. `go version -m` shows the tags and platform each binary
 * was built with (not its -ldflags: go leaves them out under -trimpath, as Istio builds), and the
 * binary's own `version -ojson` (arm64 under qemu) shows the seven pkg/version stamps.
 * And the git state itself, read as Istio's report_build_info.sh reads it.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { readGitStamp } from '../../../src/go/git-stamp.js';
import { NO_GIT } from '../../../src/go/ldflags.js';
import { runCli, type CliResult } from '../../support/cli.js';
import { copySample, requireArm64Emulation, useTempDirs } from './files.js';

const tempDir = useTempDirs('meshbuild-ldflags-');
const STANDARD_TAGS = 'vtprotobuf,disable_pgv';
const AGENT_TAGS = 'agent,disable_pgv,grpcnotrace,retrynotrace';

async function git(dir: string, ...args: string[]): Promise<string> {
  const result = await execa('git', ['-c', 'user.name=meshbuild test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false', ...args], {
    cwd: dir,
  });
  return result.stdout.trim();
}

/** A copy of the sample that is a git checkout: a tagged commit and one more after it. */
async function sampleCheckout(): Promise<string> {
  const source = await copySample(path.join(await tempDir(), 'mesh'));
  await git(source, 'init', '--quiet');
  await git(source, 'add', '.');
  await git(source, 'commit', '--quiet', '-m', 'sample');
  await git(source, 'tag', '1.29.0');
  await appendFile(path.join(source, 'README.md'), '\nOne more commit.\n');
  await git(source, 'commit', '--quiet', '-am', 'after the tag');
  return source;
}

/** The `build` lines of `go version -m`: `-tags`, `-trimpath`, `GOOS`, `GOARCH`, ... */
async function buildSettings(binary: string): Promise<Map<string, string>> {
  const { stdout } = await execa('go', ['version', '-m', binary]);
  const settings = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^\s+build\s+([^=]+)=(.*)$/.exec(line);
    if (match) settings.set(match[1]!, match[2]!.replace(/^"(.*)"$/, '$1'));
  }
  return settings;
}

describe('meshbuild build with the shipped graph, on a git checkout of the sample', () => {
  let source: string;
  let out: string;
  let revision: string;
  let result: CliResult;

  beforeAll(async () => {
    source = await sampleCheckout();
    revision = await git(source, 'rev-parse', 'HEAD');
    out = path.join(await tempDir(), 'out');
    result = await runCli([
      'build',
      'binary:pilot-discovery',
      'binary:pilot-agent',
      '--binaries-only',
      '--platforms',
      'amd64,arm64',
      '--source',
      source,
      '--hub',
      'reg.example/istio',
      '--tag',
      '1.29.1',
      '--out',
      out,
    ]);
  });

  it.each([
    ['amd64', 'pilot-discovery', STANDARD_TAGS],
    ['arm64', 'pilot-discovery', STANDARD_TAGS],
    ['amd64', 'pilot-agent', AGENT_TAGS],
    ['arm64', 'pilot-agent', AGENT_TAGS],
  ])('linux/%s %s is built with Istio’s tags and carries all seven pkg/version stamps', async (arch, name, tags) => {
    expect(result.exitCode, result.stderr).toBe(0);
    const binary = path.join(out, `linux_${arch}`, name);
    const settings = await buildSettings(binary);
    expect(settings.get('GOOS')).toBe('linux');
    expect(settings.get('GOARCH')).toBe(arch);
    expect(settings.get('-tags')).toBe(tags);
    expect(settings.get('-trimpath')).toBe('true');

    if (arch === 'arm64') requireArm64Emulation();
    const run = await execa(binary, ['version', '-ojson'], { reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      clientVersion: {
        version: '1.29.1',
        revision,
        status: 'Clean',
        tag: `1.29.0-1-g${revision.slice(0, 7)}`,
        golang_version: expect.stringMatching(/^go1\./),
        platform: `linux/${arch}`,
      },
      docker: { hub: 'reg.example/istio', tag: '1.29.1', os: 'linux', arch },
    });
  });

  it('relinks once the checkout has a new commit, and stamps the new revision', async () => {
    expect(result.exitCode, result.stderr).toBe(0);
    const args = ['build', 'binary:pilot-discovery', '--binaries-only', '--platforms', 'amd64', '--source', source, '--tag', '1.29.1', '--out', out];
    const hubless = await runCli(args);
    expect(hubless.exitCode, hubless.stderr).toBe(0);
    expect(hubless.stderr, 'the hub is part of the stamp').not.toMatch(/up to date/);
    const again = await runCli(args);
    expect(again.stderr).toMatch(/go:linux_amd64: up to date/);

    await git(source, 'commit', '--quiet', '--allow-empty', '-m', 'empty');
    const next = await git(source, 'rev-parse', 'HEAD');
    const relinked = await runCli(args);
    expect(relinked.exitCode, relinked.stderr).toBe(0);
    expect(relinked.stderr).not.toMatch(/up to date/);
    const run = await execa(path.join(out, 'linux_amd64', 'pilot-discovery'), ['version', '-o', 'json']);
    const stamped = JSON.parse(run.stdout) as { clientVersion: { revision: string }; docker: { hub: string } };
    expect(stamped.clientVersion.revision).toBe(next);
    expect(stamped.docker.hub).toBe('');
  });
});

describe('readGitStamp', () => {
  it('a clean checkout: HEAD, Clean, git describe', async () => {
    const source = await sampleCheckout();
    const head = await git(source, 'rev-parse', 'HEAD');
    expect(await readGitStamp(source)).toEqual({ revision: head, status: 'Clean', tag: `1.29.0-1-g${head.slice(0, 7)}` });
  });

  it('an untracked file makes the revision -dirty but leaves it Clean; a changed tracked file makes it Modified', async () => {
    const source = await sampleCheckout();
    const head = await git(source, 'rev-parse', 'HEAD');
    await writeFile(path.join(source, 'untracked.txt'), 'new');
    expect(await readGitStamp(source)).toMatchObject({ revision: `${head}-dirty`, status: 'Clean' });
    await appendFile(path.join(source, 'go.mod'), '\n');
    expect(await readGitStamp(source)).toMatchObject({ revision: `${head}-dirty`, status: 'Modified' });
  });

  it('outside a checkout: unknown, Modified, unknown', async () => {
    expect(await readGitStamp(await tempDir())).toEqual(NO_GIT);
  });
});
