/**
 * Reading an artifact's URL templates: one string, or a mapping by platform (Istio names its amd64
 * Envoy tarball without an arch suffix and the arm64 one with `-arm64`), each placeholder known.
 */
import { forbiddenTemplateVariables, unknownTemplatePlaceholders, withFallbacks, type ArtifactTemplate } from '../fetch/artifact-template.js';
import { formatPlatform, parsePlatform } from '../platform.js';
import type { FieldReader } from './field-reader.js';
import type { YamlPath } from './yaml-document.js';

/** `url` / `sha256Url` of an artifact: a string or `{ linux/amd64: ..., linux/arm64: ... }`; undefined if absent or wrong. */
export function readArtifactTemplate(
  reader: FieldReader,
  record: Record<string, unknown>,
  key: string,
  p: YamlPath,
  what: string,
): ArtifactTemplate | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  const check = (text: string, at: YamlPath): boolean => {
    if (!/^https?:\/\//.test(withFallbacks(text))) {
      reader.report(at, `${key} of ${what} must start with https:// or http://`);
      return false;
    }
    const forbidden = forbiddenTemplateVariables(text);
    if (forbidden.length > 0) {
      reader.report(
        at,
        `${key} of ${what} may not read the environment variable ${forbidden.join(', ')}: templates read only ISTIO_*, MESHBUILD_* and *_REPO_SHA variables (others can hold credentials)`,
      );
      return false;
    }
    const unknown = unknownTemplatePlaceholders(text);
    if (unknown.length > 0) {
      reader.report(
        at,
        `unknown placeholder ${unknown.join(', ')} in ${key} of ${what} (known: {os}, {arch}, {variant}, {platform}, {archSuffix}, {env:NAME}, {deps:NAME}, {env:A|deps:B|fallback})`,
      );
      return false;
    }
    return true;
  };
  if (typeof value !== 'object' || Array.isArray(value)) {
    const text = reader.string(record, key, p, what);
    return text !== undefined && check(text, [...p, key]) ? text : undefined;
  }
  const entries = reader.mapping(value, [...p, key], `"${key}" of ${what}`) ?? {};
  const byPlatform = new Map<string, string>();
  let ok = true;
  for (const [platformText, template] of Object.entries(entries)) {
    const at = [...p, key, platformText];
    const parsed = parsePlatform(platformText);
    if (!parsed.ok) {
      reader.report(at, `"${platformText}" in ${key} of ${what} is not a platform: ${parsed.reason}`, 'key');
      ok = false;
      continue;
    }
    if (typeof template !== 'string' || template.trim() === '') {
      reader.report(at, `${key} of ${what} for ${platformText} must be a URL`);
      ok = false;
      continue;
    }
    if (check(template, at)) byPlatform.set(formatPlatform(parsed.platform), template);
    else ok = false;
  }
  if (byPlatform.size === 0 && ok) reader.report([...p, key], `${key} of ${what} names no platform; give a URL, or one per platform (linux/amd64: ...)`);
  return ok && byPlatform.size > 0 ? byPlatform : undefined;
}
