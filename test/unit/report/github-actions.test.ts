/** GitHub Actions' workflow commands: annotations on a file's line, folded groups, and the CI log on Actions. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { usageError } from '../../../src/errors.js';
import { CiReporter } from '../../../src/report/ci-reporter.js';
import { annotationsOf, errorCommand, foldedGroup, isGithubActions } from '../../../src/report/github-actions.js';
import type { RunEvent } from '../../../src/run/events.js';
import { runEvents, sampleJobs } from './sample-run.js';

describe('GitHub Actions workflow commands', () => {
  it('is detected from the runner environment', () => {
    expect(isGithubActions({ GITHUB_ACTIONS: 'true' })).toBe(true);
    expect(isGithubActions({ GITHUB_STEP_SUMMARY: '/tmp/summary.md' })).toBe(true);
    expect(isGithubActions({ CI: '1' })).toBe(false);
  });

  it('points a targets-file error at its file (relative to the workspace), line and column', () => {
    const error = usageError('image "pilot" names binary "pilot-discovry", which no target defines', {
      location: { file: '/ws/targets/images.yaml', line: 12, column: 7 },
      hint: 'did you mean pilot-discovery?',
      diagnostics: [{ message: 'group "all" names "ztunel"', location: { file: '/ws/targets/groups.yaml', line: 3, column: 5 } }],
    });
    expect(annotationsOf(error, '/ws')).toBe(
      '::error file=targets/images.yaml,line=12,col=7::image "pilot" names binary "pilot-discovry", which no target defines%0Adid you mean pilot-discovery?\n' +
        '::error file=targets/groups.yaml,line=3,col=5::group "all" names "ztunel"\n',
    );
  });

  it('escapes what would end a property or a command', () => {
    expect(errorCommand({ title: 'go build: a,b', message: '100% broken\r\nagain' })).toBe('::error title=go build%3A a%2Cb::100%25 broken%0D%0Aagain\n');
    expect(errorCommand({ message: 'x', location: { file: path.resolve('/elsewhere/t.yaml'), line: 1, column: 2 } }, '/ws')).toBe(
      '::error file=/elsewhere/t.yaml,line=1,col=2::x\n',
    );
  });

  it('folds lines in a group', () => {
    expect(foldedGroup('output of go', 'a\nb')).toBe('::group::output of go\na\nb\n::endgroup::\n');
  });
});

describe('CiReporter on GitHub Actions', () => {
  function log(events: RunEvent[], options: ConstructorParameters<typeof CiReporter>[2]): string {
    let text = '';
    const reporter = new CiReporter({ write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WritableStream, () => 'T', options);
    for (const event of events) reporter.onEvent(event);
    return text;
  }
  const go = sampleJobs.find((j) => j.id === 'go:linux_arm64')!;
  const failing = runEvents([['go:linux_arm64', 0, 900, 'fail']], 1000).map((e) =>
    e.type === 'job-failed'
      ? { ...e, failure: { message: 'go build failed for pilot-discovery (linux/arm64)', detail: './main.go:3:1: syntax error', hint: 'fix it' } }
      : e,
  );

  it('annotates a failed job and folds its tool output', () => {
    const text = log(failing, { github: true });
    expect(text).toContain('::group::output of go:linux_arm64\n    | ./main.go:3:1: syntax error\n::endgroup::\n');
    expect(text).toContain('::error title=go%3Alinux_arm64::go build failed for pilot-discovery (linux/arm64)%0Afix it\n');
  });

  it("with --verbose folds each job's tool output under its title when it ends", () => {
    const events = runEvents([['go:linux_arm64', 0, 900]], 1000);
    events.splice(2, 0, { type: 'job-output', at: 0, job: go, stream: 'stderr', text: 'runtime\nexample.com/mesh/cmd\n' });
    expect(log(events, { github: true, verbose: true })).toContain('::group::go:linux_arm64: tool output\nruntime\nexample.com/mesh/cmd\n::endgroup::\n');
    expect(log(events, { github: true })).not.toContain('runtime');
  });

  it('with --quiet keeps only failures', () => {
    expect(log(runEvents([['go:linux_arm64', 0, 900]], 1000), { quiet: true })).toBe('');
    expect(log(failing, { quiet: true })).toContain('FAILED go:linux_arm64');
  });
});

describe('CiReporter annotations of located failures', () => {
  it('puts a failure that names a file and line on that line, relative to the workspace', () => {
    let text = '';
    const reporter = new CiReporter({ write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WritableStream, () => 'T', {
      github: true,
      workspace: '/ws',
    });
    const failing = runEvents([['image:base', 0, 900, 'fail']], 1000).map((e) =>
      e.type === 'job-failed' ? { ...e, failure: { message: 'RUN needs buildx', location: { file: '/ws/docker/Dockerfile.base', line: 4, column: 1 } } } : e,
    );
    for (const event of failing) reporter.onEvent(event);
    expect(text).toContain('::error file=docker/Dockerfile.base,line=4,col=1,title=base::RUN needs buildx\n');
  });
});
