import { describe, expect, it } from 'vitest';
import { parsePlatformList } from '../../../src/platform.js';
import { ciMatrix, matrixJobs, GITHUB_RUNNERS } from '../../../src/release/matrix.js';

const platforms = parsePlatformList('amd64,arm64');
const images = ['pilot', 'proxyv2'];

describe('ciMatrix (GitHub Actions strategy.matrix)', () => {
  it('by platform: one job per platform, each on a runner of its own architecture', () => {
    expect(ciMatrix(platforms, images, 'platform', 'github')).toEqual({
      include: [
        { target: 'all', platforms: 'linux/amd64', platform: 'linux/amd64', arch: 'amd64', shard: 'amd64', runner: 'ubuntu-24.04', emulated: false },
        { target: 'all', platforms: 'linux/arm64', platform: 'linux/arm64', arch: 'arm64', shard: 'arm64', runner: 'ubuntu-24.04-arm', emulated: false },
      ],
    });
  });

  it('by image: one job per image building every platform', () => {
    expect(ciMatrix(platforms, images, 'image', 'github')).toEqual({
      include: [
        { target: 'pilot', platforms: 'linux/amd64,linux/arm64', image: 'pilot', shard: 'pilot', runner: 'ubuntu-24.04', emulated: true },
        { target: 'proxyv2', platforms: 'linux/amd64,linux/arm64', image: 'proxyv2', shard: 'proxyv2', runner: 'ubuntu-24.04', emulated: true },
      ],
    });
  });

  it('by both: image x platform, shard names unique', () => {
    const { include } = ciMatrix(platforms, images, 'both', 'github');
    expect(include.map((j) => [j.image, j.platform, j.runner, j.shard])).toEqual([
      ['pilot', 'linux/amd64', 'ubuntu-24.04', 'pilot-amd64'],
      ['pilot', 'linux/arm64', 'ubuntu-24.04-arm', 'pilot-arm64'],
      ['proxyv2', 'linux/amd64', 'ubuntu-24.04', 'proxyv2-amd64'],
      ['proxyv2', 'linux/arm64', 'ubuntu-24.04-arm', 'proxyv2-arm64'],
    ]);
    expect(new Set(include.map((j) => j.shard)).size).toBe(include.length);
  });

  it('sends 32-bit arm and other architectures to an x86-64 runner, marked emulated', () => {
    const jobs = matrixJobs(parsePlatformList('linux/arm/v7,ppc64le'), [], 'platform', GITHUB_RUNNERS);
    expect(jobs.map((j) => [j.platform, j.arch, j.shard, j.runner, j.emulated])).toEqual([
      ['linux/arm/v7', 'armv7', 'armv7', 'ubuntu-24.04', true],
      ['linux/ppc64le', 'ppc64le', 'ppc64le', 'ubuntu-24.04', true],
    ]);
  });

  it('is one line of JSON that round-trips', () => {
    const text = JSON.stringify(ciMatrix(platforms, images, 'platform', 'github'));
    expect(text).not.toContain('\n');
    expect(JSON.parse(text)).toEqual(ciMatrix(platforms, images, 'platform', 'github'));
  });
});

describe('ciMatrix (GitLab parallel:matrix)', () => {
  it('one row of upper-case variables per job, runner tags of GitLab.com', () => {
    expect(ciMatrix(platforms, images, 'platform', 'gitlab')).toEqual({
      parallel: {
        matrix: [
          {
            TARGET: 'all',
            PLATFORMS: 'linux/amd64',
            PLATFORM: 'linux/amd64',
            ARCH: 'amd64',
            SHARD: 'amd64',
            RUNNER: 'saas-linux-small-amd64',
            EMULATED: 'false',
          },
          {
            TARGET: 'all',
            PLATFORMS: 'linux/arm64',
            PLATFORM: 'linux/arm64',
            ARCH: 'arm64',
            SHARD: 'arm64',
            RUNNER: 'saas-linux-small-arm64',
            EMULATED: 'false',
          },
        ],
      },
    });
  });

  it('by both names the image in every row', () => {
    const { parallel } = ciMatrix(platforms, ['pilot'], 'both', 'gitlab');
    expect(parallel.matrix.map((row) => [row.IMAGE, row.PLATFORM, row.SHARD])).toEqual([
      ['pilot', 'linux/amd64', 'pilot-amd64'],
      ['pilot', 'linux/arm64', 'pilot-arm64'],
    ]);
  });
});
