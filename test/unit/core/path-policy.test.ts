/**
 * The path rules for untrusted targets files, without the CLI: which paths stay inside their root
 * by their text, which lead out once symlinks are followed, and which file names are one segment.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileNameProblem, layerRoots, lexicalPathProblem, realPathProblem, sourceRoots } from '../../../src/config/path-policy.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-path-policy-');

describe('lexicalPathProblem', () => {
  const repo = '/work/repo';
  const graph = layerRoots('targets', `${repo}/targets`, '/work/src');
  const source = sourceRoots('/work/src');

  it.each([
    ['../Dockerfiles/pilot.Dockerfile', `${repo}/targets`, graph],
    ['files/conf.yaml', `${repo}/targets`, graph],
    ['./pilot/cmd/pilot-discovery', '/work/src', source],
    ['tools/../tools/x.json', '/work/src', source],
    ['prebuilt/envoy-{arch}', `${repo}/targets`, graph],
  ])('accepts %s (from %s)', (value, from, roots) => {
    expect(lexicalPathProblem(value, from, roots)).toBeUndefined();
  });

  it.each([
    ['/etc/passwd', /is an absolute path/],
    ['../../../../etc/passwd', /leads outside the folder above the targets folder \(\/work\/repo\)/],
    ['../../secrets/key', /leads outside/],
    ['C:\\Windows\\win.ini', /is an absolute path/],
    ['{env:HOME}/../../../etc/passwd', /leads outside/],
    ['a\0b', /NUL/],
  ])('refuses %s in the graph', (value, reason) => {
    expect(lexicalPathProblem(value, `${repo}/targets`, graph)).toMatch(reason);
  });

  it('the overlay and source: paths are held to the source tree, not the folder above the targets', () => {
    const overlay = layerRoots('source', `${repo}/targets`, '/work/src');
    expect(lexicalPathProblem('../repo/Dockerfiles/x', '/work/src', overlay)).toMatch(/leads outside the source tree \(\/work\/src\)/);
    expect(lexicalPathProblem('./../../etc', '/work/src', source)).toMatch(/leads outside the source tree/);
  });
});

describe('realPathProblem', () => {
  it('follows symlinks: a link inside the root to a file outside is refused, one inside is fine', async () => {
    const dir = await tempDir();
    const root = path.join(dir, 'src');
    await mkdir(path.join(root, 'conf'), { recursive: true });
    await writeFile(path.join(dir, 'secret'), 'host file\n');
    await writeFile(path.join(root, 'conf', 'app.yaml'), 'a: 1\n');
    await symlink('../../secret', path.join(root, 'conf', 'leak'));
    await symlink(dir, path.join(root, 'up'));
    await symlink('app.yaml', path.join(root, 'conf', 'alias'));
    const roots = sourceRoots(root);

    expect(realPathProblem(path.join(root, 'conf', 'leak'), roots)).toMatch(
      new RegExp(`leads outside the source tree .* through a symlink \\(it is ${escape(path.join(dir, 'secret'))}\\)`),
    );
    expect(realPathProblem(path.join(root, 'up', 'secret'), roots)).toMatch(/through a symlink/);
    expect(realPathProblem(path.join(root, 'conf', 'alias'), roots)).toBeUndefined();
    expect(realPathProblem(path.join(root, 'conf', 'missing'), roots), 'a missing file is reported elsewhere').toBeUndefined();
  });

  it('a root reached through a symlink is compared by its real path', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'real-src'));
    await writeFile(path.join(dir, 'real-src', 'f'), 'x');
    await symlink(path.join(dir, 'real-src'), path.join(dir, 'src'));
    expect(realPathProblem(path.join(dir, 'src', 'f'), sourceRoots(path.join(dir, 'src')))).toBeUndefined();
  });
});

describe('fileNameProblem', () => {
  it.each(['envoy', 'envoy.bin', '.hidden', 'a..b'])('accepts %s', (name) => expect(fileNameProblem(name)).toBeUndefined());
  it.each(['', '.', '..', '../../x', 'a/b', '/abs', 'a\\b'])('refuses %j', (name) => expect(fileNameProblem(name)).toBeDefined());
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
