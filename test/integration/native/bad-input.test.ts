/**
 * Bad input to the native builder, each ending in one clear message, no stack trace and no tag:
 * a registry base without one of the platforms (an index with amd64 only, and a bare amd64
 * manifest), a COPY source outside the build context, a symlink in a declared source folder that
 * leads outside the source tree, and ADD of an archive (which BuildKit would unpack).
 */
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, STACK_FRAME, type CliResult } from '../../support/cli.js';
import { entryPlatform, errorLines, getManifest, listTags, OCI_INDEX, uniqueNamespace, type IndexEntry } from '../../support/images.js';
import { requireStack } from './native-support.js';

const FIXTURES = path.join('test', 'fixtures', 'native');

/** The refs an OCI layout names (none when it was never written). */
async function layoutRefs(dir: string): Promise<string[]> {
  const file = path.join(dir, 'index.json');
  if (!existsSync(file)) return [];
  const index = JSON.parse(await readFile(file, 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> };
  return index.manifests.flatMap((m) => m.annotations?.['org.opencontainers.image.ref.name'] ?? []);
}

/** The exit code, no stack trace, and exactly one `error:` line, saying `message`. */
function expectOneClearFailure(result: CliResult, exitCode: number, message: RegExp): void {
  expect(result.exitCode, result.stderr).toBe(exitCode);
  expect(result.stderr).not.toMatch(STACK_FRAME);
  expect(result.stderr).not.toMatch(/Internal error/);
  const errors = errorLines(result.stderr);
  expect(errors, result.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(message);
}

describe('bad input to the native builder', () => {
  let registry: string;
  let tmp: string;

  beforeAll(async () => {
    registry = await requireStack({ docker: false, skopeo: true });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-native-bad-'));
  });

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  describe('a base image without one of the platforms', () => {
    let targets: string;
    let baseNamespace: string;

    beforeAll(async () => {
      baseNamespace = uniqueNamespace('native-onlyamd64');
      targets = path.join(tmp, 'missing-platform');
      await cp(path.join(FIXTURES, 'missing-platform'), targets, { recursive: true });
      const template = await readFile(path.join(targets, 'uses-base.Dockerfile.in'), 'utf8');
      await writeFile(path.join(targets, 'needs-arm64.Dockerfile'), template.replaceAll('{{BASE}}', `${registry}/${baseNamespace}/onlyamd64:1`));
      await writeFile(path.join(targets, 'needs-arm64-bare.Dockerfile'), template.replaceAll('{{BASE}}', `${registry}/${baseNamespace}/onlyamd64-bare:1`));
      // The base: pushed for linux/amd64 only, as an index and as the bare manifest.
      const pushed = await runCli([
        'build',
        'onlyamd64',
        '--targets',
        targets,
        '--builder',
        'native',
        '--platforms',
        'amd64',
        '--push',
        '--hub',
        `${registry}/${baseNamespace}`,
        '--tag',
        '1',
        '--out',
        path.join(tmp, 'base-out'),
      ]);
      if (pushed.exitCode !== 0) throw new Error(`pushing the amd64-only base failed:\n${pushed.stderr}`);
      const index = await getManifest(registry, `${baseNamespace}/onlyamd64`, '1', OCI_INDEX);
      const entries = index.json.manifests as IndexEntry[];
      expect(entries.map(entryPlatform)).toEqual(['linux/amd64']);
      const copy = await execa(
        'skopeo',
        [
          'copy',
          '--src-tls-verify=false',
          '--dest-tls-verify=false',
          `docker://${registry}/${baseNamespace}/onlyamd64@${entries[0]!.digest}`,
          `docker://${registry}/${baseNamespace}/onlyamd64-bare:1`,
        ],
        { reject: false },
      );
      if (copy.exitCode !== 0) throw new Error(`skopeo copy of the bare amd64 manifest failed: ${copy.stderr}`);
    }, 300_000);

    it.each([
      ['an index with linux/amd64 only', 'needs-arm64', 'onlyamd64', /has no linux\/arm64 image \(it has linux\/amd64\)/],
      ['a bare linux/amd64 manifest', 'needs-arm64-bare', 'onlyamd64-bare', /has no linux\/arm64 image \(it is a single linux\/amd64 image/],
    ])('%s: one error naming the base and linux/arm64, exit 1, no tag', async (_what, image, base, message) => {
      const namespace = uniqueNamespace('native-missing');
      const result = await runCli([
        'build',
        image,
        '--targets',
        targets,
        '--builder',
        'native',
        '--platforms',
        'amd64,arm64',
        '--push',
        '--hub',
        `${registry}/${namespace}`,
        '--tag',
        't1',
        '--out',
        path.join(tmp, `${image}-out`),
      ]);
      expectOneClearFailure(result, 1, message);
      expect(result.stderr).toContain(`base image ${registry}/${baseNamespace}/${base}:1 has no linux/arm64 image`);
      expect(await listTags(registry, `${namespace}/${image}`)).toEqual([]);
    });

    it('the same Dockerfile builds for linux/amd64 alone (the base itself is fine)', async () => {
      const out = path.join(tmp, 'amd64-only-out');
      const result = await runCli([
        'build',
        'needs-arm64',
        'needs-arm64-bare',
        '--targets',
        targets,
        '--builder',
        'native',
        '--platforms',
        'amd64',
        '--tag',
        't1',
        '--out',
        out,
      ]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect((await layoutRefs(path.join(out, 'images'))).sort()).toEqual(['needs-arm64-bare:t1', 'needs-arm64:t1']);
    });
  });

  it('COPY ../../etc/passwd: a usage error saying the source is outside the build context, exit 2, no tag', async () => {
    const out = path.join(tmp, 'escape-out');
    const result = await runCli([
      'build',
      'escape',
      '--targets',
      path.join(FIXTURES, 'outside-context'),
      '--builder',
      'native',
      '--platforms',
      'amd64,arm64',
      '--tag',
      't1',
      '--out',
      out,
    ]);
    expectOneClearFailure(result, 2, /COPY source \.\.\/\.\.\/etc\/passwd is outside the build context/);
    expect(result.stderr).toContain(
      `error: ${path.join(FIXTURES, 'outside-context', 'escape.Dockerfile')}:3: COPY source ../../etc/passwd is outside the build context`,
    );
    expect(result.stderr).not.toMatch(/root:x:0:0/);
    expect(await layoutRefs(path.join(out, 'images'))).toEqual([]);
  });

  describe('a symlink in a declared source folder', () => {
    async function sourceTree(name: string, link: string): Promise<string> {
      const source = path.join(tmp, name);
      await mkdir(path.join(source, 'conf'), { recursive: true });
      await writeFile(path.join(source, 'conf', 'app.yaml'), 'a: 1\n');
      await symlink(link, path.join(source, 'conf', 'link'));
      return source;
    }

    it.each([
      ['an absolute path', 'absolute', '/etc/passwd'],
      ['climbing out with ..', 'relative', '../../../../../../../../etc/passwd'],
    ])('leading outside the source tree (%s): a clear error, exit 2, no tag', async (_what, name, link) => {
      const source = await sourceTree(`source-${name}`, link);
      const out = path.join(tmp, `symlink-${name}-out`);
      const result = await runCli([
        'build',
        'leaky',
        '--targets',
        path.join(FIXTURES, 'source-symlink'),
        '--source',
        source,
        '--builder',
        'native',
        '--platforms',
        'amd64,arm64',
        '--tag',
        't1',
        '--out',
        out,
      ]);
      expectOneClearFailure(result, 2, /symlink .*conf\/link points outside the source tree/);
      expect(result.stderr).toContain(link);
      expect(await layoutRefs(path.join(out, 'images'))).toEqual([]);
    });

    it('pointing inside the folder: copied as a symlink', async () => {
      const source = await sourceTree('source-inside', 'app.yaml');
      const out = path.join(tmp, 'symlink-inside-out');
      const result = await runCli([
        'build',
        'leaky',
        '--targets',
        path.join(FIXTURES, 'source-symlink'),
        '--source',
        source,
        '--builder',
        'native',
        '--platforms',
        'amd64,arm64',
        '--tag',
        't1',
        '--out',
        out,
      ]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(await layoutRefs(path.join(out, 'images'))).toEqual(['leaky:t1']);
    });
  });

  it('ADD of an archive (gzip data under any name): a usage error, exit 2, no tag', async () => {
    const out = path.join(tmp, 'add-archive-out');
    const result = await runCli([
      'build',
      'add-archive',
      '--targets',
      path.join(FIXTURES, 'unsupported'),
      '--builder',
      'native',
      '--platforms',
      'amd64,arm64',
      '--tag',
      't1',
      '--out',
      out,
    ]);
    expectOneClearFailure(result, 2, /ADD payload\.bin is an archive, which BuildKit would unpack/);
    expect(result.stderr).toContain(`${path.join(FIXTURES, 'unsupported', 'add-archive.Dockerfile')}:3:`);
    expect(await layoutRefs(path.join(out, 'images'))).toEqual([]);
  });
});
