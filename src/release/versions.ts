/**
 * Release versions and the tags they are published under. Pure: the registry's tag list is
 * passed in. A version is semver `MAJOR.MINOR.PATCH[-PRERELEASE]` (a leading `v` is dropped);
 * it is always tagged as itself, and `MAJOR.MINOR` and `latest` move to it only when it is the
 * highest release of their range that the hub has.
 */
import type { SemVer } from 'semver';
import gt from 'semver/functions/gt.js';
import gte from 'semver/functions/gte.js';
import parse from 'semver/functions/parse.js';
import valid from 'semver/functions/valid.js';
import { usageError } from '../errors.js';

export interface ReleaseVersion {
  /** The exact version and its image tag, without a leading `v`: `1.2.3`, `1.2.0-rc.1`. */
  version: string;
  major: number;
  minor: number;
  patch: number;
  prerelease: boolean;
}

const HINT = 'write a semver version such as 1.2.3 or 1.3.0-rc.1 (a leading v is dropped)';

/** Parses a release version; anything that is not MAJOR.MINOR.PATCH[-PRE] is a usage error saying why. */
export function parseReleaseVersion(input: string): ReleaseVersion {
  const text = input.trim();
  if (text === '') throw usageError('no release version given', { hint: HINT });
  const bare = /^v\d/.test(text) ? text.slice(1) : text;
  if (bare.includes('+')) {
    throw usageError(`release version "${input}": build metadata (+${bare.split('+')[1] ?? ''}) cannot be part of an image tag`, { hint: HINT });
  }
  const parsed = valid(bare) === bare ? parse(bare) : null;
  if (parsed === null) throw usageError(`release version "${input}" is not semver: ${whyNotSemver(bare)}`, { hint: HINT });
  return { version: parsed.version, major: parsed.major, minor: parsed.minor, patch: parsed.patch, prerelease: parsed.prerelease.length > 0 };
}

function whyNotSemver(text: string): string {
  const [core = '', ...pre] = text.split('-');
  if (text === 'latest') return 'latest is a tag that release moves to the highest version itself';
  if (!/^\d/.test(text)) return 'it does not start with a number (MAJOR.MINOR.PATCH)';
  const parts = core.split('.');
  if (parts.length < 3) return `it has ${parts.length} numeric part${parts.length === 1 ? '' : 's'}; a version has three (MAJOR.MINOR.PATCH)`;
  if (parts.length > 3) return `it has ${parts.length} numeric parts; a version has exactly three (MAJOR.MINOR.PATCH)`;
  if (parts.some((p) => /^0\d/.test(p))) return 'a numeric part has a leading zero';
  if (parts.some((p) => !/^\d+$/.test(p))) return 'MAJOR, MINOR and PATCH must be numbers';
  if (
    pre
      .join('-')
      .split('.')
      .some((p) => /^0\d+$/.test(p))
  )
    return 'a numeric prerelease part has a leading zero';
  return 'the part after "-" must be dot-separated letters, digits and hyphens (e.g. rc.1)';
}

export interface TagChoices {
  /** Tag `MAJOR.MINOR` when the version is the highest of its line. Default true (`--no-minor-tag`). */
  minorTag?: boolean;
  /** Tag `latest` when the version is the highest release. Default true (`--no-latest`). */
  latest?: boolean;
}

export interface DerivedTags {
  /** The exact version first, then `MAJOR.MINOR` and `latest` where they apply. */
  tags: string[];
  /** Why a tag was left out, one line each, for people. */
  notes: string[];
}

/**
 * The tags a release writes in one repository, given the tags it has now. Tags that are not
 * semver (`latest`, `1.2`, `abc123`) are ignored, and so are prereleases: they never hold
 * `latest` or `MAJOR.MINOR`, so they do not hold those tags back either. `MAJOR.MINOR` compares
 * within its own line (a 1.1.5 backport still moves `1.1` when 1.2.0 exists); `latest` compares
 * with every release.
 */
export function deriveReleaseTags(version: ReleaseVersion, existingTags: readonly string[], choices: TagChoices = {}): DerivedTags {
  const tags = [version.version];
  const notes: string[] = [];
  const line = `${version.major}.${version.minor}`;
  if (version.prerelease) {
    notes.push(`${version.version} is a prerelease: no ${line} or latest tag`);
    return { tags, notes };
  }
  const releases = existingTags.map((tag) => parse(tag)).filter((v): v is SemVer => v !== null && v.prerelease.length === 0);
  const highest = (within: SemVer[]) => within.reduce<SemVer | undefined>((best, v) => (best === undefined || gt(v, best) ? v : best), undefined);
  if (choices.minorTag ?? true) {
    const top = highest(releases.filter((v) => v.major === version.major && v.minor === version.minor));
    if (top === undefined || gte(version.version, top)) tags.push(line);
    else notes.push(`${line} stays where it is: the hub has ${top.version}, higher than ${version.version}`);
  }
  if (choices.latest ?? true) {
    const top = highest(releases);
    if (top === undefined || gte(version.version, top)) tags.push('latest');
    else notes.push(`latest stays where it is: the hub has ${top.version}, higher than ${version.version}`);
  }
  return { tags, notes };
}
