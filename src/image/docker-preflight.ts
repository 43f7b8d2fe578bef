/**
 * Checks the Docker side before any image job starts, so each missing piece is one message that
 * says what to do: the daemon, buildx, and whether the builder can build every platform.
 */
import { stepError, usageError } from '../errors.js';
import { formatPlatform, parsePlatform, samePlatform, type Platform } from '../platform.js';
import type { ImageBuildJob } from '../plan/types.js';
import { CommandNotFoundError, runProcess } from '../run/process.js';

export function dockerMissing() {
  return usageError('docker was not found on PATH', {
    hint: 'install the Docker Engine with buildx (scripts/env-up does it on Debian), or use --builder native',
  });
}

export async function checkBuildx(platforms: Platform[], builderName?: string): Promise<void> {
  let info;
  try {
    info = await runProcess('docker', ['version', '--format', '{{.Server.Version}}']);
  } catch (error) {
    if (error instanceof CommandNotFoundError) throw dockerMissing();
    throw error;
  }
  if (info.exitCode !== 0) {
    throw usageError('the Docker daemon is not running (docker version could not reach it)', {
      hint: 'start it: scripts/env-up (Debian, as root), "sudo dockerd &", or start Docker Desktop; or use --builder native',
      detail: info.output.trim().split('\n').slice(-2).join('\n'),
    });
  }
  const version = await runProcess('docker', ['buildx', 'version']);
  if (version.exitCode !== 0) {
    throw usageError('docker buildx is not installed', {
      hint: 'install the buildx plugin (Debian 13: apt-get install docker-buildx; scripts/env-up does it)',
    });
  }
  const inspect = await runProcess('docker', ['buildx', 'inspect', ...(builderName ? [builderName] : []), '--bootstrap']);
  if (inspect.exitCode !== 0) {
    throw usageError(`buildx builder ${builderName ?? '(current)'} is not usable`, { detail: inspect.output.trim() });
  }
  const line = /^Platforms:\s*(.*)$/m.exec(inspect.stdout)?.[1] ?? '';
  const supported = line
    .split(',')
    .map((p) => parsePlatform(p.replace('*', '').trim()))
    .flatMap((p) => (p.ok ? [p.platform] : []));
  const missing = platforms.filter((p) => !supported.some((s) => samePlatform(s, p) || (s.os === p.os && s.architecture === p.architecture)));
  if (missing.length > 0) {
    throw usageError(
      `the buildx builder cannot build ${missing.map(formatPlatform).join(', ')} (it supports ${supported.map(formatPlatform).join(', ') || 'nothing it reports'})`,
      {
        hint: 'install qemu emulation (apt-get install qemu-user-static binfmt-support, as scripts/env-up does), use a builder with native nodes (--builder-name), or leave the platform out of --platforms',
      },
    );
  }
}

/** buildx's own message under the image's name; Dockerfile errors keep their line numbers. */
export function explainBuildxFailure(job: ImageBuildJob, output: string) {
  const lines = output.trim().split('\n');
  const errorLine = [...lines].reverse().find((l) => /^ERROR:|error:/i.test(l)) ?? lines[lines.length - 1] ?? 'buildx failed';
  return stepError(
    `docker buildx build failed for image ${job.image} (${job.platforms.map(formatPlatform).join(', ')}): ${errorLine.replace(/^ERROR:\s*/, '')}`,
    {
      detail: lines.slice(-25).join('\n'),
    },
  );
}
