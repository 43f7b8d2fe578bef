/**
 * Real `go build` through the real CLI: cross-compiled binaries land in out/<os>_<arch>/, are
 * the right machine code, run (arm64 under qemu) and print the stamped version.
 */
import { appendFile, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_FRAME, runCli, runSpawnedCli, type CliResult } from '../../support/cli.js';
import { copySample, elfMachine, listFiles, machOCpu, peMachine, readHead, requireArm64Emulation, useTempDirs } from './files.js';

const tempDir = useTempDirs();
const ELF_MACHINE = { amd64: 62, arm64: 183 } as const;
const MESH_BINARIES = ['istioctl', 'pilot-agent', 'pilot-discovery'];

describe('meshbuild build --binaries-only, amd64 and arm64', () => {
  let out: string;
  let result: CliResult;

  beforeAll(async () => {
    out = await tempDir();
    result = await runSpawnedCli([
      'build',
      'pilot',
      'proxyv2',
      'istioctl',
      '--binaries-only',
      '--platforms',
      'amd64,arm64',
      '--tag',
      '1.2.3-test',
      '--out',
      out,
    ]);
  });

  it('succeeds and leaves pilot-discovery, pilot-agent and istioctl in out/linux_amd64 and out/linux_arm64', async () => {
    expect(result.exitCode, result.stderr).toBe(0);
    const files = await listFiles(out);
    for (const dir of ['linux_amd64', 'linux_arm64']) {
      for (const name of MESH_BINARIES) expect(files).toContain(`${dir}/${name}`);
    }
    // Nothing else but the sample's Envoy stand-in (proxyv2's second input); no temp leftovers.
    // (listFiles leaves out the up-to-date records under .records/.)
    expect(files.filter((f) => !MESH_BINARIES.includes(path.basename(f)))).toEqual(['linux_amd64/envoy', 'linux_arm64/envoy']);
  });

  it.each(['amd64', 'arm64'] as const)('linux/%s binaries carry the right ELF machine', async (arch) => {
    expect(result.exitCode, result.stderr).toBe(0);
    for (const name of MESH_BINARIES) {
      const file = path.join(out, `linux_${arch}`, name);
      const size = (await stat(file)).size;
      expect(elfMachine(await readHead(file), size), `${file}`).toBe(ELF_MACHINE[arch]);
      expect((await stat(file)).mode & 0o111, `${file} is executable`).not.toBe(0);
    }
  });

  it.each(['amd64', 'arm64'] as const)('linux/%s binaries run and print their name, the stamped version and their platform', async (arch) => {
    expect(result.exitCode, result.stderr).toBe(0);
    if (arch === 'arm64') requireArm64Emulation();
    for (const name of MESH_BINARIES) {
      const run = await execa(path.join(out, `linux_${arch}`, name), ['--version'], { reject: false });
      expect(run.exitCode, `${name} --version: ${run.stderr}`).toBe(0);
      expect(run.stdout.trim()).toBe(`${name} version 1.2.3-test linux/${arch}`);
    }
  });
});

describe('meshbuild build binary:istioctl --binaries-only', () => {
  it('also builds istioctl for macOS (amd64, arm64) and Windows (amd64, with .exe)', async () => {
    const out = await tempDir();
    const result = await runCli(['build', 'binary:istioctl', '--binaries-only', '--tag', '1.2.3-test', '--out', out]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await listFiles(out)).toEqual([
      'darwin_amd64/istioctl',
      'darwin_arm64/istioctl',
      'linux_amd64/istioctl',
      'linux_arm64/istioctl',
      'windows_amd64/istioctl.exe',
    ]);
    expect(machOCpu(await readHead(path.join(out, 'darwin_amd64', 'istioctl')))).toBe(0x01000007);
    expect(machOCpu(await readHead(path.join(out, 'darwin_arm64', 'istioctl')))).toBe(0x0100000c);
    expect(peMachine(await readHead(path.join(out, 'windows_amd64', 'istioctl.exe'), 512))).toBe(0x8664);
  });
});

describe('a Go compile error', () => {
  it('exits 1, naming the binary and the platform, with the compiler message and no stack trace', async () => {
    const source = await copySample(path.join(await tempDir(), 'mesh'));
    await appendFile(path.join(source, 'pilot', 'cmd', 'pilot-discovery', 'main.go'), '\nfunc broken() int { return undefinedThing }\n');
    const out = path.join(source, 'out');
    const result = await runCli(['build', 'pilot', '--binaries-only', '--platforms', 'arm64', '--source', source, '--tag', 't', '--out', out]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/go build failed for pilot-discovery \(linux\/arm64\)/);
    expect(result.stderr).toMatch(/pilot\/cmd\/pilot-discovery\/main\.go:\d+:\d+: undefined: undefinedThing/);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.stderr).not.toMatch(/Internal error/);
    expect(await listFiles(out)).toEqual([]);
  });
});

describe('no Go toolchain', () => {
  it('exits 2 saying Go is missing and how to install it', async () => {
    const bin = await tempDir();
    await symlink(process.execPath, path.join(bin, 'node'));
    const out = await tempDir();
    const result = await runSpawnedCli(['build', 'pilot', '--binaries-only', '--platforms', 'amd64', '--tag', 't', '--out', out], { env: { PATH: bin } });

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^error: the Go toolchain was not found \(no "go" on PATH\)$/m);
    expect(result.stderr).toMatch(/^hint: install Go \(https:\/\/go\.dev\/dl.*\)/m);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(await listFiles(out)).toEqual([]);
  });
});

describe('an unchanged source tree', () => {
  it('skips go build the second time, and builds again once a source file changes', async () => {
    const source = await copySample(path.join(await tempDir(), 'mesh'));
    const out = path.join(await tempDir(), 'out');
    const args = ['build', 'pilot', '--binaries-only', '--platforms', 'amd64', '--source', source, '--tag', 't', '--out', out];
    const binary = path.join(out, 'linux_amd64', 'pilot-discovery');

    expect((await runCli(args)).exitCode).toBe(0);
    const first = await stat(binary);
    const again = await runCli(args);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toMatch(/go:linux_amd64: up to date/);
    expect((await stat(binary)).mtimeMs).toBe(first.mtimeMs);

    await appendFile(path.join(source, 'pilot', 'cmd', 'pilot-discovery', 'main.go'), '\n// changed\n');
    const changed = await runCli(args);
    expect(changed.exitCode).toBe(0);
    expect(changed.stderr).not.toMatch(/up to date/);

    const otherTag = await runCli(args.map((a) => (a === 't' ? 't2' : a)));
    expect(otherTag.stderr, 'a new version is stamped, so go must run').not.toMatch(/up to date/);
  });
});
