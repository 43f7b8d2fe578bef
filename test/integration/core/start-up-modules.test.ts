/**
 * What `meshbuild --version`, `--help` and `plan` load: no module of a command that is not run, and
 * none of the libraries that only running needs (execa, dockerode, semver). Read from the
 * files the real process resolves (Node module hooks), not from timings: the bundle's chunks,
 * each standing for the modules its metafile (dist/bundle/meta.json) says it holds. A build run
 * again with nothing changed loads neither yargs nor any command: its last run's stamp answers it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT, ensureDistBuilt } from '../../support/cli.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-start-up-');

const HOOKS = pathToFileURL(path.join(REPO_ROOT, 'test', 'support', 'module-log-hooks.mjs')).href;
const REGISTER = `data:text/javascript,import { register } from 'node:module'; register(${JSON.stringify(HOOKS)});`;

/** The source files (paths from the repository root) each file of the bundle holds. */
async function bundleInputs(): Promise<Map<string, string[]>> {
  const meta = JSON.parse(await readFile(path.join(REPO_ROOT, 'dist', 'bundle', 'meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return new Map(Object.entries(meta.outputs).map(([output, { inputs }]) => [path.join(REPO_ROOT, output), Object.keys(inputs)]));
}

/** Package names and dist/ modules the CLI loads for `args`: those it resolves, and those inside the bundle's chunks it resolves. */
async function loadedModules(args: string[]): Promise<{ packages: Set<string>; own: Set<string> }> {
  const run = await execa(process.execPath, ['--import', REGISTER, CLI_BIN, ...args], { cwd: REPO_ROOT, reject: false, env: { CI: '1' } });
  expect(run.exitCode, run.stderr).toBe(0);
  const inputs = await bundleInputs();
  const files = run.stderr
    .split('\n')
    .filter((line) => line.startsWith('module file:'))
    .map((line) => fileURLToPath(line.slice('module '.length)))
    .flatMap((file) => inputs.get(file) ?? [path.relative(REPO_ROOT, file)]);
  const packages = new Set(files.map((file) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1]).filter((name): name is string => name !== undefined));
  const own = new Set(files.map((file) => /^dist\/(.+)\.js$/.exec(file)?.[1]).filter((name): name is string => name !== undefined));
  return { packages, own };
}

const RUN_ONLY = ['execa', 'dockerode', 'semver'];

/** The command modules among `own` (cli/<name>-command; lazy-command is the loader itself). */
function commandModules(own: Set<string>): string[] {
  return [...own].filter((m) => /^cli\/.+-command$/.test(m) && m !== 'cli/lazy-command');
}

describe('start-up loads only what the command needs', () => {
  beforeAll(async () => {
    await ensureDistBuilt();
  });

  it('--version: no yargs, no command', async () => {
    const { packages, own } = await loadedModules(['--version']);
    expect([...packages]).toEqual([]);
    expect(commandModules(own)).toEqual([]);
  });

  it('--help: yargs, and no command module', async () => {
    const { packages, own } = await loadedModules(['--help']);
    expect(packages).toContain('yargs');
    for (const name of [...RUN_ONLY, 'js-yaml']) expect(packages).not.toContain(name);
    expect(commandModules(own)).toEqual([]);
  });

  it('plan: its own command module, the graph and planner; nothing that runs jobs', async () => {
    const { packages, own } = await loadedModules(['plan', '--source', path.join(REPO_ROOT, 'examples', 'mesh')]);
    for (const name of RUN_ONLY) expect(packages).not.toContain(name);
    expect(own).toContain('cli/plan-command');
    expect(own).toContain('plan/plan');
    expect(commandModules(own)).toEqual(['cli/plan-command']);
    for (const module of ['cli/execute', 'run/scheduler', 'registry/client', 'publish/publish']) expect(own).not.toContain(module);
  });

  it('a native image to a local OCI layout: neither the registry client nor the buildx session', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'targets', 'files'), { recursive: true });
    await writeFile(path.join(dir, 'targets', 'files', 'os-release'), 'NAME=start-up\n');
    await writeFile(path.join(dir, 'targets', 'Dockerfile.plain'), 'FROM scratch\nCOPY os-release /etc/os-release\n');
    await writeFile(
      path.join(dir, 'targets', 'images.yaml'),
      'images:\n  plain:\n    dockerfile: Dockerfile.plain\n    files: [{ path: files/os-release, to: os-release }]\ngroups: { all: [plain] }\n',
    );
    const args = ['all', '--targets', path.join(dir, 'targets'), '--source', dir, '--platforms', 'amd64,arm64', '--tag', 't'];
    const run = [...args, '--output', `oci:${path.join(dir, 'images')}`, '--out', path.join(dir, 'out')];
    const { own } = await loadedModules(run);
    expect(own).toContain('cli/execute');
    expect(own).toContain('image/native/native-builder');
    for (const module of ['registry/client', 'publish/registry-store', 'image/buildx-session', 'image/docker-preflight', 'report/trace-file']) {
      expect(own).not.toContain(module);
    }

    // Once inputs are two seconds old a run leaves a stamp; the same command line after it loads no library and no command.
    await sleep(2100);
    expect((await loadedModules(run)).own).toContain('cli/execute');
    const answered = await loadedModules(run);
    expect([...answered.packages]).toEqual([]);
    expect(answered.own).toContain('cli/unchanged-run');
    expect(commandModules(answered.own)).toEqual([]);
    for (const module of ['cli/execute', 'plan/plan', 'config/load-config']) expect(answered.own).not.toContain(module);
  });

  it('push: no signing, verifying or mirroring modules', async () => {
    const { own } = await loadedModules(['push', '--help']);
    expect(own).toContain('cli/push-command');
    expect([...own].filter((m) => m.startsWith('sign/') || m.startsWith('release/'))).toEqual([]);
  });

  it.each(['all', 'build', 'push', 'mirror', 'merge', 'release', 'verify'])('%s --help: nothing that starts processes', async (command) => {
    const { packages, own } = await loadedModules([command, '--help']);
    expect(packages).not.toContain('execa');
    expect(own).not.toContain('cli/execute');
  });
});
