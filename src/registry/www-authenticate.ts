/**
 * Parsing `WWW-Authenticate` challenges (RFC 7235): `Bearer realm="...",service="...",scope="..."`,
 * `Basic realm="..."`, or several challenges in one header.
 */

export interface AuthChallenge {
  /** Lower-cased: `bearer`, `basic`, ... */
  scheme: string;
  /** Parameter names lower-cased; values unquoted. */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
const SPACE = /[ \t]*/y;

function readToken(text: string, at: number): { value: string; end: number } | undefined {
  TOKEN.lastIndex = at;
  const match = TOKEN.exec(text);
  return match ? { value: match[0], end: TOKEN.lastIndex } : undefined;
}

function skipSpace(text: string, at: number): number {
  SPACE.lastIndex = at;
  SPACE.exec(text);
  return SPACE.lastIndex;
}

/** An unquoted value, leniently up to the next comma (some registries leave URLs unquoted). */
function readBare(text: string, at: number): { value: string; end: number } {
  const comma = text.indexOf(',', at);
  const end = comma === -1 ? text.length : comma;
  return { value: text.slice(at, end).trim(), end };
}

function readQuoted(text: string, at: number): { value: string; end: number } {
  let value = '';
  let i = at + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      value += text[i + 1];
      i += 2;
    } else if (ch === '"') {
      return { value, end: i + 1 };
    } else {
      value += ch;
      i += 1;
    }
  }
  return { value, end: i };
}

/**
 * Parses every challenge in a `WWW-Authenticate` header value. Malformed parts are skipped rather
 * than thrown: a registry's odd header should lead to a clear 401 error, not a parse error.
 */
export function parseWwwAuthenticate(header: string | undefined): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  if (!header) return challenges;
  let i = 0;
  let current: AuthChallenge | undefined;
  while (i < header.length) {
    i = skipSpace(header, i);
    if (header[i] === ',') {
      i += 1;
      continue;
    }
    const token = readToken(header, i);
    if (!token) {
      i += 1;
      continue;
    }
    let after = skipSpace(header, token.end);
    if (header[after] === '=' && current && header[after + 1] !== '=') {
      after = skipSpace(header, after + 1);
      let value: { value: string; end: number } | undefined;
      if (header[after] === '"') value = readQuoted(header, after);
      else value = readBare(header, after);
      current.params[token.value.toLowerCase()] = value.value;
      i = value.end;
    } else if (header[after] === '=' && !current) {
      // A parameter with no scheme before it: skip it.
      i = after + 1;
    } else {
      current = { scheme: token.value.toLowerCase(), params: {} };
      challenges.push(current);
      i = token.end;
      // A token68 (`Negotiate abc==`) directly after the scheme: skip it.
      const next = skipSpace(header, i);
      const t68 = /[A-Za-z0-9._~+/-]+=*/y;
      t68.lastIndex = next;
      const m = t68.exec(header);
      if (m && m[0].endsWith('=') && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+=[^=]/.test(header.slice(next))) {
        i = t68.lastIndex;
      }
    }
  }
  return challenges;
}

/** The first challenge with the given scheme (case-insensitive), if any. */
export function findChallenge(challenges: readonly AuthChallenge[], scheme: string): AuthChallenge | undefined {
  const wanted = scheme.toLowerCase();
  return challenges.find((challenge) => challenge.scheme === wanted);
}
