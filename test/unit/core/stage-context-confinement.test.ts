/**
 * Staging checks again what loading checked, with symlinks resolved at the moment of copying: a
 * file of the source tree that is (or has become) a symlink out is refused with exit 2 naming it,
 * and no destination may lead out of the context through a symlink staged before it.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, MeshbuildError } from '../../../src/errors.js';
import { stageContext } from '../../../src/image/stage-context.js';
import type { ContextEntry, ImageBuildJob } from '../../../src/plan/types.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-stage-');

async function world() {
  const dir = await tempDir();
  const source = path.join(dir, 'src');
  const out = path.join(dir, 'out');
  await mkdir(path.join(source, 'conf'), { recursive: true });
  await mkdir(path.join(source, 'a', 'b'), { recursive: true });
  await writeFile(path.join(dir, 'secret.txt'), 'host file\n');
  await writeFile(path.join(source, 'conf', 'ok.txt'), 'fine\n');
  return { dir, source, out };
}

function job(out: string, context: ContextEntry[]): ImageBuildJob {
  return { image: 'app', context, contextDir: path.join(out, 'contexts', 'app') } as unknown as ImageBuildJob;
}

async function stagingError(promise: Promise<unknown>): Promise<MeshbuildError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MeshbuildError);
  return error as MeshbuildError;
}

describe('stageContext keeps source files in the source tree', () => {
  it('a source file that is a symlink out is refused (exit 2, naming it), and nothing is staged', async () => {
    const { dir, source, out } = await world();
    await symlink(path.join(dir, 'secret.txt'), path.join(source, 'conf', 'made-later'));
    const error = await stagingError(stageContext(job(out, [{ from: path.join(source, 'conf', 'made-later'), to: 'secret', root: 'source' }]), out, source));
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toMatch(/image app: file conf\/made-later leads outside the source tree/);
    expect(existsSync(path.join(out, 'contexts', 'app'))).toBe(false);
    expect(await readdir(path.join(out, '.tmp'))).toEqual([]);
  });

  it('a folder on the way that is a symlink out is refused too', async () => {
    const { dir, source, out } = await world();
    await symlink(dir, path.join(source, 'up'));
    const error = await stagingError(stageContext(job(out, [{ from: path.join(source, 'up', 'secret.txt'), to: 'secret', root: 'source' }]), out, source));
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toMatch(/up\/secret.txt leads outside the source tree/);
  });

  it('a destination through a symlink staged before it is refused', async () => {
    const { source, out } = await world();
    // Inside the source tree, `a/b/up` names the tree's root; staged as `b/up`, it names the folder above the context.
    await symlink('../..', path.join(source, 'a', 'b', 'up'));
    const entries: ContextEntry[] = [
      { from: path.join(source, 'a', 'b'), to: 'b', root: 'source' },
      { from: path.join(source, 'conf', 'ok.txt'), to: 'b/up/escaped.txt', root: 'source' },
    ];
    const error = await stagingError(stageContext(job(out, entries), out, source));
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toMatch(/file destination "b\/up\/escaped.txt" leads outside the build context/);
    expect(existsSync(path.join(out, '.tmp', 'escaped.txt'))).toBe(false);
  });

  it('files inside the tree, symlinks inside included, are staged', async () => {
    const { source, out } = await world();
    await symlink('ok.txt', path.join(source, 'conf', 'alias'));
    const staged = await stageContext(
      job(out, [
        { from: path.join(source, 'conf'), to: 'conf', root: 'source' },
        { from: path.join(source, 'conf', 'alias'), to: 'etc/alias.txt', root: 'source' },
      ]),
      out,
      source,
    );
    expect((await readdir(staged)).sort()).toEqual(['conf', 'etc']);
    expect((await readdir(path.join(staged, 'conf'))).sort()).toEqual(['alias', 'ok.txt']);
  });
});
