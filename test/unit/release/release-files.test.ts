/** Release files: deterministic istioctl archives named as Istio names them, SHA256SUMS, release notes. */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTar } from '../../../src/oci/tar-reader.js';
import { binaryOutputPath } from '../../../src/plan/plan.js';
import { checksumsFor, formatReleaseNotes, ISTIOCTL_ARCHIVES, writeIstioctlArchives } from '../../../src/release/release-files.js';
import { useTempDirs } from './temp-dirs.js';

const tempDir = useTempDirs();

/** A fake istioctl per archive platform under `outDir`, as the planner lays binaries out. */
async function fakeBinaries(outDir: string, mode: number, mtime: number): Promise<void> {
  for (const { platform } of ISTIOCTL_ARCHIVES) {
    const file = binaryOutputPath(outDir, platform, 'istioctl');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `istioctl for ${platform.os}/${platform.architecture}${platform.variant ?? ''}\n`.repeat(1000));
    await chmod(file, mode);
    await utimes(file, mtime, mtime);
  }
}

describe('writeIstioctlArchives', () => {
  it("writes Istio's archive names, each holding the one binary, mode 0755, mtime 0", async () => {
    const outDir = await tempDir();
    const dir = await tempDir();
    await fakeBinaries(outDir, 0o644, 1_700_000_000);
    const names = await writeIstioctlArchives(dir, '1.0.0', outDir);
    expect(names).toEqual([
      'istioctl-1.0.0-linux-amd64.tar.gz',
      'istioctl-1.0.0-linux-arm64.tar.gz',
      'istioctl-1.0.0-linux-armv7.tar.gz',
      'istioctl-1.0.0-osx.tar.gz',
      'istioctl-1.0.0-osx-arm64.tar.gz',
      'istioctl-1.0.0-win.zip',
    ]);
    expect((await readdir(dir)).sort()).toEqual([...names].sort());

    const bytes = await readFile(path.join(dir, 'istioctl-1.0.0-osx-arm64.tar.gz'));
    expect([...bytes.subarray(0, 10)], 'gzip header pinned: no mtime, OS unknown').toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    const entries: Array<{ path: string; mode: number; mtime: number; uid: number; content: string }> = [];
    for await (const entry of readTar(bytes))
      entries.push({ path: entry.path, mode: entry.mode, mtime: entry.mtime, uid: entry.uid, content: (await entry.buffer()).toString() });
    expect(entries.map(({ content, ...header }) => header)).toEqual([{ path: 'istioctl', mode: 0o755, mtime: 0, uid: 0 }]);
    expect(entries[0]!.content).toContain('istioctl for darwin/arm64');

    const zip = await readFile(path.join(dir, 'istioctl-1.0.0-win.zip'));
    expect(zip.subarray(30, 30 + zip.readUInt16LE(26)).toString(), 'the zip holds istioctl.exe').toBe('istioctl.exe');
  });

  it("gives byte-identical archives whatever the binaries' mode and time on disk", async () => {
    const runs: Array<Map<string, string>> = [];
    for (const [mode, mtime] of [
      [0o644, 1_000_000_000],
      [0o700, 1_800_000_000],
    ] as const) {
      const outDir = await tempDir();
      const dir = await tempDir();
      await fakeBinaries(outDir, mode, mtime);
      const hashes = new Map<string, string>();
      for (const name of await writeIstioctlArchives(dir, '2.1.0', outDir)) {
        hashes.set(
          name,
          createHash('sha256')
            .update(await readFile(path.join(dir, name)))
            .digest('hex'),
        );
      }
      runs.push(hashes);
    }
    expect(runs[1]).toEqual(runs[0]);
  });
});

describe('checksumsFor', () => {
  it('lists "<hex>  <name>" sorted by name, as sha256sum -c reads it', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'b.zip'), 'bee');
    await writeFile(path.join(dir, 'a.tar.gz'), 'ay');
    const hex = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(await checksumsFor(dir, ['b.zip', 'a.tar.gz'])).toBe(`${hex('ay')}  a.tar.gz\n${hex('bee')}  b.zip\n`);
  });
});

describe('formatReleaseNotes', () => {
  it('lists every image by digest per hub and the line to type next', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const notes = formatReleaseNotes({
      version: '1.0.0',
      hubs: ['127.0.0.1:5555/mesh', 'docker.io/me'],
      images: [
        {
          image: 'pilot',
          variant: 'default',
          hub: '127.0.0.1:5555/mesh',
          repository: '127.0.0.1:5555/mesh/pilot',
          digest,
          platforms: ['linux/amd64', 'linux/arm64'],
          tags: ['1.0.0', '1.0', 'latest'],
        },
        { image: 'pilot', variant: 'default', hub: 'docker.io/me', repository: 'docker.io/me/pilot', digest, platforms: ['linux/amd64'], tags: ['1.0.0'] },
      ],
      archives: [{ name: 'istioctl-1.0.0-win.zip', sha256: 'f'.repeat(64) }],
      notes: ['latest stays where it is: the hub has 1.1.0, higher than 1.0.0 (docker.io/me/pilot)'],
    });
    expect(notes).toContain(`| pilot | default | \`127.0.0.1:5555/mesh/pilot@${digest}\` | linux/amd64, linux/arm64 | 1.0.0, 1.0, latest |`);
    expect(notes).toContain(`| pilot | default | \`docker.io/me/pilot@${digest}\` | linux/amd64 | 1.0.0 |`);
    expect(notes).toContain('istioctl install --set hub=127.0.0.1:5555/mesh --set tag=1.0.0');
    expect(notes).toContain('istioctl install --set hub=docker.io/me --set tag=1.0.0');
    expect(notes).toContain('- latest stays where it is');
    expect(notes).toContain(`| istioctl-1.0.0-win.zip | \`${'f'.repeat(64)}\` |`);
  });
});
