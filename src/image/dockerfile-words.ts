/**
 * Shell-word lexing for Dockerfile instructions, as BuildKit's parser and shell lexer do it:
 * the `--flag` words before the arguments, heredoc words (`<<EOF`), and quote-aware splitting.
 */
import type { Heredoc } from './dockerfile.js';

/** BuildKit's extractBuilderFlags: leading `--words` (quotes and escapes honoured), `--` ends them. */
export function extractFlags(line: string, escape: string): { words: string[]; rest: string } {
  const words: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < line.length && /\s/.test(line[pos]!)) pos++;
    if (!line.startsWith('--', pos)) return { words, rest: line.slice(pos) };
    let word = '';
    let quote: string | undefined;
    let quoted = false;
    for (; pos < line.length; pos++) {
      const ch = line[pos]!;
      if (!quote && /\s/.test(ch)) break;
      if (quote ? ch === quote : ch === '"' || ch === "'") {
        quote = quote ? undefined : ch;
        quoted = true;
      } else if (ch === escape) {
        if (pos + 1 < line.length) word += line[++pos];
      } else word += ch;
    }
    if (word === '--') return { words, rest: line.slice(pos) };
    if (word !== '' || quoted) words.push(word);
  }
}

/** The heredocs a logical line opens: words like `<<EOF`, `<<-EOF`, `<<"EOF"`, `2<<EOF`. */
export function heredocWords(logical: string): Array<Omit<Heredoc, 'content'>> {
  const heredocs: Array<Omit<Heredoc, 'content'>> = [];
  for (const raw of rawWords(logical)) {
    const match = /^(\d*)<<(-?)\s*([^<]*)$/.exec(raw);
    if (!match || match[3] === '') continue;
    const words = splitWords(match[3]!);
    if (words.length !== 1) continue;
    // As BuildKit: a body is expanded unless some part of the word was quoted (`<<"EOF"`, `<<E'O'F`).
    heredocs.push({ name: words[0]!, expand: !hasQuoting(match[3]!), chomp: match[2] === '-' });
  }
  return heredocs;
}

/**
 * Splits on white space outside quotes, keeping quotes and escapes in the words; as BuildKit's
 * lexer, white space right after `<<` stays in the word (`<<  EOF`).
 */
function rawWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (!quote && /\s/.test(ch)) {
      if (current !== '') words.push(current);
      current = '';
    } else if (ch === '\\' && quote !== "'" && i + 1 < text.length) {
      current += ch + text[++i]!;
    } else if (!quote && ch === '<' && text[i + 1] === '<') {
      const spaces = /^<<\s*/.exec(text.slice(i))![0];
      current += spaces;
      i += spaces.length - 1;
    } else {
      if (quote ? ch === quote : ch === '"' || ch === "'") quote = quote ? undefined : ch;
      current += ch;
    }
  }
  if (current !== '') words.push(current);
  return words;
}

/** Whether a word has quotes that the shell removes (an escaped quote is a literal). */
function hasQuoting(word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    if (word[i] === '\\') i++;
    else if (word[i] === '"' || word[i] === "'") return true;
  }
  return false;
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
