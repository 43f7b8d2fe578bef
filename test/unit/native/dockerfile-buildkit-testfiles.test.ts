/**
 * Our Dockerfile parser against BuildKit's own parser test cases
 * (moby/buildkit frontend/dockerfile/parser/testfiles, copied into test/fixtures/dockerfiles/buildkit):
 * each `result` is BuildKit's AST dump, one `(instruction ["--flag" ...] "arg" ...)` per instruction.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile, splitWords, type DockerfileInstruction } from '../../../src/image/dockerfile.js';

const ROOT = path.join(import.meta.dirname, '../../fixtures/dockerfiles/buildkit');

interface DumpedNode {
  keyword: string;
  flags: string[];
  args: string[];
  /** ONBUILD and HEALTHCHECK nest a node: only the keyword is compared. */
  nested: boolean;
}

/** Reads one line of BuildKit's `Node.Dump()`: Go-quoted strings, flags in brackets. */
function readDumpLine(line: string): DumpedNode {
  let pos = 0;
  const readString = (): string => {
    let value = '';
    pos++; // opening quote
    while (line[pos] !== '"') {
      const ch = line[pos++]!;
      if (ch !== '\\') {
        value += ch;
        continue;
      }
      const esc = line[pos++]!;
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', a: '\x07', '"': '"', '\\': '\\', "'": "'" };
      if (esc in simple) value += simple[esc];
      else {
        const width = esc === 'x' ? 2 : esc === 'u' ? 4 : 8;
        value += String.fromCodePoint(parseInt(line.slice(pos, pos + width), 16));
        pos += width;
      }
    }
    pos++;
    return value;
  };
  const keyword = /^\((\w+)/.exec(line)![1]!.toUpperCase();
  pos = keyword.length + 1;
  const node: DumpedNode = { keyword, flags: [], args: [], nested: false };
  while (pos < line.length) {
    const ch = line[pos]!;
    if (ch === '"') node.args.push(readString());
    else if (ch === '[') {
      pos++;
      while (line[pos] !== ']') {
        if (line[pos] === '"') node.flags.push(readString());
        else pos++;
      }
      pos++;
    } else if (ch === '(') {
      node.nested = true;
      break;
    } else pos++;
  }
  return node;
}

/** Our instruction in BuildKit's AST shape, for the instructions whose arguments the lexer decides. */
function asBuildKitArgs(instruction: DockerfileInstruction): string[] | undefined {
  if (instruction.json) return instruction.json;
  const text = instruction.text;
  switch (instruction.keyword) {
    case 'RUN':
    case 'CMD':
    case 'ENTRYPOINT':
    case 'SHELL':
    case 'USER':
    case 'WORKDIR':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
      return text === '' ? [] : [text];
    case 'FROM':
    case 'EXPOSE':
    case 'COPY':
    case 'ADD':
    case 'VOLUME':
      return text === '' ? [] : text.split(/[\t\v\f\r ]+/);
    default:
      // ENV and LABEL: BuildKit splits name/value pairs in its AST; build-steps does that part.
      return undefined;
  }
}

const cases = readdirSync(ROOT).filter((name) => !name.includes('.'));

describe('parseDockerfile on BuildKit parser testfiles', () => {
  it('has the testfiles', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('%s', (name) => {
    const text = readFileSync(path.join(ROOT, name, 'Dockerfile'), 'utf8');
    const expected = readFileSync(path.join(ROOT, name, 'result'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('('))
      .map(readDumpLine);
    const parsed = parseDockerfile(text, `${name}/Dockerfile`).instructions;
    expect(parsed.map((i) => i.keyword)).toEqual(expected.map((e) => e.keyword));
    parsed.forEach((instruction, index) => {
      const want = expected[index]!;
      const where = `${name}:${instruction.line} ${instruction.keyword}`;
      expect(instruction.flagWords, where).toEqual(want.flags);
      const args = asBuildKitArgs(instruction);
      if (!want.nested && args !== undefined) expect(args, where).toEqual(want.args);
      // ARG: BuildKit keeps quotes in its AST (`abc="123 456"`); build-steps reads the words unquoted.
      if (instruction.keyword === 'ARG') expect(splitWords(instruction.text), where).toEqual(want.args.flatMap((arg) => splitWords(arg)));
    });
  });
});
