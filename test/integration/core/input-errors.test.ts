/** Bad input through the real `node bin/meshbuild.js`: exit 2, one clear message, no stack trace. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, STACK_FRAME, runSpawnedCli } from '../../support/cli.js';

describe('bad input, end to end', () => {
  it('--platforms "amd64 arm64" exits 2 naming the entry', async () => {
    const result = await runSpawnedCli([
      'build',
      'pilot',
      '--binaries-only',
      '--platforms',
      'amd64 arm64',
      '--source',
      path.join(REPO_ROOT, 'examples', 'mesh'),
      '--tag',
      't',
      '--out',
      path.join(REPO_ROOT, 'out', 'never'),
    ]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      'error: --platforms: "amd64 arm64" is not a platform: platforms are separated by commas, not spaces\n' +
        'hint: write platforms like --platforms amd64,arm64 or --platforms linux/amd64,linux/arm64\n',
    );
    expect(result.stdout).toBe('');
  });

  it('a targets folder with a cycle exits 2 naming the cycle and each file:line', async () => {
    const fixture = path.join(REPO_ROOT, 'test', 'fixtures', 'targets', 'cycle-images');
    const file = path.relative(REPO_ROOT, path.join(fixture, 'images.yaml'));
    const result = await runSpawnedCli(['build', 'all', '--targets', fixture, '--source', fixture, '--tag', 't']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^error: ${file}:5:13: cycle: a -> b -> a$`, 'm'));
    expect(result.stderr).toContain(`  a -> b (${file}:5:13)\n  b -> a (${file}:8:13)\n`);
    expect(result.stderr).toMatch(/remove one of these references/);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('--jobs 0 and --jobs without a number exit 2 naming the flag', async () => {
    for (const value of ['0', 'many']) {
      const result = await runSpawnedCli(['all', '--jobs', value, '--dry-run']);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/^error: --jobs must be a whole number of at least 1/);
      expect(result.stderr).not.toMatch(STACK_FRAME);
    }
  });
});
