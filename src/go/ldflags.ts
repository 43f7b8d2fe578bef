/**
 * Placeholders in `goLdflags` / `ldflags`: what a targets file may write between braces and what
 * each becomes for one binary on one platform. Pure (no processes, no disk), so the config reads
 * it to report an unknown placeholder at its line, and the planner to fill the flags in.
 */
import type { Platform } from '../platform.js';

/** The source tree's git state as Istio's common/scripts/report_build_info.sh reports it. */
export interface GitStamp {
  /** `git rev-parse HEAD`, with `-dirty` when `git status --porcelain` lists anything; `unknown` outside a checkout. */
  revision: string;
  /** `Clean`, or `Modified` when tracked files differ from HEAD (or outside a checkout). */
  status: 'Clean' | 'Modified';
  /** `git describe --tags --always`; `unknown` outside a checkout. */
  tag: string;
}

/** What Istio's script stamps when the source is not a git checkout. */
export const NO_GIT: GitStamp = { revision: 'unknown', status: 'Modified', tag: 'unknown' };

/** Everything a placeholder can stand for in one binary's link. */
export interface LdflagsValues {
  version: string;
  platform: Platform;
  git: GitStamp;
  /** The first --hub, or "". */
  hub: string;
}

const PLACEHOLDERS = {
  version: (v: LdflagsValues) => v.version,
  os: (v: LdflagsValues) => v.platform.os,
  arch: (v: LdflagsValues) => v.platform.architecture,
  'git.revision': (v: LdflagsValues) => v.git.revision,
  'git.status': (v: LdflagsValues) => v.git.status,
  'git.tag': (v: LdflagsValues) => v.git.tag,
  hub: (v: LdflagsValues) => v.hub,
} as const satisfies Record<string, (values: LdflagsValues) => string>;

type PlaceholderName = keyof typeof PLACEHOLDERS;

/** The placeholder names, in the order messages list them. */
export const LDFLAGS_PLACEHOLDERS = Object.keys(PLACEHOLDERS) as PlaceholderName[];

const PLACEHOLDER_PATTERN = /\{([^{}]*)\}/g;

function isPlaceholder(name: string): name is PlaceholderName {
  return Object.hasOwn(PLACEHOLDERS, name);
}

/** Each `{name}` in `flag` that is not a known placeholder, with its index in `flag`. */
export function unknownLdflagsPlaceholders(flag: string): Array<{ name: string; index: number }> {
  return [...flag.matchAll(PLACEHOLDER_PATTERN)].filter((m) => !isPlaceholder(m[1]!)).map((m) => ({ name: m[0], index: m.index }));
}

/**
 * `flag` with every placeholder filled. Unknown ones were refused when the targets were read; one
 * reaching here is a bug, not a user's mistake.
 */
export function expandLdflags(flag: string, values: LdflagsValues): string {
  return flag.replace(PLACEHOLDER_PATTERN, (whole, name: string) => {
    if (!isPlaceholder(name)) throw new Error(`Internal error: ldflags placeholder ${whole} was not refused when the targets were read`);
    return PLACEHOLDERS[name](values);
  });
}
