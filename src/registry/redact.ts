/**
 * Keeping credentials out of every message, log line and error: headers that carry them are
 * redacted, and every secret meshbuild has read (passwords, base64 `auth` strings, tokens) is
 * remembered so that any text can be scrubbed of it before anyone sees it.
 */

export const REDACTED = '<redacted>';

const SENSITIVE_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-registry-auth']);

/** Secrets shorter than this are redacted only where they stand alone, not inside other words. */
const SHORT_SECRET = 6;

/** Secrets known to this process. Module state on purpose: any error anywhere must be scrubbable. */
const knownSecrets = new Set<string>();

/**
 * Remembers a secret so that {@link redactText} removes it. Also remembers the forms it travels
 * in: base64 of the secret and, for `user:password`, the base64 of the pair.
 */
export function registerSecret(secret: string | undefined): void {
  if (secret === undefined || secret.length === 0) return;
  knownSecrets.add(secret);
  knownSecrets.add(Buffer.from(secret, 'utf8').toString('base64'));
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret) knownSecrets.add(encoded);
}

/** Registers the password, token and the base64 `user:password` pair of a credential. */
export function registerCredentialSecrets(username: string | undefined, secret: string | undefined): void {
  registerSecret(secret);
  if (username !== undefined && secret !== undefined && secret !== '') {
    registerSecret(`${username}:${secret}`);
  }
}

/**
 * Scrubs text: `Authorization: Basic ...`/`Bearer ...` values, URL user-info, `token`/`password`
 * JSON or query fields, and every registered secret (longest first, so a secret inside another
 * is not left half-visible).
 */
export function redactText(text: string): string {
  let out = text
    .replace(/((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(basic|bearer)\s+[^\s"',]+/gi, `$1$2 ${REDACTED}`)
    .replace(/(\/\/)[^/@\s:]+:[^/@\s]+@/g, `$1${REDACTED}@`)
    .replace(/("(?:token|access_token|refresh_token|password|secret|auth|identitytoken)"\s*:\s*")[^"]*"/gi, `$1${REDACTED}"`)
    .replace(/([?&](?:token|access_token|refresh_token|password)=)[^&\s]+/gi, `$1${REDACTED}`);
  const secrets = [...knownSecrets].sort((a, b) => b.length - a.length);
  for (const secret of secrets) {
    if (!out.includes(secret)) continue;
    if (secret.length >= SHORT_SECRET) {
      out = out.split(secret).join(REDACTED);
    } else {
      // A very short secret ("p") would shred every word it occurs in: redact it where it stands alone.
      const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      out = out.replace(new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, 'g'), REDACTED);
    }
  }
  return out;
}

/** A copy of `headers` with credential-carrying headers replaced by `<redacted>`. */
export function redactHeaders(headers: Record<string, string | string[] | number | undefined>): Record<string, string | string[] | number | undefined> {
  const out: Record<string, string | string[] | number | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = SENSITIVE_HEADERS.has(name.toLowerCase()) && value !== undefined ? REDACTED : value;
  }
  return out;
}
