/**
 * Images without --push: the default OCI image layout at `<out>/images` (refs `pilot:T`),
 * `--output tar:DIR` (one OCI archive per image and tag), and `--load` (every platform in the
 * local engine). Each is read back with tools other than meshbuild's own writer: the layout and
 * archives by hand and with skopeo, the engine with `docker image inspect` and `docker run`.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTar } from '../../../src/oci/tar-reader.js';
import { runSpawnedCli, STACK_FRAME } from '../../support/cli.js';
import {
  docker,
  elfMachine,
  entryPlatform,
  EXPECTED_ELF_MACHINE,
  readFileFromImage,
  removeLocalImages,
  requireDocker,
  SHIPPED_BASES,
  SHIPPED_IMAGES,
  uniqueTag,
  type IndexEntry,
  versionRunArgs,
} from '../../support/images.js';

const REF_NAME = 'org.opencontainers.image.ref.name';
const ALL_IMAGES = [...Object.keys(SHIPPED_IMAGES), ...SHIPPED_BASES];

let tmp: string;

beforeAll(async () => {
  await requireDocker();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-images-local-'));
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function meshbuild(args: string[]): Promise<string> {
  const result = await runSpawnedCli(args);
  if (result.exitCode !== 0) throw new Error(`meshbuild ${args.join(' ')} failed (exit ${result.exitCode}):\n${result.stderr}`);
  expect(result.stderr).not.toMatch(STACK_FRAME);
  return result.stdout;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Blobs of an OCI layout, read from whatever holds them (a folder, an archive's entries). */
type BlobReader = (digest: string) => Promise<Buffer>;

/** Checks that an image index lists exactly amd64 and arm64, each with its binaries for that architecture. */
async function expectMultiArchImage(readBlob: BlobReader, indexDigest: string, image: string): Promise<void> {
  const indexBytes = await readBlob(indexDigest);
  expect(sha256(indexBytes)).toBe(indexDigest);
  const entries = (JSON.parse(indexBytes.toString('utf8')) as { manifests: IndexEntry[] }).manifests;
  expect(entries.map(entryPlatform).sort(), image).toEqual(['linux/amd64', 'linux/arm64']);
  for (const entry of entries) {
    const arch = entry.platform!.architecture;
    const manifest = JSON.parse((await readBlob(entry.digest)).toString('utf8')) as { config: IndexEntry; layers: IndexEntry[] };
    const config = JSON.parse((await readBlob(manifest.config.digest)).toString('utf8')) as { architecture: string; os: string };
    expect(config.architecture).toBe(arch);
    expect(config.os).toBe('linux');
    for (const binary of SHIPPED_IMAGES[image] ?? []) {
      const found = await readFileFromImage(
        manifest.layers.map((layer) => () => readBlob(layer.digest)),
        binary,
      );
      expect(found, `${binary} in ${image} ${arch}`).toBeDefined();
      expect(elfMachine(found!.bytes), `${binary} in ${image} ${arch}`).toBe(EXPECTED_ELF_MACHINE[arch]);
    }
  }
}

async function skopeoRawDigest(reference: string): Promise<string> {
  const result = await execa('skopeo', ['inspect', '--raw', reference], { encoding: 'buffer', reject: false });
  if (result.exitCode !== 0) throw new Error(`skopeo inspect --raw ${reference}: ${Buffer.from(result.stderr).toString()}`);
  return sha256(Buffer.from(result.stdout));
}

describe('default output: an OCI layout at <out>/images', () => {
  const tag = 'layout1';
  let layoutDir: string;
  let refs: Map<string, IndexEntry>;

  beforeAll(async () => {
    const out = path.join(tmp, 'layout-out');
    layoutDir = path.join(out, 'images');
    await meshbuild(['all', '--builder', 'buildx', '--platforms', 'amd64,arm64', '--tag', tag, '--out', out]);
    const index = JSON.parse(await readFile(path.join(layoutDir, 'index.json'), 'utf8')) as {
      manifests: Array<IndexEntry & { annotations?: Record<string, string> }>;
    };
    refs = new Map(index.manifests.map((m) => [m.annotations?.[REF_NAME] ?? '', m]));
  }, 900_000);

  it('names every image image:T in index.json', async () => {
    expect(JSON.parse(await readFile(path.join(layoutDir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect([...refs.keys()].sort()).toEqual(ALL_IMAGES.map((image) => `${image}:${tag}`).sort());
  });

  it.each(Object.keys(SHIPPED_IMAGES))('%s:T is a two-platform index with binaries of each architecture', async (image) => {
    const entry = refs.get(`${image}:${tag}`)!;
    await expectMultiArchImage((digest) => readFile(path.join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length))), entry.digest, image);
  });

  it('is readable by skopeo under the same names and digests', async () => {
    for (const image of Object.keys(SHIPPED_IMAGES)) {
      expect(await skopeoRawDigest(`oci:${layoutDir}:${image}:${tag}`)).toBe(refs.get(`${image}:${tag}`)!.digest);
    }
  });
});

describe('--output tar:DIR', () => {
  const tag = 'tar1';
  let tarDir: string;

  beforeAll(async () => {
    tarDir = path.join(tmp, 'tars');
    await meshbuild([
      'all',
      '--builder',
      'buildx',
      '--platforms',
      'amd64,arm64',
      '--tag',
      tag,
      '--out',
      path.join(tmp, 'tar-out'),
      '--output',
      `tar:${tarDir}`,
    ]);
  }, 900_000);

  it('writes one archive per image and tag', async () => {
    expect((await readdir(tarDir)).sort()).toEqual(ALL_IMAGES.map((image) => `${image}_${tag}.tar`).sort());
  });

  it.each(Object.keys(SHIPPED_IMAGES))('%s: the archive is an OCI layout naming a two-platform index image:T', async (image) => {
    const file = path.join(tarDir, `${image}_${tag}.tar`);
    const members = new Map<string, Buffer>();
    for await (const entry of readTar(await readFile(file), { what: file })) {
      if (entry.type === 'file') members.set(entry.path, await entry.buffer());
    }
    expect(JSON.parse(members.get('oci-layout')!.toString('utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(members.get('index.json')!.toString('utf8')) as { manifests: Array<IndexEntry & { annotations?: Record<string, string> }> };
    expect(index.manifests.map((m) => m.annotations?.[REF_NAME])).toEqual([`${image}:${tag}`]);
    const blob = async (digest: string) => {
      const bytes = members.get(`blobs/sha256/${digest.slice('sha256:'.length)}`);
      if (!bytes) throw new Error(`${file} lacks blob ${digest}`);
      return bytes;
    };
    await expectMultiArchImage(blob, index.manifests[0]!.digest, image);
    expect(await skopeoRawDigest(`oci-archive:${file}:${image}:${tag}`)).toBe(index.manifests[0]!.digest);
  });
});

describe('--load', () => {
  const tag = uniqueTag('load');
  const names = ALL_IMAGES.map((image) => `${image}:${tag}`);
  let summary: { images: Array<{ image: string; platforms: string[]; tags: string[]; reference: string }>; output: string };

  beforeAll(async () => {
    const stdout = await meshbuild([
      'all',
      '--builder',
      'buildx',
      '--platforms',
      'amd64,arm64',
      '--tag',
      tag,
      '--load',
      '--json',
      '--out',
      path.join(tmp, 'load-out'),
    ]);
    summary = JSON.parse(stdout) as typeof summary;
  }, 900_000);

  it('ends with a summary of every image loaded: both platforms, its tag, a reference the engine answers to', async () => {
    expect(summary.output).toBe('the local Docker Engine');
    expect(summary.images.map((row) => row.image).sort()).toEqual([...ALL_IMAGES].sort());
    for (const row of summary.images) {
      expect(row.platforms).toEqual(['linux/amd64', 'linux/arm64']);
      expect(row.tags).toEqual([tag]);
      const inspect = await docker(['image', 'inspect', '--format', '{{.Id}}', row.reference]);
      expect(inspect.exitCode, `${row.reference}: ${inspect.stderr}`).toBe(0);
    }
  });

  afterAll(async () => {
    await removeLocalImages(names);
  });

  it('names every image image:T in the local engine', async () => {
    for (const name of names) {
      const inspect = await docker(['image', 'inspect', '--format', '{{.Id}} {{.Os}}', name]);
      expect(inspect.exitCode, `${name}: ${inspect.stderr}`).toBe(0);
      expect(inspect.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64} linux$/);
    }
  });

  it.each(Object.keys(SHIPPED_IMAGES).flatMap((image) => ['amd64', 'arm64'].map((arch) => [image, arch] as const)))(
    '%s runs as linux/%s from the engine without pulling',
    async (image, arch) => {
      const result = await docker(['run', '--rm', '--pull=never', '--platform', `linux/${arch}`, ...versionRunArgs(image, `${image}:${tag}`)]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toContain(`version ${tag} linux/${arch}`);
    },
  );
});
