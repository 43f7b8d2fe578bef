/**
 * docs/github-actions.yml, the workflow users copy into a mesh repository: actionlint (installed
 * pinned by scripts/env-up through scripts/install-actionlint) accepts it, and it keeps what makes
 * it work when copied: meshbuild from git or a release tarball (not the npm registry), a
 * lower-cased hub, --source at the checkout, qemu and buildx, Go and out/ caches, one run per ref.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWorkflow, WORKFLOW, type Job, type Workflow } from '../../support/github-workflow.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const ACTIONLINT_VERSION = 'v1.7.7';

/** actionlint where scripts/install-actionlint puts it ($MESHBUILD_STATE_DIR/bin), else on PATH; or a loud failure. */
async function actionlint(): Promise<string> {
  const installed = path.join(process.env.MESHBUILD_STATE_DIR ?? '/var/lib/meshbuild-env', 'bin', 'actionlint');
  const candidates = [process.env.MESHBUILD_ACTIONLINT, installed, 'actionlint'].filter((c): c is string => c !== undefined && c !== '');
  for (const candidate of candidates) {
    if (candidate.includes('/') && !existsSync(candidate)) continue;
    const version = await execa(candidate, ['-version'], { reject: false });
    if (version.exitCode === 0) return candidate;
  }
  throw new Error(`actionlint ${ACTIONLINT_VERSION} is not installed (looked for ${candidates.join(', ')}): run scripts/env-up or scripts/install-actionlint`);
}

function job(flow: Workflow, name: string): Job {
  const found = flow.jobs[name];
  if (!found) throw new Error(`docs/github-actions.yml has no job ${name}`);
  return found;
}

const runs = (j: Job) => j.steps.flatMap((s) => (s.run === undefined ? [] : [s.run]));
const uses = (j: Job) => j.steps.flatMap((s) => (s.uses === undefined ? [] : [s.uses.replace(/@.*/, '')]));

describe('docs/github-actions.yml', () => {
  const tempDir = useTempDirs('meshbuild-ci-');

  it('passes actionlint', async () => {
    const lint = await execa(await actionlint(), ['-no-color', '-oneline', WORKFLOW], { reject: false });
    expect(`${lint.stdout}${lint.stderr}`).toBe('');
    expect(lint.exitCode).toBe(0);
  });

  it('is checked by an actionlint that finds errors (a broken copy fails)', async () => {
    const broken = path.join(await tempDir(), 'broken.yml');
    const text = await readFile(WORKFLOW, 'utf8');
    await writeFile(broken, text.replace('needs: matrix\n', 'needs: no_such_job\n'));
    const lint = await execa(await actionlint(), ['-no-color', '-oneline', broken], { reject: false });
    expect(lint.exitCode).toBe(1);
    expect(lint.stdout).toContain('no_such_job');
  });

  it('installs meshbuild from MESHBUILD_PACKAGE (git or a release tarball), never by the bare registry name', async () => {
    const flow = await readWorkflow();
    expect(flow.env.MESHBUILD_PACKAGE).toBe('${{ vars.MESHBUILD_PACKAGE }}');
    for (const [name, j] of Object.entries(flow.jobs)) {
      const installs = runs(j).filter((r) => r.includes('npm install'));
      expect(installs, name).toHaveLength(1);
      // npm pack, then the tarball: a global install straight from git skips the build's devDependencies (npm/cli#8440).
      expect(installs[0], name).toMatch(/^cd "\$RUNNER_TEMP" && npm pack "\$\{MESHBUILD_PACKAGE:\?[^"]+\}" && npm install --global \.\/meshbuild-\*\.tgz$/);
    }
    const text = await readFile(WORKFLOW, 'utf8');
    expect(text).not.toMatch(/npm (install|i) (--global |-g )?meshbuild\b/);
    expect(text).toContain('git+https://github.com/<owner>/meshbuild#');
    expect(text).toMatch(/releases\/download\/.*meshbuild-<version>\.tgz/);
  });

  it('lower-cases the hub in a step of every job that pushes, and passes --source . to every meshbuild command', async () => {
    const flow = await readWorkflow();
    expect(flow.env.HUB).toBeUndefined();
    for (const name of ['build', 'merge', 'release']) {
      const hub = job(flow, name).steps.find((s) => s.run?.includes('HUB='));
      expect(hub?.run, name).toBe('echo "HUB=ghcr.io/${OWNER,,}/mesh" >> "$GITHUB_ENV"');
      expect(hub?.env?.OWNER, name).toBe('${{ github.repository_owner }}');
    }
    const commands = Object.values(flow.jobs)
      .flatMap(runs)
      .flatMap((r) => r.match(/meshbuild (matrix|build|merge|release)\b[^\n]*/g) ?? []);
    expect(commands.length).toBeGreaterThanOrEqual(4);
    for (const command of commands) expect(command).toContain('--source .');
  });

  it('fans out from meshbuild matrix to a build job per shard, then one merge of every shard', async () => {
    const flow = await readWorkflow();
    expect(runs(job(flow, 'matrix')).join('\n')).toContain('meshbuild matrix --source . --platforms "$PLATFORMS"');
    const build = job(flow, 'build');
    expect(build.needs).toBe('matrix');
    expect(build.strategy?.matrix).toBe('${{ fromJSON(needs.matrix.outputs.matrix) }}');
    expect(runs(build).join('\n')).toMatch(/meshbuild build \$\{\{ matrix\.target \}\}[^]*--push-by-digest --report shard-\$\{\{ matrix\.shard \}\}\.json/);
    const merge = job(flow, 'merge');
    expect(merge.needs).toBe('build');
    expect(runs(merge).join('\n')).toContain('meshbuild merge shard-*.json');
  });

  it('sets up buildx (qemu where emulated), caches Go and out/ per shard, and runs one workflow per ref', async () => {
    const flow = await readWorkflow();
    expect(flow.concurrency.group).toContain('${{ github.ref }}');
    expect(flow.concurrency['cancel-in-progress']).toBe(false);
    for (const name of ['build', 'release']) {
      const j = job(flow, name);
      expect(uses(j), name).toEqual(expect.arrayContaining(['docker/setup-qemu-action', 'docker/setup-buildx-action', 'actions/cache', 'actions/setup-go']));
      const cache = j.steps.find((s) => s.uses?.startsWith('actions/cache@'));
      const paths = String(cache?.with?.path).trim().split('\n');
      expect(paths, name).toEqual(['~/.cache/go-build', '~/go/pkg/mod', 'out']);
    }
    const build = job(flow, 'build');
    expect(build.steps.find((s) => s.uses?.startsWith('docker/setup-qemu-action@'))?.if).toBe('matrix.emulated');
    expect(String(build.steps.find((s) => s.uses?.startsWith('actions/cache@'))?.with?.key)).toContain('${{ matrix.shard }}');
  });
});
