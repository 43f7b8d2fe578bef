/**
 * The CI job matrix for fanning a build out over runners: one job per platform (on a runner of
 * that architecture where CI offers one), per image, or per image and platform. Each job runs
 * `meshbuild build <target> --platforms <platforms> --push-by-digest --report shard-<shard>.json`
 * and `meshbuild merge shard-*.json` joins the shards. Pure: platforms and images are passed in.
 */
import { assertNever } from '../errors.js';
import { formatPlatform, type Platform } from '../platform.js';

export type MatrixAxis = 'platform' | 'image' | 'both';
export type MatrixFormat = 'github' | 'gitlab';

/** One job of the matrix. */
export interface MatrixJob {
  /** What to build: an image name, or `all`. */
  target: string;
  /** The `--platforms` value for the job: `linux/arm64`, or several comma-separated. */
  platforms: string;
  /** The single platform of a per-platform job. */
  platform?: string;
  /** Its short name: `amd64`, `arm64`, `armv7`. */
  arch?: string;
  /** The image of a per-image job. */
  image?: string;
  /** Unique per job: names the shard report (`shard-<shard>.json`) and the uploaded artifact. */
  shard: string;
  /** The runner label (GitHub `runs-on`, GitLab `tags`). */
  runner: string;
  /** True when the runner's own architecture differs (the job cross-compiles; RUN steps need qemu). */
  emulated: boolean;
}

interface RunnerSet {
  amd64: string;
  arm64: string;
}

/** GitHub-hosted runners: x86-64 and native arm64 (Ubuntu 24.04). */
export const GITHUB_RUNNERS: RunnerSet = { amd64: 'ubuntu-24.04', arm64: 'ubuntu-24.04-arm' };
/** GitLab.com hosted runner tags. */
export const GITLAB_RUNNERS: RunnerSet = { amd64: 'saas-linux-small-amd64', arm64: 'saas-linux-small-arm64' };

/** `amd64`, `arm64`, `armv7`: the platform as a short name (what `--platforms` and file names take). */
export function shortArch(platform: Platform): string {
  return `${platform.architecture}${platform.variant ?? ''}`;
}

/**
 * The jobs for `platforms` and `images`, in the order given (images outer for `both`).
 * 32-bit arm goes to an x86-64 runner: arm64 runners cannot run AArch32 code, so it is cross-built
 * there like every other architecture without a native runner.
 */
export function matrixJobs(platforms: readonly Platform[], images: readonly string[], by: MatrixAxis, runners: RunnerSet): MatrixJob[] {
  const runnerFor = (platform: Platform) => (platform.architecture === 'arm64' ? runners.arm64 : runners.amd64);
  const platformJob = (platform: Platform, image: string | undefined): MatrixJob => {
    const arch = shortArch(platform);
    const job: MatrixJob = {
      target: image ?? 'all',
      platforms: formatPlatform(platform),
      platform: formatPlatform(platform),
      arch,
      shard: image === undefined ? arch : `${image}-${arch}`,
      runner: runnerFor(platform),
      emulated: platform.architecture !== 'amd64' && platform.architecture !== 'arm64',
    };
    if (image !== undefined) job.image = image;
    return job;
  };
  switch (by) {
    case 'platform':
      return platforms.map((p) => platformJob(p, undefined));
    case 'both':
      return images.flatMap((image) => platforms.map((p) => platformJob(p, image)));
    case 'image':
      // One x86-64 runner per image builds every platform (Go cross-compiles; the native builder needs no emulation).
      return images.map((image) => ({
        target: image,
        platforms: platforms.map(formatPlatform).join(','),
        image,
        shard: image,
        runner: runners.amd64,
        emulated: platforms.some((p) => p.architecture !== 'amd64'),
      }));
    default:
      return assertNever(by, 'matrix axis');
  }
}

/** GitHub Actions: the value of `strategy.matrix` (`{"include":[...]}`), for `fromJSON(...)`. */
export interface GithubMatrix {
  include: MatrixJob[];
}

/** GitLab CI: the `parallel:matrix` keyword, one entry (one job) per row, variables upper-case. */
export interface GitlabMatrix {
  parallel: { matrix: Array<Record<string, string>> };
}

/** The matrix for `platforms` x `images` in the shape `format` reads. */
export function ciMatrix(platforms: readonly Platform[], images: readonly string[], by: MatrixAxis, format: 'github'): GithubMatrix;
export function ciMatrix(platforms: readonly Platform[], images: readonly string[], by: MatrixAxis, format: 'gitlab'): GitlabMatrix;
export function ciMatrix(platforms: readonly Platform[], images: readonly string[], by: MatrixAxis, format: MatrixFormat): GithubMatrix | GitlabMatrix;
export function ciMatrix(platforms: readonly Platform[], images: readonly string[], by: MatrixAxis, format: MatrixFormat): GithubMatrix | GitlabMatrix {
  switch (format) {
    case 'github':
      return { include: matrixJobs(platforms, images, by, GITHUB_RUNNERS) };
    case 'gitlab':
      return {
        parallel: {
          matrix: matrixJobs(platforms, images, by, GITLAB_RUNNERS).map((job) => {
            const row: Record<string, string> = {};
            for (const [key, value] of Object.entries(job)) row[key.toUpperCase()] = String(value);
            return row;
          }),
        },
      };
    default:
      return assertNever(format, 'matrix format');
  }
}
