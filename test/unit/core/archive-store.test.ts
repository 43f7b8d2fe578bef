import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MeshbuildError } from '../../../src/errors.js';
import { readFileFromTar } from '../../../src/oci/tar-reader.js';
import { ArchiveStore } from '../../../src/publish/archive-store.js';
import { runTagPhase } from '../../../src/publish/tag-phase.js';
import { useTempDirs } from '../../support/temp-dirs.js';

const tempDir = useTempDirs('meshbuild-archive-store-');

function index(label: string) {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [], annotations: { label } }));
  const descriptor = {
    mediaType: 'application/vnd.oci.image.index.v1+json',
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    size: bytes.length,
  };
  return { descriptor, bytes };
}

async function store() {
  const dir = await tempDir();
  return ArchiveStore.at(path.join(dir, 'archives'), path.join(dir, 'out'));
}

describe('--output tar:DIR as an image store', () => {
  it('a tag is one OCI archive naming the image; it reads back and deletes', async () => {
    const archives = await store();
    const pilot = index('pilot');
    await archives.putManifest(pilot.descriptor, pilot.bytes);
    expect(await archives.resolveTag('pilot:1.0')).toBeUndefined();
    await runTagPhase([{ store: archives, tag: 'pilot:1.0', index: pilot.descriptor, bytes: pilot.bytes }], {
      journalFile: path.join(archives.dir, 'j.json'),
      rerun: 'meshbuild all',
    });

    const file = archives.archivePath('pilot:1.0');
    expect(path.basename(file)).toBe('pilot_1.0.tar');
    const listed = JSON.parse((await readFileFromTar(await readFile(file), 'index.json'))!.toString('utf8')) as {
      manifests: Array<{ digest: string; annotations: Record<string, string> }>;
    };
    expect(listed.manifests.map((m) => [m.digest, m.annotations['org.opencontainers.image.ref.name']])).toEqual([[pilot.descriptor.digest, 'pilot:1.0']]);
    expect(await readFileFromTar(await readFile(file), `blobs/sha256/${pilot.descriptor.digest.slice(7)}`)).toEqual(pilot.bytes);

    // Another run: nothing staged, the archive read back from disk.
    const again = await ArchiveStore.at(archives.dir, path.join(await tempDir(), 'out'));
    expect(await again.resolveTag('pilot:1.0')).toEqual(pilot.descriptor);
    expect(await again.readManifest(pilot.descriptor)).toEqual(pilot.bytes);
    expect(await again.deleteTag('pilot:1.0')).toBe(true);
    expect(existsSync(file)).toBe(false);
  });

  it('a failed tag phase removes the archives it wrote and puts an overwritten one back', async () => {
    const archives = await store();
    const [old, pilot, proxy] = [index('pilot 0.9'), index('pilot'), index('proxyv2')];
    for (const image of [old, pilot, proxy]) await archives.putManifest(image.descriptor, image.bytes);
    await archives.putManifest(old.descriptor, old.bytes, 'pilot:latest');
    const put = archives.putManifest.bind(archives);
    archives.putManifest = (descriptor, bytes, tag) =>
      tag === 'proxyv2:latest' ? Promise.reject(new MeshbuildError('disk full')) : put(descriptor, bytes, tag);
    const writes = [
      { store: archives, tag: 'pilot:1.0', index: pilot.descriptor, bytes: pilot.bytes },
      { store: archives, tag: 'pilot:latest', index: pilot.descriptor, bytes: pilot.bytes },
      { store: archives, tag: 'proxyv2:latest', index: proxy.descriptor, bytes: proxy.bytes },
    ];
    await expect(runTagPhase(writes, { journalFile: path.join(archives.dir, 'j.json'), rerun: 'meshbuild all' })).rejects.toThrow(/disk full/);
    expect(existsSync(archives.archivePath('pilot:1.0'))).toBe(false);
    expect(await archives.resolveTag('pilot:latest')).toEqual(old.descriptor);
  });
});
