/**
 * The BuildKit syntax around instructions that Istio-style Dockerfiles use: parser directives,
 * the backtick escape, continuations with comments and empty lines, flags, exec and shell forms,
 * lower-case keywords, ARG before FROM with `${VAR:-default}` / `${VAR:+alt}`.
 */
import { describe, expect, it } from 'vitest';
import { expandVariables, parseDockerfile } from '../../../src/image/dockerfile.js';
import { interpretDockerfile } from '../../../src/image/native/build-steps.js';
import type { Platform } from '../../../src/platform.js';

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const parse = (text: string) => parseDockerfile(text, 'Dockerfile');

describe('parseDockerfile syntax', () => {
  it('reads parser directives, and the backtick escape for continuations', () => {
    const parsed = parse('# syntax=docker/dockerfile:1.7\n# escape=`\n\nFROM `\n    scratch\nCOPY a `\n  C:\\b\\ /\n');
    expect(parsed.directives).toEqual({ syntax: 'docker/dockerfile:1.7', escape: '`' });
    expect(parsed.escape).toBe('`');
    expect(parsed.instructions.map((i) => [i.keyword, i.text, i.line])).toEqual([
      ['FROM', 'scratch', 4],
      ['COPY', 'a   C:\\b\\ /', 6],
    ]);
  });

  it('stops reading directives at the first other line, as BuildKit does', () => {
    const parsed = parse('# a comment\n# escape=`\nFROM scratch\nCOPY a \\\n  b\n');
    expect(parsed.directives).toEqual({});
    expect(parsed.instructions[1]!.text).toBe('a   b');
  });

  it('refuses a repeated directive and an escape other than \\ or `', () => {
    expect(() => parse('# escape=`\n# escape=\\\nFROM scratch\n')).toThrow(
      expect.objectContaining({ message: 'Dockerfile:2: only one escape parser directive can be used', exitCode: 2 }),
    );
    expect(() => parse('# escape=!\nFROM scratch\n')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it('skips comment and empty lines inside a continuation', () => {
    const parsed = parse('FROM scratch\nCOPY --chown=1337:1337 \\\n  # the binary\n\n  bin/app \\\n  /usr/local/bin/app\nUSER 1337\n');
    expect(parsed.instructions.map((i) => [i.keyword, i.text.split(/\s+/), i.line, i.endLine])).toEqual([
      ['FROM', ['scratch'], 1, 1],
      ['COPY', ['bin/app', '/usr/local/bin/app'], 2, 6],
      ['USER', ['1337'], 7, 7],
    ]);
  });

  it('reads flags on every instruction, quoted or not, and -- ends them', () => {
    const [, copy, add, run, dashdash] = parse(
      'FROM scratch\nCOPY --link --chmod=0755 --chown="1337:1337" a /a\nADD --from=build -- --odd /x\nRUN --mount=type=cache,target=/root/.cache go build\nCOPY -- --a /b\n',
    ).instructions;
    expect(copy).toMatchObject({
      flags: { link: 'true', chmod: '0755', chown: '1337:1337' },
      flagWords: ['--link', '--chmod=0755', '--chown=1337:1337'],
      text: 'a /a',
    });
    expect(add).toMatchObject({ flags: { from: 'build' }, text: '--odd /x' });
    expect(run).toMatchObject({ flags: { mount: 'type=cache,target=/root/.cache' }, text: 'go build' });
    expect(dashdash).toMatchObject({ flags: {}, text: '--a /b' });
  });

  it('keeps the exec (JSON) form apart from the shell form, and reads keywords in any case', () => {
    const [, entrypoint, cmd, run, notJson] = parse(
      'from scratch\nentrypoint ["/bin/sh", "-c", "echo hello world"]\nCmd echo "hi"\nRUN ["a b"]\nCMD [not json]\n',
    ).instructions;
    expect(entrypoint).toMatchObject({ keyword: 'ENTRYPOINT', json: ['/bin/sh', '-c', 'echo hello world'] });
    expect(cmd).toMatchObject({ keyword: 'CMD', text: 'echo "hi"' });
    expect(cmd!.json).toBeUndefined();
    expect(run!.json).toEqual(['a b']);
    expect(notJson!.json).toBeUndefined();
    expect(() => parse('FROM scratch\nCMD ["a", 1]\n')).toThrow(
      expect.objectContaining({ message: 'Dockerfile:2: CMD: a JSON array form must hold only strings' }),
    );
  });

  it('expands ARGs declared before FROM with ${VAR:-default} and ${VAR:+alt}', () => {
    const text = 'ARG REG\nARG TAG=1.0\nARG DEBUG\nFROM ${REG:-docker.io/library}/base:${TAG}${DEBUG:+-debug}\n';
    const base = (args: Record<string, string>) => interpretDockerfile(parse(text), args, AMD64, AMD64).stages[0]!.base;
    expect(base({})).toEqual({ kind: 'image', name: 'docker.io/library/base:1.0' });
    expect(base({ REG: 'r.example', DEBUG: '1' })).toEqual({ kind: 'image', name: 'r.example/base:1.0-debug' });
    expect(expandVariables('${A:-x}${B:+y}$C', new Map([['B', 'b']]))).toBe('xy');
  });

  it('strips a byte order mark and reads CRLF line endings', () => {
    const parsed = parse('\uFEFFFROM scratch\r\nCOPY a \\\r\n  /a\r\n');
    expect(parsed.instructions.map((i) => [i.keyword, i.text])).toEqual([
      ['FROM', 'scratch'],
      ['COPY', 'a   /a'],
    ]);
  });
});
