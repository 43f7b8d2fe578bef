/**
 * `<source>/istio.deps`: the versions an Istio checkout pins for what it does not build itself,
 * a JSON array of `{"name": "PROXY_REPO_SHA", "repoName": "proxy", "lastStableSHA": "<sha>"}`.
 * Istio's bin/init.sh reads PROXY_REPO_SHA from it for Envoy, bin/build_ztunnel.sh ZTUNNEL_REPO_SHA.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { realPathProblem, sourceRoots } from '../config/path-policy.js';
import { ISTIO_DEPS_FILE, type IstioDeps } from './artifact-template.js';

export { ISTIO_DEPS_FILE };

/**
 * A pin goes into download URLs, and the file may come from a pull request: only a plain version
 * or commit (letters, digits, `.`, `_`, `+`, `-`), never `/`, `?` or `#` that would change the URL.
 */
const PIN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

/** Parses the file's text; never throws (a problem is kept and said when a pin is needed). */
export function parseIstioDeps(text: string, file: string): IstioDeps {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { file, problem: `is not valid JSON (${(error as Error).message})` };
  }
  if (!Array.isArray(parsed)) return { file, problem: 'is not a JSON array of {name, repoName, lastStableSHA}' };
  const pins = new Map<string, string>();
  const bad: string[] = [];
  for (const entry of parsed as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { name, repoName, lastStableSHA } = entry as Record<string, unknown>;
    if (typeof lastStableSHA !== 'string') continue;
    if (!PIN.test(lastStableSHA)) {
      if (typeof name === 'string') bad.push(name);
      continue;
    }
    for (const key of [name, repoName]) if (typeof key === 'string' && key !== '' && !pins.has(key)) pins.set(key, lastStableSHA);
  }
  const deps: IstioDeps = { file, pins };
  if (bad.length > 0 && pins.size === 0) deps.problem = `pins ${bad.join(', ')} to something that is not a version or commit`;
  return deps;
}

/** Reads `<sourceDir>/istio.deps` if there is one (inside the source tree once symlinks are followed). */
export function readIstioDeps(sourceDir: string): IstioDeps {
  const file = path.join(path.resolve(sourceDir), ISTIO_DEPS_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { file, problem: code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})` };
  }
  const outside = realPathProblem(file, sourceRoots(sourceDir));
  if (outside !== undefined) return { file, problem: outside };
  return parseIstioDeps(text, file);
}
