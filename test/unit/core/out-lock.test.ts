/** The --out lock's own rules, in this process: nested runs share it, clearTemp needs it, release removes only ours. */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearTemp, makeFolder, writeFileAtomic } from '../../../src/run/atomic-files.js';
import { acquireOutLock, holdsOutLock, isAlive, withOutLock } from '../../../src/run/out-lock.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-out-lock-unit-');

describe('the --out lock', () => {
  it('is made with the pid, shared by a nested run in this process, and gone after the last release', async () => {
    const out = path.join(await tempDir(), 'nested', 'out');
    const releaseOuter = await acquireOutLock(out);
    expect(await readFile(path.join(out, '.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await withOutLock(out, async () => expect(holdsOutLock(out)).toBe(true));
    expect(existsSync(path.join(out, '.lock')), 'the nested release keeps the outer lock').toBe(true);
    await releaseOuter();
    expect(holdsOutLock(out)).toBe(false);
    expect(existsSync(path.join(out, '.lock'))).toBe(false);
  });

  it('clearTemp refuses to run without the lock (another run may be using out/.tmp)', async () => {
    const out = await tempDir();
    await mkdir(path.join(out, '.tmp', 'go-123'), { recursive: true });
    await expect(clearTemp(out)).rejects.toThrow(/Internal error: clearing .*\.tmp without holding the lock/);
    expect(existsSync(path.join(out, '.tmp', 'go-123'))).toBe(true);
    await withOutLock(out, () => clearTemp(out));
    expect(existsSync(path.join(out, '.tmp'))).toBe(false);
  });

  it('a release leaves a lock that is no longer ours alone', async () => {
    const out = await tempDir();
    const release = await acquireOutLock(out);
    await writeFile(path.join(out, '.lock'), '1\n'); // as if taken over meanwhile
    await release();
    expect(await readFile(path.join(out, '.lock'), 'utf8')).toBe('1\n');
  });

  it('makeFolder makes missing levels, and fails (rather than spinning, as a recursive mkdir does) under /proc', async () => {
    const dir = await tempDir();
    await writeFileAtomic(path.join(dir, 'a', 'b', 'c', 'file.json'), '{}\n');
    expect(await readFile(path.join(dir, 'a', 'b', 'c', 'file.json'), 'utf8')).toBe('{}\n');
    await makeFolder(path.join(dir, 'a', 'b'));
    await expect(makeFolder('/proc/meshbuild-test/x')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('isAlive: this process is, a pid that cannot exist is not', () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(0)).toBe(false);
    expect(isAlive(2 ** 22 + 1)).toBe(false);
  });
});
