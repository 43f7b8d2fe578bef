/** docs/github-actions.yml is valid YAML and wires matrix -> build (native runners) -> merge, plus a release job. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parsePlatformList } from '../../../src/platform.js';
import { ciMatrix } from '../../../src/release/matrix.js';
import { REPO_ROOT } from '../../support/cli.js';

interface Workflow {
  jobs: Record<string, { needs?: string | string[]; 'runs-on': string; strategy?: { matrix: string }; steps: Array<{ run?: string }> }>;
}

describe('docs/github-actions.yml', () => {
  it('prints the matrix, builds a shard per platform on its runner, merges the shards, and has a release job', async () => {
    const workflow = load(await readFile(path.join(REPO_ROOT, 'docs', 'github-actions.yml'), 'utf8')) as Workflow;
    const runs = (job: string) => workflow.jobs[job]!.steps.map((s) => s.run ?? '').join('\n');
    expect(Object.keys(workflow.jobs)).toEqual(['matrix', 'build', 'merge', 'release']);

    expect(runs('matrix')).toMatch(/meshbuild matrix .*--by platform/);
    const build = workflow.jobs.build!;
    expect(build.needs).toBe('matrix');
    expect(build.strategy?.matrix).toBe('${{ fromJSON(needs.matrix.outputs.matrix) }}');
    expect(build['runs-on']).toBe('${{ matrix.runner }}');
    expect(runs('build')).toMatch(
      /meshbuild build \$\{\{ matrix\.target \}\} --source \. --platforms \$\{\{ matrix\.platforms \}\}.*--push-by-digest --report shard-\$\{\{ matrix\.shard \}\}\.json/s,
    );

    expect(workflow.jobs.merge!.needs).toBe('build');
    expect(runs('merge')).toMatch(/meshbuild merge shard-\*\.json .*--tag /s);
    expect(runs('release')).toMatch(/meshbuild release "\$GITHUB_REF_NAME"/);

    // The runners the matrix names are GitHub's native ones.
    expect(ciMatrix(parsePlatformList('amd64,arm64'), [], 'platform', 'github').include.map((j) => j.runner)).toEqual(['ubuntu-24.04', 'ubuntu-24.04-arm']);
  });
});
