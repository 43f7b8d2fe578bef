/** meshbuild's own version, from its package.json: `--version`, fingerprints, provenance, SBOMs. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';

let cached: string | undefined;

export function meshbuildVersion(): string {
  cached ??= (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return cached;
}
