/**
 * Which image builder a Dockerfile gets. The native builder assembles images itself (no daemon,
 * no emulation) but only for Dockerfiles that copy files onto a base; anything that must run
 * code (RUN, ONBUILD, HEALTHCHECK, ADD of a URL) needs buildx.
 */
import { usageError } from '../errors.js';
import type { Dockerfile } from '../image/dockerfile.js';
import type { BuilderChoice, BuilderName } from './types.js';

export const NATIVE_INSTRUCTIONS: ReadonlySet<string> = new Set([
  'ARG', 'FROM', 'COPY', 'ADD', 'ENV', 'LABEL', 'USER', 'WORKDIR', 'ENTRYPOINT', 'CMD', 'EXPOSE', 'VOLUME', 'STOPSIGNAL', 'MAINTAINER',
]);

/** False until the native builder lands: `auto` then always means buildx. */
export const NATIVE_BUILDER_AVAILABLE = false;

/** The first instruction the native builder cannot do, if any. */
export function nativeBlocker(dockerfile: Dockerfile): { keyword: string; line: number } | undefined {
  for (const instruction of dockerfile.instructions) {
    if (!NATIVE_INSTRUCTIONS.has(instruction.keyword)) return { keyword: instruction.keyword, line: instruction.line };
    if (instruction.keyword === 'ADD' && /(^|\s)(https?|git):\/\//.test(instruction.text)) return { keyword: 'ADD <url>', line: instruction.line };
    if (instruction.keyword === 'COPY' && instruction.flags.from !== undefined && /[/:]/.test(instruction.flags.from)) {
      return { keyword: 'COPY --from=<image>', line: instruction.line };
    }
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
        throw usageError(`${dockerfile.file}:${blocker.line}: ${blocker.keyword} cannot be built by the native builder`, {
          location: { file: dockerfile.file, line: blocker.line, column: 1 },
          hint: 'use --builder buildx (or --builder auto) for Dockerfiles that run commands',
        });
      }
      return { builder: 'native', reason: '--builder native' };
    case 'auto':
      if (!NATIVE_BUILDER_AVAILABLE) return { builder: 'buildx', reason: 'auto: native builder not available' };
      return blocker ? { builder: 'buildx', reason: `auto: ${blocker.keyword} at line ${blocker.line} needs buildx` } : { builder: 'native', reason: 'auto: only copies files onto a base' };
  }
}
