/**
 * Fetched artifacts through the real CLI, from a real HTTP server on 127.0.0.1: checked against
 * a pinned sha256 or a published checksum file, optionally pulled out of a .tar.gz, and moved
 * into out/<os>_<arch>/ only when everything checked out.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, STACK_FRAME, runCli } from '../../support/cli.js';
import { startFileServer, type FileServer } from '../../support/http-file-server.js';
import { listFiles, useTempDirs } from './files.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'targets', 'fetch');
const PINNED = 'pinned artifact for linux/amd64\n';
const CHECKSUMMED = 'checked against a published .sha256 file\n';
const ENVOY = '#!/bin/sh\necho "envoy stand-in from a tarball"\n';
const tempDir = useTempDirs('meshbuild-fetch-');
const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

let server: FileServer;

/** A .tar.gz holding usr/local/bin/envoy (and its folders), made by the system tar and gzip. */
async function envoyTarball(): Promise<Buffer> {
  const dir = await tempDir();
  const tree = path.join(dir, 'tree');
  await mkdir(path.join(tree, 'usr', 'local', 'bin'), { recursive: true });
  await writeFile(path.join(tree, 'usr', 'local', 'bin', 'README'), 'not this one\n');
  await writeFile(path.join(tree, 'usr', 'local', 'bin', 'envoy'), ENVOY, { mode: 0o755 });
  await execa('tar', ['-C', tree, '-cf', path.join(dir, 'envoy.tar'), 'usr']);
  await execa('gzip', ['-n', path.join(dir, 'envoy.tar')]);
  return readFile(path.join(dir, 'envoy.tar.gz'));
}

async function fetchArtifact(name: string) {
  const out = await tempDir();
  const result = await runCli(
    ['build', `artifact:${name}`, '--binaries-only', '--platforms', 'amd64', '--targets', FIXTURE, '--source', FIXTURE, '--tag', 't', '--out', out],
    {
      env: { MESHBUILD_TEST_FILE_SERVER: server.host },
    },
  );
  return { out, result };
}

beforeAll(async () => {
  const tarball = await envoyTarball();
  server = await startFileServer({
    '/pinned-linux-amd64': PINNED,
    '/tampered-amd64': 'not the file the targets pin\n',
    '/checksummed-amd64': CHECKSUMMED,
    '/checksummed-amd64.sha256': `${sha256(CHECKSUMMED)}  checksummed-amd64\n`,
    '/envoy-amd64.tar.gz': tarball,
    '/envoy-amd64.tar.gz.sha256': `${sha256(tarball)}  envoy-amd64.tar.gz\n`,
  });
});

afterAll(async () => {
  await server?.close();
});

describe('fetched artifacts', () => {
  it('a download matching its pinned sha256 lands in out/linux_amd64/<name>, executable', async () => {
    const { out, result } = await fetchArtifact('pinned');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(server.requests).toContain('/pinned-linux-amd64');
    expect(await listFiles(out)).toEqual(['linux_amd64/pinned']);
    expect(await readFile(path.join(out, 'linux_amd64', 'pinned'), 'utf8')).toBe(PINNED);
    expect((await stat(path.join(out, 'linux_amd64', 'pinned'))).mode & 0o111).not.toBe(0);
  });

  it('a wrong sha256 exits 1 with "sha256 mismatch" and leaves nothing behind', async () => {
    const { out, result } = await fetchArtifact('tampered');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/sha256 mismatch for tampered \(linux\/amd64\): expected [0-9a-f]{64}, got [0-9a-f]{64}/);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(await listFiles(path.join(out, 'linux_amd64'))).toEqual([]);
    expect(await listFiles(path.join(out, '.tmp'))).toEqual([]);
    expect(await listFiles(out)).toEqual([]);
  });

  it('a sha256Url checksum file is fetched and checked', async () => {
    const { out, result } = await fetchArtifact('checksummed');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(server.requests).toContain('/checksummed-amd64.sha256');
    expect(await readFile(path.join(out, 'linux_amd64', 'checksummed'), 'utf8')).toBe(CHECKSUMMED);
  });

  it('a sha256Url that disagrees with the download is a mismatch too', async () => {
    server.files.set('/checksummed-amd64.sha256', Buffer.from(`${sha256('something else')}  checksummed-amd64\n`));
    try {
      const { out, result } = await fetchArtifact('checksummed');
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/sha256 mismatch for checksummed \(linux\/amd64\)/);
      expect(await listFiles(out)).toEqual([]);
    } finally {
      server.files.set('/checksummed-amd64.sha256', Buffer.from(`${sha256(CHECKSUMMED)}  checksummed-amd64\n`));
    }
  });

  it('extract pulls one member out of a .tar.gz made by tar and gzip, under its fileName', async () => {
    const { out, result } = await fetchArtifact('envoy-tarball');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await listFiles(out)).toEqual(['linux_amd64/envoy']);
    expect(await readFile(path.join(out, 'linux_amd64', 'envoy'), 'utf8')).toBe(ENVOY);
    const run = await execa(path.join(out, 'linux_amd64', 'envoy'), [], { reject: false });
    expect(run.stdout).toBe('envoy stand-in from a tarball');
  });

  it('a missing download exits 1 naming the URL and the HTTP status', async () => {
    server.files.delete('/pinned-linux-amd64');
    try {
      const { out, result } = await fetchArtifact('pinned');
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`could not download pinned (linux/amd64) from ${server.url}/pinned-linux-amd64: HTTP 404`);
      expect(await listFiles(out)).toEqual([]);
    } finally {
      server.files.set('/pinned-linux-amd64', Buffer.from(PINNED));
    }
  });
});
