/**
 * `meshbuild release` against the real local registry, in one fresh hub, in order: 1.0.0 publishes
 * every image with 1.0.0, 1.0 and latest and writes the release files; the same release again
 * changes nothing; other content under 1.0.0 is refused (and moved only with --force); a
 * prerelease gets no latest; an older version moves its own MAJOR.MINOR but not latest.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTar } from '../../../src/oci/tar-reader.js';
import type { ReleaseReport } from '../../../src/release/release.js';
import { parseReport } from '../../../src/report/json-report.js';
import { runCli } from '../../support/cli.js';
import { elfMachine, uniqueNamespace } from '../../support/images.js';
import { localRegistry } from '../../support/registry.js';
import { ALL_IMAGES, copySample, expectExit, indexEntries, repositoryOf, tagDigests, tagsByImage, useTempDirs } from './fixtures.js';

const tempDir = useTempDirs('release');
const RELEASE_TIMEOUT = 600_000;

describe('meshbuild release', () => {
  let registry: string;
  let namespace: string;
  let hub: string;
  let out: string;
  let work: string;
  /** A copy of the sample outside any git checkout: its binaries' git stamps stay the same when a copy of it changes. */
  let sample: string;
  const release = (version: string, ...extra: string[]) =>
    runCli([
      'release',
      version,
      '--hub',
      hub,
      '--platforms',
      'amd64,arm64',
      '--builder',
      'native',
      '--out',
      out,
      ...(extra.includes('--source') ? [] : ['--source', sample]),
      ...extra,
    ]);
  const readReleaseReport = async (file: string) => parseReport(await readFile(file, 'utf8'), file) as ReleaseReport;

  beforeAll(async () => {
    registry = await localRegistry();
    namespace = uniqueNamespace('release');
    hub = `${registry}/${namespace}`;
    work = await tempDir();
    out = path.join(work, 'out');
    sample = await copySample(path.join(await tempDir(), 'sample'));
  });

  it(
    '1.0.0 publishes every image with 1.0.0, 1.0 and latest, and writes the release files',
    async () => {
      const reportFile = path.join(work, 'release-1.0.0.json');
      const result = await release('1.0.0', '--report', reportFile);
      expectExit(result, 0, 'release 1.0.0');
      expect(result.stdout).toContain(`next: istioctl install --set hub=${hub} --set tag=1.0.0`);

      const tags = await tagsByImage(registry, namespace);
      for (const image of ALL_IMAGES) expect(tags[image], image).toEqual(['1.0', '1.0.0', 'latest']);
      const digests = await tagDigests(registry, namespace, ['1.0.0', '1.0', 'latest']);
      for (const image of ALL_IMAGES) {
        expect(digests[`${image}:1.0`], image).toBe(digests[`${image}:1.0.0`]);
        expect(digests[`${image}:latest`], image).toBe(digests[`${image}:1.0.0`]);
        expect(
          (await indexEntries(registry, repositoryOf(namespace, image), '1.0.0')).map((e) => e.platform),
          image,
        ).toEqual(['linux/amd64', 'linux/arm64']);
      }

      const report = await readReleaseReport(reportFile);
      expect(report.ok).toBe(true);
      expect(report.release.failures).toEqual([]);
      expect(report.release.tags).toHaveLength(ALL_IMAGES.length * 3);
      expect(report.release.tags.every((t) => t.status === 'written')).toBe(true);
      const pilot = report.images.find((i) => i.image === 'pilot')!;
      expect(pilot.digest).toBe(digests['pilot:1.0.0']);
      expect(pilot.refs.sort()).toEqual([`${hub}/pilot:1.0`, `${hub}/pilot:1.0.0`, `${hub}/pilot:latest`]);
      expect(pilot.platforms.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);

      // The release files.
      const dir = path.join(out, 'release', '1.0.0');
      const archives = [
        'istioctl-1.0.0-linux-amd64.tar.gz',
        'istioctl-1.0.0-linux-arm64.tar.gz',
        'istioctl-1.0.0-linux-armv7.tar.gz',
        'istioctl-1.0.0-osx-arm64.tar.gz',
        'istioctl-1.0.0-osx.tar.gz',
        'istioctl-1.0.0-win.zip',
      ];
      expect((await readdir(dir)).sort()).toEqual(['RELEASE_NOTES.md', 'SHA256SUMS', ...archives, 'report.json'].sort());
      const sums = await readFile(path.join(dir, 'SHA256SUMS'), 'utf8');
      const expectedSums = [];
      for (const name of archives)
        expectedSums.push(
          `${createHash('sha256')
            .update(await readFile(path.join(dir, name)))
            .digest('hex')}  ${name}`,
        );
      expect(sums).toBe(`${expectedSums.sort((a, b) => a.slice(66).localeCompare(b.slice(66))).join('\n')}\n`);

      const member = async (name: string) => {
        const entries = [];
        for await (const entry of readTar(await readFile(path.join(dir, name))))
          entries.push({ path: entry.path, mode: entry.mode, mtime: entry.mtime, head: await entry.buffer(64) });
        return entries;
      };
      for (const [name, check] of [
        ['istioctl-1.0.0-linux-amd64.tar.gz', (head: Buffer) => expect(elfMachine(head)).toBe(62)],
        ['istioctl-1.0.0-linux-arm64.tar.gz', (head: Buffer) => expect(elfMachine(head)).toBe(183)],
        ['istioctl-1.0.0-linux-armv7.tar.gz', (head: Buffer) => expect(elfMachine(head)).toBe(40)],
        ['istioctl-1.0.0-osx.tar.gz', (head: Buffer) => expect(head.readUInt32LE(4)).toBe(0x01000007)],
        ['istioctl-1.0.0-osx-arm64.tar.gz', (head: Buffer) => expect(head.readUInt32LE(4)).toBe(0x0100000c)],
      ] as const) {
        const entries = await member(name);
        expect(
          entries.map(({ head, ...rest }) => rest),
          name,
        ).toEqual([{ path: 'istioctl', mode: 0o755, mtime: 0 }]);
        check(entries[0]!.head);
      }
      const zip = await readFile(path.join(dir, 'istioctl-1.0.0-win.zip'));
      expect(zip.subarray(30, 30 + zip.readUInt16LE(26)).toString()).toBe('istioctl.exe');

      const notes = await readFile(path.join(dir, 'RELEASE_NOTES.md'), 'utf8');
      expect(notes).toContain(`istioctl install --set hub=${hub} --set tag=1.0.0`);
      for (const image of ALL_IMAGES) expect(notes).toContain(`\`${hub}/${image}@${digests[`${image}:1.0.0`]}\``);
      expect((await readReleaseReport(path.join(dir, 'report.json'))).release.tags).toEqual(report.release.tags);
    },
    RELEASE_TIMEOUT,
  );

  it(
    'the same release again succeeds and changes nothing',
    async () => {
      const before = await tagDigests(registry, namespace, ['1.0.0', '1.0', 'latest']);
      const archiveBefore = await readFile(path.join(out, 'release', '1.0.0', 'SHA256SUMS'), 'utf8');
      const reportFile = path.join(work, 'release-1.0.0-again.json');
      const result = await release('v1.0.0', '--report', reportFile);
      expectExit(result, 0, 'release 1.0.0 again');
      expect(result.stdout).toMatch(/release 1\.0\.0 is already published with this content: nothing to do/);
      expect(await tagDigests(registry, namespace, ['1.0.0', '1.0', 'latest'])).toEqual(before);
      expect((await readReleaseReport(reportFile)).release.tags.every((t) => t.status === 'unchanged')).toBe(true);
      expect(await readFile(path.join(out, 'release', '1.0.0', 'SHA256SUMS'), 'utf8'), 'archives are reproducible').toBe(archiveBefore);
    },
    RELEASE_TIMEOUT,
  );

  it(
    'other content under 1.0.0 is refused, naming the image and both digests; --force moves it',
    async () => {
      const before = await tagDigests(registry, namespace, ['1.0.0', '1.0', 'latest']);
      const source = await copySample(path.join(await tempDir(), 'mesh'));
      const main = path.join(source, 'pilot', 'cmd', 'pilot-discovery', 'main.go');
      await writeFile(main, (await readFile(main, 'utf8')).replace('Serves the mesh control plane', 'Serves the changed mesh control plane'));

      const refused = await release('1.0.0', '--source', source);
      expectExit(refused, 1, 'release 1.0.0 of other content');
      const conflict = refused.stderr.split('\n').find((line) => line.includes('conflict: pilot'));
      expect(conflict, refused.stderr).toBeDefined();
      const newDigest = /not this build's (sha256:[0-9a-f]{64})/.exec(conflict!)?.[1];
      expect(conflict).toContain(`${hub}/pilot:1.0.0 already names ${before['pilot:1.0.0']}`);
      expect(newDigest).toMatch(/^sha256:/);
      expect(newDigest).not.toBe(before['pilot:1.0.0']);
      expect(refused.stderr).toMatch(/no tag of it was written/);
      expect(refused.stderr).toMatch(/hint: .*--force/);
      expect(refused.stderr.match(/conflict: /g), 'only pilot changed').toHaveLength(1);
      expect(await tagDigests(registry, namespace, ['1.0.0', '1.0', 'latest'])).toEqual(before);

      const forced = await release('1.0.0', '--source', source, '--force');
      expectExit(forced, 0, 'release 1.0.0 --force');
      const after = await tagDigests(registry, namespace, ['1.0.0', '1.0', 'latest']);
      expect(after['pilot:1.0.0']).toBe(newDigest);
      expect(after['pilot:latest']).toBe(newDigest);
      expect({ ...after, 'pilot:1.0.0': '', 'pilot:1.0': '', 'pilot:latest': '' }).toEqual({
        ...before,
        'pilot:1.0.0': '',
        'pilot:1.0': '',
        'pilot:latest': '',
      });
    },
    RELEASE_TIMEOUT,
  );

  it(
    '1.2.0-rc.1 gets its own tag only: no 1.2, latest stays',
    async () => {
      const before = await tagDigests(registry, namespace, ['latest', '1.0']);
      const result = await release('1.2.0-rc.1');
      expectExit(result, 0, 'release 1.2.0-rc.1');
      expect(result.stdout).toContain('1.2.0-rc.1 is a prerelease: no 1.2 or latest tag');
      const tags = await tagsByImage(registry, namespace);
      for (const image of ALL_IMAGES) expect(tags[image], image).toEqual(['1.0', '1.0.0', '1.2.0-rc.1', 'latest']);
      expect(await tagDigests(registry, namespace, ['latest', '1.0'])).toEqual(before);
    },
    RELEASE_TIMEOUT,
  );

  it(
    'an older version 0.9.0 gets 0.9 but leaves latest on 1.0.0; --no-minor-tag leaves out MAJOR.MINOR',
    async () => {
      const before = await tagDigests(registry, namespace, ['latest']);
      const result = await release('0.9.0');
      expectExit(result, 0, 'release 0.9.0');
      expect(result.stdout).toContain('latest stays where it is: the hub has 1.0.0, higher than 0.9.0');
      for (const [image, tags] of Object.entries(await tagsByImage(registry, namespace))) {
        expect(tags, image).toEqual(['0.9', '0.9.0', '1.0', '1.0.0', '1.2.0-rc.1', 'latest']);
      }
      expect(await tagDigests(registry, namespace, ['latest'])).toEqual(before);

      const noMinor = await release('2.0.0', '--no-minor-tag', '--no-latest');
      expectExit(noMinor, 0, 'release 2.0.0 --no-minor-tag --no-latest');
      expect((await tagsByImage(registry, namespace)).pilot).toEqual(['0.9', '0.9.0', '1.0', '1.0.0', '1.2.0-rc.1', '2.0.0', 'latest']);
      expect(await tagDigests(registry, namespace, ['latest'])).toEqual(before);
    },
    RELEASE_TIMEOUT,
  );

  it.each([
    ['1.2', /release version "1.2" is not semver: it has 2 numeric parts/],
    ['v1.2.3.4', /release version "v1.2.3.4" is not semver: it has 4 numeric parts/],
    ['latest', /release version "latest" is not semver: latest is a tag/],
  ])('refuses the version %j with exit 2 before building anything', async (version, message) => {
    const result = await release(version);
    expectExit(result, 2, `release ${version}`);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/ start /);
  });
});
