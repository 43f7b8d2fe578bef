/** meshbuild's own version, from its package.json: `--version`, fingerprints, provenance, SBOMs. */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function meshbuildVersion(): string {
  // src/ and dist/ are both one level below the package root.
  cached ??= (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
