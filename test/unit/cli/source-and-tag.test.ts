/**
 * What a command builds without --source (the current directory when it is a mesh tree, else the
 * sample, said on stderr), and the tag it uses without --tag outside git (never a pushed latest).
 */
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseSourceDir, isMeshTree } from '../../../src/cli/source-dir.js';
import { DEFAULT_SOURCE_DIR } from '../../../src/cli/paths.js';
import { REPO_ROOT, runCli } from '../../support/cli.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-source-');
const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'images', 'keep-going');

describe('isMeshTree', () => {
  it('a folder with a meshbuild.yaml', async () => {
    const dir = await tempDir();
    expect(isMeshTree(dir)).toBe(false);
    await writeFile(path.join(dir, 'meshbuild.yaml'), 'images: {}\n');
    expect(isMeshTree(dir)).toBe(true);
  });

  it("Istio's go module", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'go.mod'), 'module example.com/other\n\ngo 1.24\n');
    expect(isMeshTree(dir)).toBe(false);
    await writeFile(path.join(dir, 'go.mod'), '// Istio\nmodule istio.io/istio\n\ngo 1.24\n');
    expect(isMeshTree(dir)).toBe(true);
  });

  it("Istio's layout under another module name: pilot/cmd beside Makefile.core.mk", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'Makefile.core.mk'), 'BASE_VERSION ?= x\n');
    expect(isMeshTree(dir)).toBe(false);
    await mkdir(path.join(dir, 'pilot', 'cmd'), { recursive: true });
    expect(isMeshTree(dir)).toBe(true);
  });
});

describe('chooseSourceDir', () => {
  it('--source wins, relative to the current directory', () => {
    expect(chooseSourceDir('../istio', '/work/here')).toEqual({ dir: '/work/istio' });
  });

  it('a mesh tree as the current directory is used; anything else means the sample, with a notice', async () => {
    expect(chooseSourceDir(undefined, DEFAULT_SOURCE_DIR)).toEqual({ dir: DEFAULT_SOURCE_DIR });
    const elsewhere = await tempDir();
    const chosen = chooseSourceDir(undefined, elsewhere);
    expect(chosen.dir).toBe(DEFAULT_SOURCE_DIR);
    expect(chosen.notice).toBe(
      `note: ${elsewhere} is not a mesh tree (no meshbuild.yaml, not an Istio checkout): using the bundled sample ${DEFAULT_SOURCE_DIR}; pass --source to choose`,
    );
  });

  it('through the CLI: one line on stderr for the sample, none inside a mesh tree', async () => {
    const elsewhere = await tempDir();
    const sample = await runCli(['list'], { cwd: elsewhere });
    expect(sample.exitCode, sample.stderr).toBe(0);
    expect(sample.stderr).toBe(`${chooseSourceDir(undefined, elsewhere).notice}\n`);
    expect(sample.stdout).toMatch(/^pilot +image/m);
    const inside = await runCli(['list'], { cwd: DEFAULT_SOURCE_DIR });
    expect(inside.stderr).toBe('');
    expect(inside.stdout).toBe(sample.stdout);
  });
});

describe('the tag outside git', () => {
  /** A source tree in a temp folder, which no git checkout contains. */
  async function treeOutsideGit(): Promise<string> {
    const dir = await tempDir();
    await cp(FIXTURE, dir, { recursive: true });
    return dir;
  }

  it('--push without --tag or TAG is exit 2 saying to pass --tag', async () => {
    const dir = await treeOutsideGit();
    const result = await runCli(['plan', '--targets', dir, '--source', dir, '--hub', '127.0.0.1:5555/x', '--push'], { env: { TAG: undefined } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      `error: --push needs --tag (or the TAG environment variable): ${dir} is not in a git checkout, so there is no commit to tag by\n` +
        'hint: e.g. --tag 1.29.1; without it the images would be pushed as latest\n',
    );
  });

  it('with --tag or TAG it pushes that tag; local outputs keep latest', async () => {
    const dir = await treeOutsideGit();
    const plan = async (args: string[], env: Record<string, string | undefined> = { TAG: undefined }) => {
      const result = await runCli(['plan', '--json', '--targets', dir, '--source', dir, ...args], { env });
      expect(result.exitCode, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as { tags: string[] };
    };
    expect((await plan(['--hub', '127.0.0.1:5555/x', '--push', '--tag', '1.2.3'])).tags).toEqual(['1.2.3']);
    expect((await plan(['--hub', '127.0.0.1:5555/x', '--push'], { TAG: '1.2.4' })).tags).toEqual(['1.2.4']);
    expect((await plan([])).tags).toEqual(['latest']);
  });
});
