/**
 * Artifact URL and path templates, filled per platform. Pure: the environment, the checkout's
 * pins (`istio.deps`) and the platform are passed in, so the planner can use it.
 *
 * Placeholders:
 * - `{os}`, `{arch}`, `{variant}`, `{platform}` (os_arch[_variant]);
 * - `{archSuffix}`: "" for amd64 and `-<arch>` otherwise, as Istio names its Envoy tarballs
 *   (ISTIO_ENVOY_ARCH_SUFFIX in Istio's bin/init.sh);
 * - `{env:NAME}`: the environment variable NAME (only ISTIO_*, MESHBUILD_* and *_REPO_SHA: see TEMPLATE_ENV_NAME);
 * - `{deps:NAME}`: the environment variable NAME if set and readable (Istio's scripts let PROXY_REPO_SHA override
 *   the file too), else the `lastStableSHA` of the entry named NAME (or with repoName NAME) in
 *   `<source>/istio.deps`;
 * - alternatives, the first with a value wins: `{env:ISTIO_ENVOY_VERSION|deps:PROXY_REPO_SHA}`; the last
 *   may be literal text used when none has one: `{env:ISTIO_ENVOY_BASE_URL|https://storage.googleapis.com/istio-build/proxy}`.
 */
import { formatPlatform, parsePlatform, platformDirName, type Platform } from '../platform.js';

/** The file of an Istio checkout that pins Envoy's and ztunnel's versions. */
export const ISTIO_DEPS_FILE = 'istio.deps';

/** A template, or one per platform (keys as `formatPlatform` writes them: `linux/arm64`). */
export type ArtifactTemplate = string | ReadonlyMap<string, string>;

/** What `<source>/istio.deps` pins, read at the edge; `problem` says why it cannot be used. */
export interface IstioDeps {
  /** Absolute path of the file, for messages. */
  file: string;
  /** lastStableSHA by entry `name` and by `repoName`. */
  pins?: ReadonlyMap<string, string>;
  /** `does not exist`, `is not valid JSON: ...`: said only when a placeholder needs the file. */
  problem?: string;
}

export interface TemplateValues {
  platform: Platform;
  env: Readonly<Record<string, string | undefined>>;
  deps: IstioDeps;
}

/** Why a template cannot be filled: data, so the caller words the error with its own location. */
export class TemplateValueMissing extends Error {
  constructor(
    readonly placeholder: string,
    readonly reason: string,
    readonly hint: string,
  ) {
    super(`${placeholder}: ${reason}`);
  }
}

const PLATFORM_NAMES = ['os', 'arch', 'variant', 'platform', 'archSuffix'] as const;

/**
 * The environment variables a template may read. A targets file may come from a pull request and a
 * download URL goes to any host: `{env:GITHUB_TOKEN}` would hand a CI credential to it. Istio's own
 * variables, meshbuild's, and the `*_REPO_SHA` pins are what artifacts need.
 */
export const TEMPLATE_ENV_NAME = /^(?:ISTIO_|MESHBUILD_)[A-Za-z0-9_]*$|^[A-Za-z0-9_]+_REPO_SHA$/;

/** `{env:NAME}` placeholders in `template` whose NAME a template may not read. */
export function forbiddenTemplateVariables(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    for (const part of match[1]!.split('|')) {
      const source = SOURCE.exec(part);
      if (source?.[1] === 'env' && !TEMPLATE_ENV_NAME.test(source[2]!)) names.push(source[2]!);
    }
  }
  return names;
}
const PLACEHOLDER = /\{([^{}]*)\}/g;
const SOURCE = /^(env|deps):([A-Za-z_][A-Za-z0-9_-]*)$/;

/** `{...}` in `template` that are not placeholders (for located diagnostics when reading targets). */
export function unknownTemplatePlaceholders(template: string): string[] {
  const unknown: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const body = match[1]!;
    if (!(PLATFORM_NAMES as readonly string[]).includes(body) && parseChain(body) === undefined) unknown.push(match[0]);
  }
  return unknown;
}

/** The template with each chain's literal fallback in place (`{env:ISTIO_ENVOY_BASE_URL|https://...}`), to check its shape. */
export function withFallbacks(template: string): string {
  return template.replace(PLACEHOLDER, (whole, body: string) => parseChain(body)?.fallback ?? whole);
}

/** `env:A|deps:B|literal`: sources tried in order, then an optional literal (only last, after a source). */
function parseChain(body: string): { sources: RegExpExecArray[]; fallback?: string } | undefined {
  if (body === '') return undefined;
  const parts = body.split('|');
  const sources: RegExpExecArray[] = [];
  for (const [index, part] of parts.entries()) {
    const source = SOURCE.exec(part);
    if (source) sources.push(source);
    else if (index === parts.length - 1 && index > 0 && part.trim() !== '') return { sources, fallback: part };
    else return undefined;
  }
  return { sources };
}

/** The template for one platform; undefined when a per-platform map has no entry for it. */
export function templateFor(template: ArtifactTemplate, platform: Platform): string | undefined {
  if (typeof template === 'string') return template;
  const key = formatPlatform(platform);
  return template.get(key) ?? [...template].find(([k]) => samePlatformText(k, platform))?.[1];
}

/** Fills every placeholder; throws TemplateValueMissing when an `env:`/`deps:` chain has no value. */
export function fillTemplate(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (whole, body: string) => {
    const { platform } = values;
    switch (body) {
      case 'os':
        return platform.os;
      case 'arch':
        return platform.architecture;
      case 'variant':
        return platform.variant ?? '';
      case 'platform':
        return platformDirName(platform);
      case 'archSuffix':
        return platform.architecture === 'amd64' ? '' : `-${platform.architecture}`;
    }
    const chain = parseChain(body);
    if (chain === undefined) return whole;
    for (const source of chain.sources) {
      const value = sourceValue(source[1] as 'env' | 'deps', source[2]!, values);
      if (value !== undefined) return value;
    }
    if (chain.fallback !== undefined) return chain.fallback;
    throw missing(whole, chain.sources, values.deps);
  });
}

function sourceValue(kind: 'env' | 'deps', name: string, values: TemplateValues): string | undefined {
  if (kind === 'env' && !TEMPLATE_ENV_NAME.test(name)) {
    throw new TemplateValueMissing(
      `{env:${name}}`,
      `may not read the environment variable ${name}`,
      'templates read only ISTIO_*, MESHBUILD_* and *_REPO_SHA variables (a targets file may come from a pull request; others can hold credentials)',
    );
  }
  const fromEnv = TEMPLATE_ENV_NAME.test(name) ? values.env[name] : undefined;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (kind === 'env') return undefined;
  return values.deps.pins?.get(name);
}

function missing(placeholder: string, parts: RegExpExecArray[], deps: IstioDeps): TemplateValueMissing {
  const envNames = parts.map((p) => p[2]!);
  const depNames = parts.filter((p) => p[1] === 'deps').map((p) => p[2]!);
  if (depNames.length === 0) {
    const variables = envNames.join(' or ');
    return new TemplateValueMissing(placeholder, `needs the environment variable ${variables}`, `set ${variables}`);
  }
  const fileState = deps.problem ?? `pins no ${depNames.join(' or ')}`;
  return new TemplateValueMissing(
    placeholder,
    `needs ${envNames.join(' or ')}: ${envNames.length > 1 ? 'neither variable is' : 'the variable is not'} set, and ${deps.file} ${fileState}`,
    `build an Istio checkout (--source) whose istio.deps pins ${depNames.join(' or ')}, or set ${envNames[0]}`,
  );
}

function samePlatformText(text: string, platform: Platform): boolean {
  const parsed = parsePlatform(text);
  return parsed.ok && formatPlatform(parsed.platform) === formatPlatform(platform);
}

/** A local file the user gave for an artifact, resolved per platform at the edge (files looked at there). */
export interface ArtifactOverride {
  /** How the user named it, for messages: `--artifact envoy=/x` or `ISTIO_ENVOY_LINUX_RELEASE_PATH=/x`. */
  from: string;
  /** By `formatPlatform`: the file to use, or why there is none (said only if the artifact is planned). */
  byPlatform: ReadonlyMap<string, { path: string } | { problem: string }>;
}
