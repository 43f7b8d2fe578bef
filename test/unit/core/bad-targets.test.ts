/**
 * Every mistake a targets folder can hold ends as one usage error (exit 2) that points at the
 * file and line, says what to do, and shows no stack trace. Each fixture under
 * test/fixtures/targets/<name>/ holds one mistake.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { EXIT_USAGE, MeshbuildError, formatLocation, type Diagnostic } from '../../../src/errors.js';
import { REPO_ROOT, STACK_FRAME, runCli } from '../../support/cli.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'targets');

/** How meshbuild names a file in messages: relative to where it runs. */
const shown = (fixture: string, file: string) => path.relative(process.cwd(), path.join(FIXTURES, fixture, file));

function loadError(fixture: string): MeshbuildError {
  const dir = path.join(FIXTURES, fixture);
  try {
    loadConfig({ targetsDir: dir, sourceDir: dir });
  } catch (error) {
    expect(error).toBeInstanceOf(MeshbuildError);
    return error as MeshbuildError;
  }
  throw new Error(`loadConfig accepted test/fixtures/targets/${fixture}`);
}

/** The first problem and the rest, as one list. */
function allProblems(error: MeshbuildError): Diagnostic[] {
  return [{ message: error.message, ...(error.location ? { location: error.location } : {}) }, ...error.diagnostics];
}

async function planFixture(fixture: string) {
  const dir = path.join(FIXTURES, fixture);
  return runCli(['plan', '--targets', dir, '--source', dir, '--tag', 'test']);
}

/** The closing advice of every targets error. */
const FIX_HINT = /fix (the|these \d+ problems in the) targets file/;

interface BadCase {
  fixture: string;
  file: string;
  line: number;
  message: RegExp;
  /** Advice in the message or hint: what the user should do. */
  advice: RegExp;
  /** Further file:line pairs the message must name (each edge of a cycle, the other declaration). */
  alsoNames?: string[];
}

const CASES: BadCase[] = [
  { fixture: 'malformed-yaml', file: 'binaries.yaml', line: 5, message: /^not valid YAML: bad indentation of a mapping entry/, advice: /fix the targets file/ },
  { fixture: 'unknown-key', file: 'binaries.yaml', line: 5, message: /^unknown key "pakage" in binary "pilot-discovery"/, advice: /allowed: package, / },
  {
    fixture: 'missing-reference',
    file: 'images.yaml',
    line: 9,
    message: /^image "pilot" uses binary or artifact "pilot-agent" is not declared in any targets file/,
    advice: /fix the targets file/,
  },
  {
    fixture: 'cycle-images',
    file: 'images.yaml',
    line: 5,
    message: /^cycle: a -> b -> a\n/,
    advice: /remove one of these references/,
    alsoNames: ['images.yaml:5:', 'images.yaml:8:'],
  },
  {
    fixture: 'cycle-groups',
    file: 'groups.yaml',
    line: 6,
    message: /^cycle: outer -> middle -> inner -> outer\n/,
    advice: /remove one of these references/,
    alsoNames: ['groups.yaml:6:', 'groups.yaml:7:', 'groups.yaml:8:'],
  },
  {
    fixture: 'duplicate-name',
    file: 'b.yaml',
    line: 5,
    message: /^duplicate name "pilot-discovery": binary "pilot-discovery" clashes with binary "pilot-discovery"/,
    advice: /rename one of them/,
    alsoNames: ['a.yaml:2:'],
  },
  {
    fixture: 'unknown-platform',
    file: 'binaries.yaml',
    line: 6,
    message: /^"linux\/sparc" in extraPlatforms of binary "istioctl" is not a platform: unknown architecture "sparc"/,
    advice: /known: amd64, arm64/,
  },
  {
    fixture: 'missing-dockerfile',
    file: 'images.yaml',
    line: 7,
    message: /^image "pilot": Dockerfile \S*pilot\.Dockerfile does not exist/,
    advice: /fix the targets file/,
  },
  {
    fixture: 'artifact-without-sha256',
    file: 'artifacts.yaml',
    line: 3,
    message: /^artifact "envoy" downloads from a url, so it needs "sha256" per platform \(or a "sha256Url"\)/,
    advice: /sha256/,
  },
];

describe('bad targets folders', () => {
  it.each(CASES)('$fixture: exit 2 at $file:$line, with advice and no stack trace', async (bad) => {
    const where = `${shown(bad.fixture, bad.file)}:${bad.line}:`;

    const error = loadError(bad.fixture);
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.location, 'the error carries a location').toBeDefined();
    expect(`${formatLocation(error.location!)}`).toMatch(new RegExp(`^${escape(where)}\\d+$`));
    expect(error.message).toMatch(bad.message);
    expect(`${error.message}\n${error.hint ?? ''}`).toMatch(bad.advice);
    expect(error.hint).toMatch(FIX_HINT);
    for (const name of bad.alsoNames ?? []) expect(error.message).toContain(`${path.join(path.dirname(shown(bad.fixture, bad.file)), name)}`);

    const cli = await planFixture(bad.fixture);
    expect(cli.exitCode).toBe(EXIT_USAGE);
    expect(cli.stdout).toBe('');
    expect(cli.stderr.startsWith(`error: ${where}`), cli.stderr).toBe(true);
    expect(cli.stderr).toMatch(new RegExp(`^hint: ${FIX_HINT.source}`, 'm'));
    expect(cli.stderr).not.toMatch(STACK_FRAME);
    expect(cli.stderr).not.toMatch(/Internal error/);
  });

  it('reports every problem of one file in one run, each at its line', async () => {
    const file = shown('several-problems', 'targets.yaml');
    const expected = [
      { line: 5, message: /"plan9\/amd64" in extraPlatforms of binary "istioctl" is not a platform: unknown operating system "plan9"/ },
      { line: 8, message: /"cgo" of binary "pilot-agent" must be true or false/ },
      { line: 10, message: /artifact "envoy" downloads from a url, so it needs "sha256"/ },
      { line: 15, message: /image "proxyv2" uses binary or artifact "pilot-discovery" is not declared/ },
    ];

    const error = loadError('several-problems');
    expect(error.exitCode).toBe(EXIT_USAGE);
    const problems = allProblems(error);
    expect(problems.map((p) => p.location && `${p.location.file}:${p.location.line}`)).toEqual(expected.map((e) => `${file}:${e.line}`));
    expected.forEach((e, i) => expect(problems[i]!.message).toMatch(e.message));
    expect(error.hint).toBe('fix these 4 problems in the targets files');

    const cli = await planFixture('several-problems');
    expect(cli.exitCode).toBe(EXIT_USAGE);
    const errorLines = cli.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errorLines).toHaveLength(4);
    expected.forEach((e, i) => {
      expect(errorLines[i]!.startsWith(`error: ${file}:${e.line}:`), errorLines[i]).toBe(true);
      expect(errorLines[i]).toMatch(e.message);
    });
    expect(cli.stderr).not.toMatch(STACK_FRAME);
  });

  it('a --targets path that is not a folder is a usage error too', async () => {
    const cli = await runCli(['plan', '--targets', path.join(FIXTURES, 'no-such-folder'), '--tag', 'test']);
    expect(cli.exitCode).toBe(EXIT_USAGE);
    expect(cli.stderr).toMatch(/^error: --targets: .*no-such-folder is not a folder/);
    expect(cli.stderr).not.toMatch(STACK_FRAME);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
