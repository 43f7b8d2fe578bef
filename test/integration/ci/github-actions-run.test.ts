/**
 * docs/github-actions.yml run as GitHub would run it, on this machine: every `run:` step of the
 * matrix, build (once per matrix entry) and merge jobs, in a folder of its own per runner, with
 * the runner's files (GITHUB_ENV, GITHUB_OUTPUT, RUNNER_TEMP) and bash as GitHub starts it.
 * The `uses:` steps are played by the test: checkout clones the mesh repository, the artifact steps
 * copy files between runners, and the set-up steps have nothing to do (this machine has Node, Go,
 * qemu and buildx). The one change to the workflow's text: ghcr.io becomes the local registry.
 */
import { execa } from 'execa';
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/cli.js';
import { entryPlatform, getManifest, SHIPPED_BASES, SHIPPED_IMAGES, uniqueNamespace, type IndexEntry } from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';
import { readWorkflow, type Step, type Workflow } from '../../support/github-workflow.js';
import { useTempDirs } from '../../support/temp-dirs.js';

type Context = Record<string, Record<string, unknown>>;

const OWNER = 'MeshOrg'; // capitals, as GitHub owners may have: the hub must come out lower-cased

/** `${{ a.b }}` replaced from the context; an expression the test does not know fails the test. */
function expand(text: string, context: Context): string {
  return text.replace(/\$\{\{\s*([a-z_]+)\.([A-Za-z_]+)\s*\}\}/g, (whole, scope: string, key: string) => {
    const value = context[scope]?.[key];
    if (value === undefined) throw new Error(`the workflow uses ${whole}, which this test does not provide`);
    return String(value);
  });
}

/** KEY=VALUE lines a step appended to $GITHUB_ENV or $GITHUB_OUTPUT. */
async function readKeyValues(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return Object.fromEntries(
    text.split('\n').flatMap((line) => {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
      return match ? [[match[1]!, match[2]!]] : [];
    }),
  );
}

describe('docs/github-actions.yml, its shell steps run as separate runners', () => {
  const tempDir = useTempDirs('meshbuild-gha-');
  let registry = '';
  let namespace = '';
  let flow: Workflow;
  let origin = '';
  let sha = '';
  let artifacts = '';
  /** Where the install step's `npm install --global` puts meshbuild (npm's prefix for the run). */
  let npmPrefix = '';
  let installed = false;

  beforeAll(async () => {
    registry = await localRegistry();
    namespace = uniqueNamespace('gha');
    flow = await readWorkflow();
    const root = await tempDir();
    origin = path.join(root, 'origin');
    artifacts = path.join(root, 'artifacts');
    npmPrefix = path.join(root, 'npm-prefix');
    // A fresh repository of a mesh: the bundled sample, committed.
    await cp(path.join(REPO_ROOT, 'examples', 'mesh'), origin, { recursive: true });
    const git = (...args: string[]) => execa('git', ['-C', origin, '-c', 'user.name=ci', '-c', 'user.email=ci@example.invalid', ...args]);
    await git('init', '-q', '-b', 'main');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'mesh');
    sha = (await git('rev-parse', 'HEAD')).stdout.trim();
  });

  /** Runs one job's steps in a new runner folder; returns the job's step outputs by step id. */
  async function runJob(name: string, matrix: Record<string, unknown> = {}): Promise<Record<string, string>> {
    const job = flow.jobs[name];
    if (!job) throw new Error(`the workflow has no job ${name}`);
    const runner = await tempDir();
    const workspace = path.join(runner, 'work');
    const runnerTemp = path.join(runner, 'temp');
    await mkdir(runnerTemp, { recursive: true });
    const envFile = path.join(runner, 'github-env');
    const github = { repository_owner: OWNER, sha, ref: 'refs/heads/main', ref_name: 'main', ref_type: 'branch', run_id: '1' };
    let jobEnv: Record<string, string> = {};
    const outputs: Record<string, string> = {};
    for (const [stepNumber, step] of job.steps.entries()) {
      const context: Context = { matrix, github, env: { ...flow.env, ...jobEnv } };
      if (step.uses !== undefined) {
        await playAction(step, context, workspace);
        continue;
      }
      const script = expand(step.run ?? '', context).replaceAll('ghcr.io/', `${registry}/${namespace}/`);
      if (script.includes('npm install --global') && installed) continue; // the same install, done by an earlier runner
      const outputFile = path.join(runner, `output-${stepNumber}`);
      const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v, context)]));
      const scriptFile = path.join(runner, 'step.sh');
      await writeFile(scriptFile, script);
      const result = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', scriptFile], {
        cwd: workspace,
        env: {
          ...flow.env,
          MESHBUILD_PACKAGE: REPO_ROOT,
          ...jobEnv,
          ...stepEnv,
          CI: 'true',
          GITHUB_ACTIONS: 'true',
          GITHUB_SHA: sha,
          GITHUB_REF_NAME: 'main',
          GITHUB_ENV: envFile,
          GITHUB_OUTPUT: outputFile,
          RUNNER_TEMP: runnerTemp,
          npm_config_prefix: npmPrefix,
          npm_config_prefer_offline: 'true',
          npm_config_audit: 'false',
          npm_config_fund: 'false',
          PATH: `${path.join(npmPrefix, 'bin')}:${process.env.PATH ?? ''}`,
        },
        reject: false,
        all: true,
      });
      if (result.exitCode !== 0) throw new Error(`job ${name}, step "${step.name ?? script.slice(0, 60)}" exited ${result.exitCode}:\n${result.all}`);
      if (script.includes('npm install --global')) installed = true;
      jobEnv = { ...jobEnv, ...(await readKeyValues(envFile)) };
      Object.assign(outputs, await readKeyValues(outputFile));
    }
    return { ...outputs, ...Object.fromEntries(Object.entries(jobEnv).map(([k, v]) => [`env.${k}`, v])) };
  }

  /** What a runner's `uses:` step does, as far as this test needs it. */
  async function playAction(step: Step, context: Context, workspace: string): Promise<void> {
    const action = step.uses!.replace(/@.*/, '');
    const input = (key: string) => expand(String(step.with?.[key] ?? ''), context);
    switch (action) {
      case 'actions/checkout':
        await execa('git', ['clone', '-q', origin, workspace]);
        return;
      case 'actions/upload-artifact': {
        const target = path.join(artifacts, input('name'));
        await mkdir(target, { recursive: true });
        await cp(path.join(workspace, input('path')), path.join(target, path.basename(input('path'))));
        return;
      }
      case 'actions/download-artifact': {
        const pattern = new RegExp(`^${input('pattern').replace(/\*/g, '.*')}$`);
        for (const name of (await readdir(artifacts)).filter((n) => pattern.test(n))) {
          await cp(path.join(artifacts, name), workspace, { recursive: true });
        }
        return;
      }
      case 'actions/setup-node':
      case 'actions/setup-go':
      case 'actions/cache':
      case 'docker/setup-qemu-action':
      case 'docker/setup-buildx-action':
      case 'docker/login-action':
        return; // this machine has Node, Go, qemu and buildx; the local registry needs no login
      default:
        throw new Error(`the workflow uses ${step.uses}, which this test does not play`);
    }
  }

  it('matrix, one build per shard, then merge: every image is tagged as a complete amd64+arm64 index', { timeout: 1_200_000 }, async () => {
    const matrixJob = await runJob('matrix');
    const matrix = JSON.parse(matrixJob.matrix ?? '{}') as { include: Array<Record<string, unknown>> };
    expect(matrix.include.map((entry) => entry.platform)).toEqual(['linux/amd64', 'linux/arm64']);

    const shards = [];
    for (const entry of matrix.include) shards.push(await runJob('build', entry));
    for (const shard of shards) expect(shard['env.HUB']).toBe(`${registry}/${namespace}/meshorg/mesh`);

    await runJob('merge');
    const merged = JSON.parse(await readFile(path.join(artifacts, 'merged', 'merged.json'), 'utf8')) as {
      images: Array<{ image: string; repository: string; refs: string[] }>;
    };
    expect(merged.images.map((i) => i.image).sort()).toEqual([...Object.keys(SHIPPED_IMAGES), ...SHIPPED_BASES].sort());
    for (const image of merged.images) {
      const repository = `${namespace}/meshorg/mesh/${image.image}`;
      for (const tag of [sha.slice(0, 12), 'main']) {
        const index = await getManifest(registry, repository, tag);
        const platforms = (index.json.manifests as IndexEntry[]).map(entryPlatform).filter((p) => p !== 'unknown/unknown');
        expect(platforms.sort(), `${repository}:${tag}`).toEqual(['linux/amd64', 'linux/arm64']);
      }
    }
  });
});
