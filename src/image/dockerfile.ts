/**
 * A Dockerfile parser that reads a file as BuildKit's parser does (frontend/dockerfile/parser):
 * parser directives (`# syntax=`, `# escape=`), logical lines (continuations joined; comment and
 * empty lines inside a continuation skipped), `--flag` words before the arguments (on every
 * instruction, `--` ends them), the JSON (exec) form kept apart from the shell form, and heredocs
 * (`COPY <<EOF /file`, `RUN <<EOF`) whose bodies are read as content, never as instructions.
 * Pure: takes text, returns data. Variable expansion lives in `expandVariables`.
 */
import { usageError } from '../errors.js';
import { extractFlags, heredocWords, splitWords } from './dockerfile-words.js';

export { splitWords } from './dockerfile-words.js';

/** A heredoc body attached to the instruction that names it (`<<EOF`, `<<-EOF`, `<<"EOF"`). */
export interface Heredoc {
  /** The terminator word, quotes removed. */
  name: string;
  /** The body lines with their line endings, as written (leading tabs kept even when `chomp`). */
  content: string;
  /** False when the word was quoted (`<<"EOF"`): the body is not variable-expanded. */
  expand: boolean;
  /** `<<-EOF`: leading tabs are stripped from the terminator and the body lines. */
  chomp: boolean;
}

export interface DockerfileInstruction {
  /** Upper-case keyword: FROM, COPY, RUN, ... */
  keyword: string;
  /** `--name=value` flags before the arguments; a flag without `=` has the value "true". */
  flags: Record<string, string>;
  /** The flag words as written, quotes removed (`--chown=1337`, `--link`). */
  flagWords: string[];
  /** Arguments in exec/JSON form (`["a", "b"]`), when written so. */
  json?: string[];
  /** The argument text after the flags, unparsed (continuations joined as BuildKit joins them). */
  text: string;
  /** Heredocs the instruction opens (RUN, COPY, ADD in shell form), in order. */
  heredocs?: Heredoc[];
  /** 1-based line the instruction starts on. */
  line: number;
  /** 1-based last line of the instruction, its heredoc bodies included. */
  endLine: number;
}

export interface Dockerfile {
  file: string;
  /** Parser directives (`syntax`, `escape`, `check`), lower-case names. */
  directives: Record<string, string>;
  /** The escape and line-continuation character: `\` unless `# escape=` says otherwise. */
  escape: string;
  instructions: DockerfileInstruction[];
}

const VALID_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC_INSTRUCTIONS = new Set(['RUN', 'COPY', 'ADD']);

export function parseDockerfile(text: string, file: string): Dockerfile {
  const fail = (line: number, message: string) => usageError(`${file}:${line}: ${message}`, { location: { file, line, column: 1 } });
  // Lines keep their endings: a heredoc body is copied byte for byte.
  const lines = text.replace(/^\uFEFF/, '').split(/(?<=\n)/);
  const directives: Record<string, string> = {};
  let escape = '\\';
  let continuation = continuationPattern(escape);
  let directivesOpen = true;
  const instructions: DockerfileInstruction[] = [];

  for (let i = 0; i < lines.length; i++) {
    const first = trimNewline(lines[i]!).trimStart();
    if (directivesOpen) {
      const directive = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(first);
      const name = directive?.[1]!.toLowerCase();
      if (directive && name && VALID_DIRECTIVES.has(name)) {
        if (name in directives) throw fail(i + 1, `only one ${name} parser directive can be used`);
        directives[name] = directive[2]!;
        if (name === 'escape') {
          if (directive[2] !== '`' && directive[2] !== '\\') throw fail(i + 1, `invalid escape token '${directive[2]}' does not match \` or \\`);
          escape = directive[2];
          continuation = continuationPattern(escape);
        }
        continue;
      }
      directivesOpen = false;
    }
    if (first.startsWith('#')) continue;
    const startLine = i + 1;
    let [logical, ended] = trimContinuation(first, continuation);
    if (ended && logical === '') continue;
    while (!ended && i + 1 < lines.length) {
      const next = trimNewline(lines[++i]!);
      if (next.trimStart().startsWith('#') || next.trim() === '') continue;
      let part: string;
      [part, ended] = trimContinuation(next, continuation);
      logical += part;
    }
    const instruction = splitInstruction(logical, startLine, escape, fail);
    instruction.endLine = i + 1;
    if (canContainHeredoc(instruction) && logical.includes('<<')) {
      for (const heredoc of heredocWords(logical)) {
        let content = '';
        let terminated = false;
        while (i + 1 < lines.length) {
          const body = lines[++i]!;
          const candidate = heredoc.chomp ? trimNewline(body).replace(/^\t+/, '') : trimNewline(body);
          if (candidate === heredoc.name) {
            terminated = true;
            break;
          }
          content += body;
        }
        if (!terminated) throw fail(startLine, `unterminated heredoc <<${heredoc.name}: no line "${heredoc.name}" closes it`);
        (instruction.heredocs ??= []).push({ ...heredoc, content });
      }
      instruction.endLine = i + 1;
    }
    instructions.push(instruction);
  }
  return { file, directives, escape, instructions };
}

/** RUN, COPY and ADD in shell form, also behind ONBUILD (`ONBUILD RUN <<EOF`), as BuildKit's canContainHeredoc. */
function canContainHeredoc(instruction: DockerfileInstruction): boolean {
  if (instruction.keyword !== 'ONBUILD') return HEREDOC_INSTRUCTIONS.has(instruction.keyword) && !instruction.json;
  const inner = /^(\S+)\s*(.*)$/s.exec(instruction.text);
  return inner !== null && HEREDOC_INSTRUCTIONS.has(inner[1]!.toUpperCase()) && !isStringArray(inner[2]!);
}

function isStringArray(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string');
  } catch {
    return false;
  }
}

/** A heredoc's body as BuildKit writes it: leading tabs stripped for `<<-`. */
export function heredocContent(heredoc: Heredoc): string {
  return heredoc.chomp ? heredoc.content.replace(/^\t+/gm, '') : heredoc.content;
}

function continuationPattern(escape: string): RegExp {
  const e = escape === '\\' ? '\\\\' : escape;
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

function trimNewline(line: string): string {
  return line.replace(/[\r\n]+$/, '');
}

/** The line without its continuation character, and whether the instruction ends on it. */
function trimContinuation(line: string, continuation: RegExp): [string, boolean] {
  return continuation.test(line) ? [line.replace(continuation, '$1'), false] : [line, true];
}

function splitInstruction(logical: string, line: number, escape: string, fail: (line: number, message: string) => Error): DockerfileInstruction {
  const match = /^(\S+)(?:[\t\v\f\r ]+(.*))?$/s.exec(logical.trim());
  const word = match?.[1] ?? '';
  const keyword = word.toUpperCase();
  if (!/^[A-Z]+$/.test(keyword)) throw fail(line, `"${word}" is not a Dockerfile instruction`);
  const { words: flagWords, rest } = extractFlags(match?.[2] ?? '', escape);
  const text = rest.trim();
  const flags: Record<string, string> = {};
  for (const flag of flagWords) {
    const at = flag.indexOf('=');
    flags[at < 0 ? flag.slice(2) : flag.slice(2, at)] = at < 0 ? 'true' : flag.slice(at + 1);
  }
  const instruction: DockerfileInstruction = { keyword, flags, flagWords, text, line, endLine: line };
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: BuildKit reads it as the shell form.
    }
    if (Array.isArray(parsed)) {
      if (!parsed.every((p) => typeof p === 'string')) throw fail(line, `${keyword}: a JSON array form must hold only strings`);
      instruction.json = parsed;
    }
  }
  return instruction;
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
