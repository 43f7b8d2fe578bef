/**
 * The README's CI fan-out snippet, read from the README itself: a shard per platform, each with
 * the release's --tag, and a merge of every shard with the same tag; and each shard's command line
 * (as `plan`) stamps its binaries with that tag, not the commit.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../support/cli.js';

/** The commands of the README example whose comment starts with `# CI fan-out`, as argument lists. */
function fanOutSnippet(): string[][] {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8').split('\n');
  const start = readme.findIndex((line) => line.trim().startsWith('# CI fan-out'));
  expect(start, 'the README has a "# CI fan-out" example').toBeGreaterThan(0);
  const commands: string[][] = [];
  for (const line of readme.slice(start + 1)) {
    const text = line.trim();
    if (text === '') break;
    if (text.startsWith('#')) continue;
    commands.push(text.replace(/\s+#.*$/, '').split(/\s+/));
  }
  return commands;
}

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

describe("the README's CI fan-out", () => {
  const commands = fanOutSnippet();
  const shards = commands.filter((args) => args[1] === 'all');
  const merge = commands.find((args) => args[1] === 'merge');

  it('has a shard per platform, each pushing by digest with the tag and a report, and a merge of them all with that tag', () => {
    expect(shards.map((args) => flag(args, '--platforms'))).toEqual(['amd64', 'arm64']);
    const tag = flag(merge ?? [], '--tag');
    expect(tag).toMatch(/^\d+\.\d+\.\d+$/);
    for (const shard of shards) {
      expect(shard).toContain('--push-by-digest');
      expect(flag(shard, '--tag')).toBe(tag);
      expect(merge).toContain(flag(shard, '--report'));
    }
  });

  it.each([0, 1])("shard %i's binaries are stamped with its --tag", async (index) => {
    const shard = shards[index]!;
    const report = shard.indexOf('--report');
    const args = ['plan', '--json', ...shard.slice(2).filter((_, i) => i !== report - 2 && i !== report - 1)];
    const result = await runCli(args, { env: { TAG: undefined } });
    expect(result.exitCode, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as { jobs: Array<{ kind: string; ldflags?: string }> };
    const builds = plan.jobs.filter((job) => job.kind === 'go-build');
    expect(builds.length).toBeGreaterThan(0);
    for (const build of builds) expect(build.ldflags).toContain(`pkg/version.buildVersion=${flag(shard, '--tag')!} `);
  });
});
