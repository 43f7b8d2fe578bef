/** meshbuild's own version (package.json), as builder id version and SBOM creator. */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function meshbuildVersion(): string {
  if (cached === undefined) {
    // src/sign/ and dist/sign/ are both two levels below the package root.
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    cached = (JSON.parse(text) as { version?: string }).version ?? 'unknown';
  }
  return cached;
}
