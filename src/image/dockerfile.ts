/**
 * A Dockerfile parser: logical lines (continuations joined, comments dropped), each instruction
 * with its keyword, flags (`--chown=1337`), arguments (JSON array form kept apart) and line number.
 * Pure: takes text, returns data. Variable expansion lives in `expandVariables`.
 */
import { usageError } from '../errors.js';

export interface DockerfileInstruction {
  /** Upper-case keyword: FROM, COPY, RUN, ... */
  keyword: string;
  /** `--name=value` flags before the arguments. */
  flags: Record<string, string>;
  /** Arguments in exec/JSON form (`["a", "b"]`), when written so. */
  json?: string[];
  /** The argument text after the flags, unparsed. */
  text: string;
  /** 1-based line the instruction starts on. */
  line: number;
}

export interface Dockerfile {
  file: string;
  instructions: DockerfileInstruction[];
}

export function parseDockerfile(text: string, file: string): Dockerfile {
  const instructions: DockerfileInstruction[] = [];
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  let directivesOpen = true;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (directivesOpen) {
      const directive = /^#\s*escape\s*=\s*(\S)\s*$/i.exec(trimmed);
      if (directive) {
        escape = directive[1]!;
        continue;
      }
      if (!/^#\s*\w+\s*=/.test(trimmed)) directivesOpen = false;
    }
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const startLine = i + 1;
    let logical = trimmed;
    while (logical.endsWith(escape) && i + 1 < lines.length) {
      logical = logical.slice(0, -1);
      i++;
      const next = lines[i]!.trim();
      if (next.startsWith('#')) continue;
      logical += ` ${next}`;
    }
    const match = /^(\S+)\s*(.*)$/s.exec(logical.trim());
    if (!match) continue;
    const keyword = match[1]!.toUpperCase();
    if (!/^[A-Z]+$/.test(keyword)) {
      throw usageError(`${file}:${startLine}: "${match[1]}" is not a Dockerfile instruction`, {
        location: { file, line: startLine, column: 1 },
      });
    }
    let rest = match[2]!.trim();
    const flags: Record<string, string> = {};
    while (keyword !== 'RUN' && rest.startsWith('--')) {
      const flag = /^--([a-zA-Z-]+)(?:=(\S*))?\s*/.exec(rest);
      if (!flag) break;
      flags[flag[1]!] = flag[2] ?? 'true';
      rest = rest.slice(flag[0].length);
    }
    const instruction: DockerfileInstruction = { keyword, flags, text: rest, line: startLine };
    if (rest.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(rest);
        if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) instruction.json = parsed;
      } catch {
        // Not JSON: Docker treats it as shell form too.
      }
    }
    instructions.push(instruction);
  }
  return { file, instructions };
}

/** ARG names declared anywhere in the Dockerfile (before or after FROM). */
export function declaredArgs(dockerfile: Dockerfile): Set<string> {
  const names = new Set<string>();
  for (const instruction of dockerfile.instructions) {
    if (instruction.keyword !== 'ARG') continue;
    for (const word of splitWords(instruction.text)) names.add(word.split('=')[0]!);
  }
  return names;
}

/**
 * Expands `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alt}` as Dockerfile instructions do.
 * Unknown variables expand to "".
 */
export function expandVariables(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(
    /\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
      if (whole === '\\$') return '$';
      const name = braced ?? bare!;
      const value = vars.get(name);
      if (op === '-') return value !== undefined && value !== '' ? value : (word ?? '');
      if (op === '+') return value !== undefined && value !== '' ? (word ?? '') : '';
      return value ?? '';
    },
  );
}

/** Splits shell-form arguments on white space, honouring double and single quotes. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else if (ch === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}
