/**
 * ldflags placeholders: what each becomes for one binary on one platform, what the shipped graph
 * stamps (Istio's seven pkg/version variables) and with which tags, an unknown placeholder as a
 * usage error at its file:line:col, and the up-to-date stamp seeing a new git revision. Pure, or
 * temp files only: no git, no go.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { EXIT_USAGE, MeshbuildError } from '../../../src/errors.js';
import { goBuildFingerprint } from '../../../src/go/go-freshness.js';
import { LDFLAGS_PLACEHOLDERS, NO_GIT, expandLdflags, unknownLdflagsPlaceholders, type GitStamp } from '../../../src/go/ldflags.js';
import { goBuildArgs } from '../../../src/go/go-build.js';
import { createPlan } from '../../../src/plan/plan.js';
import type { GoBuildJob } from '../../../src/plan/types.js';
import { formatPlatform, parsePlatform, type Platform } from '../../../src/platform.js';
import { STACK_FRAME, runCli } from '../../support/cli.js';
import { loadShippedGraph, planRequest } from './shipped-graph.js';

const platform = (text: string): Platform => {
  const parsed = parsePlatform(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.platform;
};

const GIT: GitStamp = { revision: '0123456789abcdef0123456789abcdef01234567', status: 'Clean', tag: '1.29.1-3-g0123456' };
const STANDARD_TAGS = ['vtprotobuf', 'disable_pgv'];
const AGENT_TAGS = ['agent', 'disable_pgv', 'grpcnotrace', 'retrynotrace'];

describe('expandLdflags', () => {
  it('fills every placeholder for the binary’s platform, the source’s git state and the first hub', () => {
    const flag = '-X v={version} -X os={os} -X arch={arch} -X rev={git.revision} -X st={git.status} -X tag={git.tag} -X hub={hub}';
    expect(expandLdflags(flag, { version: '1.29.1', platform: platform('linux/arm64'), git: GIT, hub: 'reg.example/istio' })).toBe(
      `-X v=1.29.1 -X os=linux -X arch=arm64 -X rev=${GIT.revision} -X st=Clean -X tag=1.29.1-3-g0123456 -X hub=reg.example/istio`,
    );
    expect(expandLdflags('{os}_{arch} {os}', { version: 'v', platform: platform('windows/amd64'), git: GIT, hub: '' })).toBe('windows_amd64 windows');
  });

  it('outside a git checkout stamps what Istio’s report_build_info.sh stamps: unknown, Modified', () => {
    expect(expandLdflags('{git.revision} {git.status} {git.tag} [{hub}]', { version: 'v', platform: platform('linux/amd64'), git: NO_GIT, hub: '' })).toBe(
      'unknown Modified unknown []',
    );
  });

  it('knows exactly the seven placeholders, and finds the others with their place', () => {
    expect(LDFLAGS_PLACEHOLDERS).toEqual(['version', 'os', 'arch', 'git.revision', 'git.status', 'git.tag', 'hub']);
    expect(unknownLdflagsPlaceholders('-X a={version} -X b={git.sha} -X c={Version} {}')).toEqual([
      { name: '{git.sha}', index: 20 },
      { name: '{Version}', index: 35 },
      { name: '{}', index: 45 },
    ]);
    expect(unknownLdflagsPlaceholders('-s -w -X a={os}')).toEqual([]);
  });
});

describe('the shipped graph', () => {
  const graph = loadShippedGraph();
  const plan = createPlan(graph, planRequest({ hubs: ['reg.example/istio/'], git: GIT, version: '1.29.1', tags: ['1.29.1'] }));
  const builds = plan.jobs.filter((j): j is GoBuildJob => j.kind === 'go-build');

  it('stamps all seven of Istio’s pkg/version variables, with each job’s own os and arch', () => {
    expect(builds.length).toBeGreaterThan(0);
    for (const build of builds) {
      const x = (name: string, value: string) => `-X istio.io/istio/pkg/version.${name}=${value}`;
      expect(build.ldflags, build.id).toBe(
        [
          '-s -w',
          x('buildVersion', '1.29.1'),
          x('buildGitRevision', GIT.revision),
          x('buildStatus', 'Clean'),
          x('buildTag', GIT.tag),
          x('buildHub', 'reg.example/istio'),
          x('buildOS', build.platform.os),
          x('buildArch', build.platform.architecture),
        ].join(' '),
      );
    }
    expect(new Set(builds.map((b) => formatPlatform(b.platform)))).toEqual(new Set(['linux/amd64', 'linux/arm64']));
  });

  it('sets Istio’s build tags: STANDARD_TAGS, and AGENT_TAGS for pilot-agent and the CNI binaries', () => {
    const tagsOf = new Map<string, string[]>();
    for (const build of builds) for (const binary of build.binaries) tagsOf.set(binary.name, build.tags);
    for (const name of ['pilot-discovery', 'istioctl', 'client', 'server', 'extauthz']) expect(tagsOf.get(name), name).toEqual(STANDARD_TAGS);
    for (const name of ['pilot-agent', 'install-cni', 'istio-cni']) expect(tagsOf.get(name), name).toEqual(AGENT_TAGS);
    const amd64 = builds.find((b) => b.binaries.some((x) => x.name === 'pilot-agent') && b.platform.architecture === 'amd64')!;
    expect(goBuildArgs(amd64, '/o')).toEqual(expect.arrayContaining(['-tags', AGENT_TAGS.join(','), '-ldflags', amd64.ldflags]));
  });

  it('without a git state in the request, plans as outside a checkout', () => {
    const bare = createPlan(graph, planRequest({ targets: ['binary:pilot-discovery'], binariesOnly: true, output: null }));
    const build = bare.jobs.find((j): j is GoBuildJob => j.kind === 'go-build')!;
    expect(build.ldflags).toContain('version.buildGitRevision=unknown -X istio.io/istio/pkg/version.buildStatus=Modified');
    expect(build.ldflags).toContain('version.buildHub= ');
  });
});

describe('an unknown placeholder in a targets file', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('is a usage error (exit 2) at its file:line:col, naming the known placeholders; every one is reported', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'meshbuild-ldflags-'));
    dirs.push(dir);
    await mkdir(path.join(dir, 'cmd', 'tool'), { recursive: true });
    await writeFile(
      path.join(dir, 'targets.yaml'),
      [
        'defaults:',
        '  goLdflags:',
        '    - -s -w',
        '    - -X main.rev={git.sha}',
        'binaries:',
        '  tool:',
        '    package: ./cmd/tool',
        '    ldflags: ["-X main.os={os}", "-X main.who={user}"]',
        '',
      ].join('\n'),
    );
    let error: unknown;
    try {
      loadConfig({ targetsDir: dir, sourceDir: dir });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MeshbuildError);
    const usage = error as MeshbuildError;
    expect(usage.exitCode).toBe(EXIT_USAGE);
    expect(usage.message).toBe(
      'unknown placeholder {git.sha} in goLdflags of "defaults" (known: {version}, {os}, {arch}, {git.revision}, {git.status}, {git.tag}, {hub})',
    );
    expect(usage.location).toMatchObject({ line: 4, column: 7 });
    expect(usage.location?.file).toMatch(/targets\.yaml$/);
    expect(usage.diagnostics.map((d) => [d.message.replace(/ \(known: .*\)$/, ''), d.location?.line, d.location?.column])).toEqual([
      ['unknown placeholder {user} in ldflags of binary "tool"', 8, 34],
    ]);
  });

  it('through the CLI: exit 2, file:line:col in the message, no stack trace', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'meshbuild-ldflags-'));
    dirs.push(dir);
    await mkdir(path.join(dir, 'cmd', 'tool'), { recursive: true });
    await writeFile(
      path.join(dir, 'targets.yaml'),
      ['binaries:', '  tool:', '    package: ./cmd/tool', '    ldflags:', '      - -X main.rev={git.sha}', ''].join('\n'),
    );
    const result = await runCli(['plan', '--targets', dir, '--source', dir, '--tag', 't']);
    expect(result.exitCode).toBe(EXIT_USAGE);
    expect(result.stderr).toMatch(/targets\.yaml:5:9\b.*unknown placeholder \{git\.sha\} in ldflags of binary "tool" \(known: \{version\}, /);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });
});

describe('the up-to-date fingerprint', () => {
  it('holds the expanded ldflags: a new git revision relinks, the same one does not', () => {
    const graph = loadShippedGraph();
    const jobAt = (revision: string) => {
      const request = planRequest({
        targets: ['binary:pilot-discovery'],
        platforms: [platform('linux/amd64')],
        binariesOnly: true,
        output: null,
        git: { ...GIT, revision },
      });
      return createPlan(graph, request).jobs.find((j): j is GoBuildJob => j.kind === 'go-build')!;
    };
    const fingerprint = (revision: string) => goBuildFingerprint(jobAt(revision), { goVersion: 'go1.24', env: {} }, 'tree');
    expect(fingerprint('aaaa')).toBe(fingerprint('aaaa'));
    expect(fingerprint('bbbb')).not.toBe(fingerprint('aaaa'));
  });
});
