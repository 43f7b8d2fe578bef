/**
 * Local builds used instead of an artifact's download: `--artifact envoy=PATH` on the command line,
 * or Istio's own environment variables for them. The user names these paths (not a targets file),
 * so they are trusted, but they must exist; what they lead to is worked out here, at the edge, per
 * platform, and the planner says a problem only when the artifact is in the plan.
 *
 * PATH is a file, a template (`/builds/{arch}/envoy`, placeholders as in artifact-template.ts), or
 * a folder holding `<os>_<arch>/<fileName>` (Istio's out/ layout) or `<arch>/<fileName>`.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { usageError } from '../errors.js';
import type { Graph } from '../graph/graph.js';
import { formatPlatform, platformDirName, type Platform } from '../platform.js';
import { TemplateValueMissing, fillTemplate, type ArtifactOverride } from './artifact-template.js';

/**
 * Istio's variables naming a local build, by artifact name (bin/init.sh, bin/build_ztunnel.sh):
 * when the file is there, Istio uses it instead of downloading. Fixed here, not declared by targets
 * files, so a targets file cannot turn an arbitrary variable (a credentials path) into a file to copy.
 */
export const ISTIO_LOCAL_BUILD_ENV: Readonly<Record<string, readonly string[]>> = {
  envoy: ['ISTIO_ENVOY_LINUX_RELEASE_PATH'],
  ztunnel: ['ISTIO_ZTUNNEL_LINUX_RELEASE_PATH'],
};

export interface OverrideOptions {
  /** `--artifact` values: `name=PATH`. */
  flags: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  graph: Graph;
  /** The platforms being built. */
  platforms: readonly Platform[];
  /** Relative paths resolve from here. Default: the current folder. */
  cwd?: string;
}

/** Parses the flags (a malformed one is exit 2 at once) and resolves every override per platform. */
export function resolveArtifactOverrides(options: OverrideOptions): Map<string, ArtifactOverride> {
  const given = new Map<string, { from: string; template: string }>();
  const artifactNames = [...options.graph.fileTargets.values()].filter((t) => t.kind === 'artifact').map((t) => t.name);
  for (const flag of options.flags) {
    const at = flag.indexOf('=');
    const name = at > 0 ? flag.slice(0, at) : '';
    const template = at > 0 ? flag.slice(at + 1) : '';
    if (name === '' || template.trim() === '') {
      throw usageError(`--artifact ${flag}: expected NAME=PATH`, { hint: 'e.g. --artifact envoy=/path/to/envoy or --artifact envoy=/builds/{arch}/envoy' });
    }
    if (!artifactNames.includes(name)) {
      throw usageError(`--artifact ${flag}: the graph has no artifact named "${name}"`, {
        hint: artifactNames.length > 0 ? `artifacts: ${artifactNames.join(', ')}` : 'the graph declares no artifacts',
      });
    }
    given.set(name, { from: `--artifact ${flag}`, template });
  }
  for (const [name, variables] of Object.entries(ISTIO_LOCAL_BUILD_ENV)) {
    if (given.has(name) || !artifactNames.includes(name)) continue;
    const variable = variables.find((v) => (options.env[v] ?? '') !== '');
    if (variable !== undefined) given.set(name, { from: `${variable}=${options.env[variable]}`, template: options.env[variable]! });
  }

  const overrides = new Map<string, ArtifactOverride>();
  for (const [name, { from, template }] of given) {
    const target = options.graph.fileTargets.get(name);
    if (target?.kind !== 'artifact') continue;
    const byPlatform = new Map<string, { path: string } | { problem: string }>();
    for (const platform of options.platforms) {
      byPlatform.set(formatPlatform(platform), localFileFor(template, platform, target.fileName, options));
    }
    // One plain file cannot be the build for two architectures.
    const paths = [...byPlatform.values()].flatMap((entry) => ('path' in entry ? [entry.path] : []));
    if (new Set(paths).size < paths.length) {
      for (const [key, entry] of byPlatform) {
        if ('path' in entry) {
          byPlatform.set(key, {
            problem: `names one file (${entry.path}) for ${options.platforms.length} platforms; put {arch} in the path (like /builds/{arch}/${target.fileName}) or name a folder holding <arch>/${target.fileName}`,
          });
        }
      }
    }
    overrides.set(name, { from, byPlatform });
  }
  return overrides;
}

function localFileFor(template: string, platform: Platform, fileName: string, options: OverrideOptions): { path: string } | { problem: string } {
  let filled: string;
  try {
    filled = path.resolve(options.cwd ?? process.cwd(), fillTemplate(template, { platform, env: options.env, deps: { file: '' } }));
  } catch (error) {
    if (error instanceof TemplateValueMissing) return { problem: `${error.placeholder} ${error.reason}` };
    throw error;
  }
  const kind = fileKind(filled);
  if (kind === 'file') return { path: filled };
  if (kind === undefined) return { problem: `${filled} does not exist${filled !== template ? ` (for ${formatPlatform(platform)})` : ''}` };
  const candidates = [path.join(filled, platformDirName(platform), fileName), path.join(filled, platform.architecture, fileName)];
  if (options.platforms.length === 1) candidates.push(path.join(filled, fileName));
  const found = candidates.find((candidate) => fileKind(candidate) === 'file');
  if (found !== undefined) return { path: found };
  return { problem: `the folder ${filled} holds no ${formatPlatform(platform)} build: looked for ${candidates.join(', ')}` };
}

function fileKind(file: string): 'file' | 'folder' | undefined {
  try {
    const stats = statSync(file);
    return stats.isDirectory() ? 'folder' : 'file';
  } catch {
    return undefined;
  }
}
