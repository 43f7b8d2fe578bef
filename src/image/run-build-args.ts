/**
 * Build args every image of a run gets, as Istio's build passes them: BASE_VERSION and
 * ISTIO_BASE_REGISTRY are read from the checkout's Makefile.core.mk (`BASE_VERSION ?= ...`, the
 * lines Istio's tools/docker-builder reads), then Istio's environment variables of the same names,
 * then `--build-arg NAME=VALUE` flags, each overriding the one before.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { realPathProblem, sourceRoots } from '../config/path-policy.js';
import { usageError } from '../errors.js';

/** The checkout file Istio's Makefile and tools/docker-builder read these defaults from. */
export const ISTIO_MAKEFILE = 'Makefile.core.mk';

/** Build args read from the checkout and overridable by environment variables of the same name. */
export const ISTIO_BUILD_ARG_NAMES = ['BASE_VERSION', 'ISTIO_BASE_REGISTRY'] as const;

/** A build arg's value becomes part of image references: no whitespace, quotes or shell metacharacters. */
const VALUE = /^[A-Za-z0-9._:/@+=,-]{0,255}$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `NAME ?= value` (or `:=`, `=`) assignments of `names` in a Makefile's text, first one wins.
 * Values that are not plain (a `$(shell ...)`, quotes, spaces) are left out.
 */
export function parseMakefileDefaults(text: string, names: readonly string[]): Record<string, string> {
  const found: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?:\?=|:=|=)\s*(.*?)\s*(?:#.*)?$/.exec(line);
    if (!match || !names.includes(match[1]!) || match[1]! in found) continue;
    if (VALUE.test(match[2]!) && match[2] !== '') found[match[1]!] = match[2]!;
  }
  return found;
}

/** Reads the defaults from `<sourceDir>/Makefile.core.mk`; none when it is missing or outside the source tree. */
export function readCheckoutBuildArgs(sourceDir: string): Record<string, string> {
  const file = path.join(path.resolve(sourceDir), ISTIO_MAKEFILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  if (realPathProblem(file, sourceRoots(sourceDir)) !== undefined) return {};
  return parseMakefileDefaults(text, ISTIO_BUILD_ARG_NAMES);
}

/**
 * The run's build args: the checkout's, then Istio's environment variables, then `--build-arg`
 * flags (`NAME=VALUE`, repeatable). A malformed flag is exit 2.
 */
export function runBuildArgs(
  checkout: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
  flags: readonly string[],
): Record<string, string> {
  const args: Record<string, string> = { ...checkout };
  for (const name of ISTIO_BUILD_ARG_NAMES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (!VALUE.test(value)) throw usageError(`environment variable ${name}="${value}" is not a plain build arg value`, { hint: valueHint });
    args[name] = value;
  }
  for (const flag of flags) {
    const at = flag.indexOf('=');
    const name = at > 0 ? flag.slice(0, at) : '';
    const value = flag.slice(at + 1);
    if (!NAME.test(name)) throw usageError(`--build-arg: "${flag}" is not NAME=VALUE`, { hint: 'e.g. --build-arg BASE_VERSION=1.29.1' });
    if (!VALUE.test(value)) throw usageError(`--build-arg ${name}: "${value}" is not a plain build arg value`, { hint: valueHint });
    args[name] = value;
  }
  return args;
}

const valueHint = 'use letters, digits and . _ : / @ + = , - (it may become part of an image reference)';
