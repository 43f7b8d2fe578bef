/**
 * Platforms as OCI spells them (os/architecture[/variant]), parsed from the many ways people write
 * them on a command line and normalised so that `arm64`, `linux/arm64` and `linux/arm64/v8` are one.
 */
import { usageError } from './errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const KNOWN_OS = new Set(['linux', 'darwin', 'windows']);

/** Architecture spellings people use, mapped to GOARCH / OCI names. */
const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  amd64: { architecture: 'amd64' },
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  arm64: { architecture: 'arm64' },
  aarch64: { architecture: 'arm64' },
  arm: { architecture: 'arm', variant: 'v7' },
  armv7: { architecture: 'arm', variant: 'v7' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armv6: { architecture: 'arm', variant: 'v6' },
  ppc64le: { architecture: 'ppc64le' },
  s390x: { architecture: 's390x' },
  riscv64: { architecture: 'riscv64' },
  '386': { architecture: '386' },
};

/** Variants that are the default for their architecture and so are dropped when normalising. */
const DEFAULT_VARIANTS: Record<string, string> = { arm64: 'v8', amd64: 'v1' };
const VALID_VARIANTS: Record<string, string[]> = {
  arm: ['v5', 'v6', 'v7'],
  arm64: ['v8'],
  amd64: ['v1', 'v2', 'v3', 'v4'],
};

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/** `linux_amd64`, `linux_arm_v7`: the folder name Istio's out/ uses for a platform. */
export function platformDirName(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('_');
}

export function samePlatform(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}

export type PlatformParse = { ok: true; platform: Platform } | { ok: false; reason: string };

/** Parses one entry (`arm64`, `linux/arm64`, `linux/arm64/v8`, `darwin/amd64`); never throws. */
export function parsePlatform(text: string): PlatformParse {
  const entry = text.trim();
  if (entry === '') return { ok: false, reason: 'empty platform' };
  if (/\s/.test(entry)) return { ok: false, reason: 'platforms are separated by commas, not spaces' };
  const parts = entry.toLowerCase().split('/');
  if (parts.length > 3) return { ok: false, reason: 'expected os/arch[/variant]' };
  let os = 'linux';
  let archText: string;
  let variantText: string | undefined;
  if (parts.length === 1) {
    archText = parts[0]!;
  } else {
    os = parts[0]!;
    archText = parts[1]!;
    variantText = parts[2];
  }
  if (!KNOWN_OS.has(os)) return { ok: false, reason: `unknown operating system "${os}" (known: ${[...KNOWN_OS].join(', ')})` };
  const arch = ARCH_ALIASES[archText];
  if (!arch) {
    return { ok: false, reason: `unknown architecture "${archText}" (known: amd64, arm64, arm/v7, ppc64le, s390x, riscv64, 386)` };
  }
  let variant = variantText ?? arch.variant;
  if (variant !== undefined) {
    const valid = VALID_VARIANTS[arch.architecture] ?? [];
    if (!valid.includes(variant)) {
      return { ok: false, reason: `"${variant}" is not a variant of ${arch.architecture}` };
    }
    if (DEFAULT_VARIANTS[arch.architecture] === variant) variant = undefined;
  }
  return { ok: true, platform: variant === undefined ? { os, architecture: arch.architecture } : { os, architecture: arch.architecture, variant } };
}

/**
 * Parses a `--platforms` value: comma-separated entries, duplicates dropped, order kept.
 * Throws a usage error naming the flag and the bad entry.
 */
export function parsePlatformList(value: string | string[], flag = '--platforms'): Platform[] {
  const entries = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(','));
  const result: Platform[] = [];
  for (const entry of entries) {
    const parsed = parsePlatform(entry);
    if (!parsed.ok) {
      throw usageError(`${flag}: "${entry.trim()}" is not a platform: ${parsed.reason}`, {
        hint: `write platforms like ${flag} amd64,arm64 or ${flag} linux/amd64,linux/arm64`,
      });
    }
    if (!result.some((p) => samePlatform(p, parsed.platform))) result.push(parsed.platform);
  }
  if (result.length === 0) throw usageError(`${flag} is empty`, { hint: `name at least one platform, e.g. ${flag} amd64` });
  return result;
}

/** GOOS/GOARCH/GOARM for `go build`. */
export function goEnvironment(platform: Platform): Record<string, string> {
  const env: Record<string, string> = { GOOS: platform.os, GOARCH: platform.architecture };
  if (platform.architecture === 'arm') env.GOARM = (platform.variant ?? 'v7').slice(1);
  if (platform.architecture === 'amd64' && platform.variant) env.GOAMD64 = platform.variant;
  return env;
}

/** The ELF e_machine each Linux architecture's binaries carry. */
export const ELF_MACHINE: Record<string, { code: number; name: string }> = {
  amd64: { code: 62, name: 'x86-64' },
  arm64: { code: 183, name: 'aarch64' },
  arm: { code: 40, name: 'arm' },
  '386': { code: 3, name: 'x86' },
  ppc64le: { code: 21, name: 'ppc64' },
  s390x: { code: 22, name: 's390' },
  riscv64: { code: 243, name: 'riscv' },
};
