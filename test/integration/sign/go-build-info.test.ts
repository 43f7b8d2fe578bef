/**
 * readGoBuildInfo against the real Go toolchain: on a real binary with hundreds of dependency
 * modules (cosign, built by scripts/install-cosign) and on a binary built here for arm64, what it
 * reads is what `go version -m` prints.
 */
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readGoBuildInfo } from '../../../src/sign/go-build-info.js';
import { useTempDirs } from '../../support/temp-dirs.js';
import { cosignBinary, goVersionM } from './cosign.js';

const tempDir = useTempDirs('meshbuild-buildinfo-');

async function expectSameAsGo(file: string): Promise<number> {
  const info = readGoBuildInfo(await readFile(file));
  const go = await goVersionM(file);
  expect(info?.goVersion).toBe(go.goVersion);
  expect(info?.path).toBe(go.path);
  const ours = [...(info?.main ? [info.main] : []), ...(info?.deps ?? [])].map((m) => {
    const built = m.replace ?? m;
    return { path: m.path, version: built.version, ...(built.sum ? { sum: built.sum } : {}) };
  });
  expect(ours).toEqual(go.modules);
  return ours.length;
}

describe('Go build information read from the ELF file', () => {
  it('matches go version -m for cosign, module for module with go.sum hashes', async () => {
    expect(await expectSameAsGo(await cosignBinary())).toBeGreaterThan(100);
  });

  it('matches go version -m for an arm64 binary with a replaced module, built here', async () => {
    const dir = await tempDir();
    await writeFile(
      path.join(dir, 'go.mod'),
      'module example.com/hello\n\ngo 1.21\n\nrequire example.com/greet v1.0.0\n\nreplace example.com/greet => ./greet\n',
    );
    await writeFile(path.join(dir, 'main.go'), 'package main\n\nimport "example.com/greet"\n\nfunc main() { println(greet.Hello()) }\n');
    await execa('mkdir', ['-p', path.join(dir, 'greet')]);
    await writeFile(path.join(dir, 'greet', 'go.mod'), 'module example.com/greet\n\ngo 1.21\n');
    await writeFile(path.join(dir, 'greet', 'greet.go'), 'package greet\n\nfunc Hello() string { return "hello" }\n');
    await execa('go', ['build', '-o', 'hello', '.'], { cwd: dir, env: { CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'arm64', GOFLAGS: '-mod=mod' } });
    const binary = path.join(dir, 'hello');
    expect(await expectSameAsGo(binary)).toBe(2);
    expect(readGoBuildInfo(await readFile(binary))?.deps[0]?.replace).toEqual({ path: './greet', version: '(devel)' });
  });
});
