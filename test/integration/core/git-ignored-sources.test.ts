/**
 * In a git checkout, go's up-to-date check reads only what git tracks or would track: files git
 * ignores (Istio's own out/, editor files) never force a relink; a tracked .go file does.
 */
import { appendFile, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { copySample, useTempDirs } from './files.js';

const tempDir = useTempDirs('meshbuild-git-stamp-');

async function git(dir: string, ...args: string[]): Promise<void> {
  await execa('git', ['-c', 'user.name=meshbuild test', '-c', 'user.email=test@meshbuild.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: dir });
}

describe('the up-to-date check in a git checkout', () => {
  it('keeps a binary when only git-ignored files change, and relinks when a tracked .go file does', async () => {
    const source = await copySample(path.join(await tempDir(), 'mesh'));
    await writeFile(path.join(source, '.gitignore'), 'out/\n*.swp\n');
    await git(source, 'init', '--quiet');
    await git(source, 'add', '.');
    await git(source, 'commit', '--quiet', '-m', 'sample');
    const out = path.join(await tempDir(), 'out');
    const args = ['build', 'pilot', '--binaries-only', '--platforms', 'amd64', '--source', source, '--tag', 't', '--out', out];
    const binary = path.join(out, 'linux_amd64', 'pilot-discovery');

    const first = await runCli(args);
    expect(first.exitCode, first.stderr).toBe(0);
    const built = await stat(binary);

    // Istio's own out/ folder (ignored as a whole) and an editor file next to a package.
    await mkdir(path.join(source, 'out', 'linux_amd64', 'release'), { recursive: true });
    await writeFile(path.join(source, 'out', 'linux_amd64', 'release', 'pilot-discovery'), 'an older build');
    await writeFile(path.join(source, 'out', 'linux_amd64', 'stamp'), 'x');
    await writeFile(path.join(source, 'pilot', 'cmd', 'pilot-discovery', '.main.go.swp'), 'editor state');
    const ignored = await runCli(args);
    expect(ignored.exitCode, ignored.stderr).toBe(0);
    expect(ignored.stderr).toMatch(/go:linux_amd64: up to date/);
    expect((await stat(binary)).mtimeMs).toBe(built.mtimeMs);

    await appendFile(path.join(source, 'pilot', 'cmd', 'pilot-discovery', 'main.go'), '\n// changed\n');
    const changed = await runCli(args);
    expect(changed.exitCode, changed.stderr).toBe(0);
    expect(changed.stderr).not.toMatch(/up to date/);
    expect((await stat(binary)).mtimeMs).not.toBe(built.mtimeMs);

    // An untracked file git would track (not ignored) counts as a source, as a new .go file must.
    const again = await runCli(args);
    expect(again.stderr).toMatch(/go:linux_amd64: up to date/);
    await writeFile(path.join(source, 'pilot', 'cmd', 'pilot-discovery', 'extra.go'), 'package main\n');
    const untracked = await runCli(args);
    expect(untracked.exitCode, untracked.stderr).toBe(0);
    expect(untracked.stderr).not.toMatch(/up to date/);
  });
});
