/**
 * Which image builder a Dockerfile gets. The native builder assembles images itself (no daemon,
 * no emulation) but only for Dockerfiles that copy files onto a base; anything that must run
 * code (RUN, ONBUILD, HEALTHCHECK, ADD of a URL) needs buildx.
 */
import { usageError } from '../errors.js';
import { splitWords, type Dockerfile } from '../image/dockerfile.js';
import type { BuilderChoice, BuilderName } from './types.js';

export const NATIVE_INSTRUCTIONS: ReadonlySet<string> = new Set([
  'ARG',
  'FROM',
  'COPY',
  'ADD',
  'ENV',
  'LABEL',
  'USER',
  'WORKDIR',
  'ENTRYPOINT',
  'CMD',
  'EXPOSE',
  'VOLUME',
  'STOPSIGNAL',
  'MAINTAINER',
]);

/**
 * The first instruction the native builder cannot do, if any: what its interpreter refuses
 * (image/native/build-steps.ts), so that `auto` never picks a builder that then fails.
 */
export function nativeBlocker(dockerfile: Dockerfile): { keyword: string; line: number } | undefined {
  for (const instruction of dockerfile.instructions) {
    const blocked = (keyword: string) => ({ keyword, line: instruction.line });
    if (!NATIVE_INSTRUCTIONS.has(instruction.keyword)) return blocked(instruction.keyword);
    if (instruction.keyword === 'FROM' && instruction.flags.platform !== undefined) return blocked('FROM --platform');
    if (instruction.keyword !== 'COPY' && instruction.keyword !== 'ADD') continue;
    // The native builder copies files from the context; a heredoc's body is not one.
    if (instruction.heredocs) return blocked(`${instruction.keyword} <<heredoc`);
    const sources = (instruction.json ?? splitWords(instruction.text)).slice(0, -1);
    if (instruction.keyword === 'ADD' && sources.some((s) => /^(https?|git):\/\//.test(s))) return blocked('ADD <url>');
    // BuildKit unpacks a local archive that ADD copies; the native builder does not.
    if (instruction.keyword === 'ADD' && sources.some((s) => /\.(tar|tgz|tbz2?|txz|tar\.(gz|bz2|xz|zst))$/i.test(s))) return blocked('ADD <archive>');
    if (instruction.flags.from !== undefined) return blocked(`${instruction.keyword} --from`);
    if (sources.some((s) => /[*?[]/.test(s))) return blocked(`${instruction.keyword} <wildcard>`);
    const chown = instruction.flags.chown;
    if (chown !== undefined && !chown.includes('$') && !/^\d+(:\d+)?$/.test(chown)) return blocked(`${instruction.keyword} --chown=<name>`);
  }
  return undefined;
}

export function chooseBuilder(dockerfile: Dockerfile, choice: BuilderChoice): { builder: BuilderName; reason: string } {
  const blocker = nativeBlocker(dockerfile);
  switch (choice) {
    case 'buildx':
      return { builder: 'buildx', reason: '--builder buildx' };
    case 'native':
      if (blocker) {
        throw usageError(`${blocker.keyword} cannot be built by the native builder`, {
          location: { file: dockerfile.file, line: blocker.line, column: 1 },
          hint: 'use --builder buildx, or --builder auto, which picks buildx for this Dockerfile',
        });
      }
      return { builder: 'native', reason: '--builder native' };
    case 'auto':
      return blocker
        ? { builder: 'buildx', reason: `auto: ${blocker.keyword} at line ${blocker.line} needs buildx` }
        : { builder: 'native', reason: 'auto: only copies files onto a base' };
  }
}
