/**
 * The source-tree state behind go's up-to-date check: in a git checkout only the files git lists
 * (tracked, or untracked and not ignored) count; elsewhere every file but .git, node_modules and
 * the --out folder. git itself is faked here (the real one is in test/integration/core).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceTreeState, type GitRunner } from '../../../src/go/source-tree-state.js';
import { CommandNotFoundError } from '../../../src/run/process.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-stamp-');

async function tree(): Promise<string> {
  const dir = await tempDir();
  await mkdir(path.join(dir, 'pkg'), { recursive: true });
  await mkdir(path.join(dir, 'out', 'linux_amd64'), { recursive: true });
  await writeFile(path.join(dir, 'go.mod'), 'module example\n');
  await writeFile(path.join(dir, 'pkg', 'a.go'), 'package pkg\n');
  await writeFile(path.join(dir, 'out', 'linux_amd64', 'old'), 'x');
  return dir;
}

/** A git that lists `files` and records how it was called. */
function fakeGit(files: string[], calls: Array<{ command: string; args: readonly string[]; cwd: string }> = []): GitRunner {
  return async (command, args, options) => {
    calls.push({ command, args, cwd: options.cwd });
    return { exitCode: 0, stdout: files.map((f) => `${f}\0`).join('') };
  };
}

const notACheckout: GitRunner = async () => ({ exitCode: 128, stdout: '' });

describe('sourceTreeState in a git checkout', () => {
  it('lists files with git ls-files -z --cached --others --exclude-standard (an argument array) in the source folder', async () => {
    const dir = await tree();
    const calls: Array<{ command: string; args: readonly string[]; cwd: string }> = [];
    await sourceTreeState(dir, [], { run: fakeGit(['go.mod', 'pkg/a.go'], calls) });
    expect(calls).toEqual([{ command: 'git', args: ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd: dir }]);
  });

  it('does not change when a file git does not list (an ignored one) is added or edited', async () => {
    const dir = await tree();
    const git = fakeGit(['go.mod', 'pkg/a.go']);
    const before = await sourceTreeState(dir, [], { run: git });
    await writeFile(path.join(dir, 'out', 'linux_amd64', 'new'), 'ignored');
    await writeFile(path.join(dir, 'out', 'linux_amd64', 'old'), 'edited, and longer');
    await writeFile(path.join(dir, '.swp'), 'editor');
    expect(await sourceTreeState(dir, [], { run: git })).toBe(before);
  });

  it('changes when a listed file changes, and when the list changes', async () => {
    const dir = await tree();
    const before = await sourceTreeState(dir, [], { run: fakeGit(['go.mod', 'pkg/a.go']) });
    await writeFile(path.join(dir, 'pkg', 'a.go'), 'package pkg // edited\n');
    const edited = await sourceTreeState(dir, [], { run: fakeGit(['go.mod', 'pkg/a.go']) });
    expect(edited).not.toBe(before);
    await writeFile(path.join(dir, 'pkg', 'b.go'), 'package pkg\n');
    expect(await sourceTreeState(dir, [], { run: fakeGit(['go.mod', 'pkg/a.go', 'pkg/b.go']) })).not.toBe(edited);
  });

  it('does not depend on the order git lists files in', async () => {
    const dir = await tree();
    expect(await sourceTreeState(dir, [], { run: fakeGit(['pkg/a.go', 'go.mod']) })).toBe(
      await sourceTreeState(dir, [], { run: fakeGit(['go.mod', 'pkg/a.go']) }),
    );
  });

  it('leaves out files under an excluded folder (--out inside the source) even when git lists them', async () => {
    const dir = await tree();
    const withOut = ['go.mod', 'out/linux_amd64/old', 'pkg/a.go'];
    const before = await sourceTreeState(dir, [path.join(dir, 'out')], { run: fakeGit(withOut) });
    await writeFile(path.join(dir, 'out', 'linux_amd64', 'old'), 'rebuilt, and longer');
    expect(await sourceTreeState(dir, [path.join(dir, 'out')], { run: fakeGit(withOut) })).toBe(before);
  });
});

describe('sourceTreeState outside a git checkout', () => {
  it('walks every file but the excluded folder when git says this is no checkout', async () => {
    const dir = await tree();
    const before = await sourceTreeState(dir, [path.join(dir, 'out')], { run: notACheckout });
    await writeFile(path.join(dir, 'out', 'linux_amd64', 'new'), 'in --out');
    expect(await sourceTreeState(dir, [path.join(dir, 'out')], { run: notACheckout })).toBe(before);
    await writeFile(path.join(dir, 'notes.txt'), 'any file counts here');
    expect(await sourceTreeState(dir, [path.join(dir, 'out')], { run: notACheckout })).not.toBe(before);
  });

  it('walks when git is not installed', async () => {
    const dir = await tree();
    const noGit: GitRunner = async () => {
      throw new CommandNotFoundError('git');
    };
    expect(await sourceTreeState(dir, [], { run: noGit })).toBe(await sourceTreeState(dir, [], { run: notACheckout }));
  });

  it('walks when git lists nothing (a source folder git ignores as a whole)', async () => {
    const dir = await tree();
    expect(await sourceTreeState(dir, [], { run: fakeGit([]) })).toBe(await sourceTreeState(dir, [], { run: notACheckout }));
  });
});
