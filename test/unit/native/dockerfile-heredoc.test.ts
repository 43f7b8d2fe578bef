/**
 * Heredocs as BuildKit reads them. The fixture and expectations are BuildKit's own
 * (frontend/dockerfile/parser/parser_heredoc_test.go, TestParseExtractsHeredoc and friends).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { heredocContent, parseDockerfile } from '../../../src/image/dockerfile.js';
import { interpretDockerfile } from '../../../src/image/native/build-steps.js';
import type { Platform } from '../../../src/platform.js';
import { chooseBuilder, nativeBlocker } from '../../../src/plan/builder-choice.js';

const FIXTURE = path.join(import.meta.dirname, '../../fixtures/dockerfiles/buildkit-heredoc/Dockerfile');

const doc = (name: string, content: string, expand = true, chomp = false) => ({ name, content, expand, chomp });

describe('parseDockerfile heredocs', () => {
  it('reads BuildKit TestParseExtractsHeredoc as BuildKit does', () => {
    const parsed = parseDockerfile(readFileSync(FIXTURE, 'utf8'), 'Dockerfile');
    const expected = [
      undefined, // ENV NAME=me
      undefined, // RUN ls
      undefined, // USER <<INVALID: USER takes no heredoc ...
      undefined, // ... so INVALID is read as an instruction
      [doc('EMPTY', '')],
      [doc('EMPTY2', '')],
      undefined, // RUN "<<NOHEREDOC"
      [doc('INDENT', '\tfoo\n\tbar\n')],
      [doc('UNINDENT', '\tbaz\n\tquux\n', true, true)],
      [doc('UNINDENT2', '\tbaz\n\tquux\n', true, true)],
      [doc('EXPAND', '\texpand $NAME\n', true, true)],
      [doc('NOEXPAND', "\tdon't expand $NAME\n", false, true)],
      [doc('COPY', 'echo hello world\necho foo bar\n')],
      [doc('COMMENT', '# internal comment\necho hello world\necho foo bar # trailing comment\n')],
      [doc('MOUNT', 'echo hello\n')],
      [doc('FILE1', 'content 1\n'), doc('FILE2', 'content 2\n')],
      [doc('EOF', '"foo"\n\'bar\'\n')],
      [doc('X', 'Y\n'), doc('Y', 'X\n')],
      [doc('COMPLEX', "print('hello world')\n")],
      [doc('file.txt', 'hello world\n')],
      [doc('eof', 'echo foo\n', false)],
      [doc("eo'f", 'echo foo\n')],
      [doc("eo'f", 'echo foo\n', false)],
      [doc('one two', 'echo bar\n', false)],
      [doc('$EOF', '')],
      [doc('EOF', '')],
      [doc('EOF', '')],
    ];
    expect(parsed.instructions[0]!.keyword).toBe('FROM');
    expect(parsed.instructions.slice(1).map((i) => i.heredocs)).toEqual(expected);
    expect(parsed.instructions.map((i) => i.keyword)).not.toContain('EOF');
  });

  it('keeps the instruction text, flags and lines around a heredoc body', () => {
    const text = ['FROM scratch', 'COPY --chmod=0755 <<EOF /usr/local/bin/hello', '#!/bin/sh', 'RUN echo not an instruction', 'EOF', 'USER 1337'].join('\n');
    const [, copy, user] = parseDockerfile(`${text}\n`, 'Dockerfile').instructions;
    expect(copy).toMatchObject({ keyword: 'COPY', text: '<<EOF /usr/local/bin/hello', flags: { chmod: '0755' }, line: 2, endLine: 5 });
    expect(copy!.heredocs).toEqual([doc('EOF', '#!/bin/sh\nRUN echo not an instruction\n')]);
    expect(user).toMatchObject({ keyword: 'USER', text: '1337', line: 6 });
  });

  it('strips leading tabs from a <<- body when asked for its content', () => {
    const [, run] = parseDockerfile('FROM a\nRUN <<-EOT\n\thello\n\t\tworld\n\tEOT\n', 'Dockerfile').instructions;
    expect(heredocContent(run!.heredocs![0]!)).toBe('hello\nworld\n');
  });

  it('reads a heredoc behind ONBUILD, as BuildKit does', () => {
    const parsed = parseDockerfile('FROM a\nONBUILD RUN <<EOF\nset -e\nEOF\nUSER 1\n', 'Dockerfile');
    expect(parsed.instructions.map((i) => i.keyword)).toEqual(['FROM', 'ONBUILD', 'USER']);
    expect(parsed.instructions[1]!.heredocs).toEqual([doc('EOF', 'set -e\n')]);
  });

  it('does not read heredocs in the JSON form (TestParseJSONHeredoc)', () => {
    const parsed = parseDockerfile('FROM alpine:3.6\n\nRUN ["whoami"]\nRUN ["<<EOF"]\nRUN ["<<\'EOF\'"]\n', 'Dockerfile');
    expect(parsed.instructions.map((i) => i.heredocs)).toEqual([undefined, undefined, undefined, undefined]);
    expect(parsed.instructions[2]!.json).toEqual(['<<EOF']);
  });

  it('refuses an unterminated heredoc at its file:line (exit 2)', () => {
    expect(() => parseDockerfile('FROM a\nCOPY <<EOF /x\nhello\n', 'images/x.Dockerfile')).toThrow(
      expect.objectContaining({ message: expect.stringContaining('images/x.Dockerfile:2: unterminated heredoc <<EOF'), exitCode: 2 }),
    );
  });
});

describe('a heredoc COPY and the builders', () => {
  const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
  const text = 'FROM scratch\nCOPY a /a\ncopy --chmod=0644 <<EOF /etc/motd\nhello\nEOF\nENTRYPOINT ["/a"]\n';

  it('is sent to buildx by --builder auto, and refused by --builder native at its line', () => {
    const dockerfile = parseDockerfile(text, 'images/motd.Dockerfile');
    expect(nativeBlocker(dockerfile)).toEqual({ keyword: 'COPY <<heredoc', line: 3 });
    expect(chooseBuilder(dockerfile, 'auto')).toEqual({ builder: 'buildx', reason: 'auto: COPY <<heredoc at line 3 needs buildx' });
    expect(() => chooseBuilder(dockerfile, 'native')).toThrow(expect.objectContaining({ exitCode: 2, location: expect.objectContaining({ line: 3 }) }));
  });

  it('is refused by the native interpreter with file:line and exit 2', () => {
    const dockerfile = parseDockerfile(text, 'images/motd.Dockerfile');
    expect(() => interpretDockerfile(dockerfile, {}, AMD64, AMD64)).toThrow(
      expect.objectContaining({
        message: 'images/motd.Dockerfile:3: COPY <<EOF (a heredoc) cannot be built by the native builder; use --builder buildx (or auto)',
        exitCode: 2,
      }),
    );
  });
});
