import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, MeshbuildError } from '../../../src/errors.js';
import { formatPlatform, goEnvironment, parsePlatformList, platformDirName } from '../../../src/platform.js';

const formatted = (value: string | string[]) => parsePlatformList(value).map(formatPlatform);

function usageErrorOf(value: string | string[]): MeshbuildError {
  try {
    parsePlatformList(value);
  } catch (error) {
    expect(error).toBeInstanceOf(MeshbuildError);
    return error as MeshbuildError;
  }
  throw new Error(`parsePlatformList(${JSON.stringify(value)}) did not throw`);
}

describe('parsePlatformList', () => {
  it.each([
    ['arm64', ['linux/arm64']],
    ['amd64,arm64', ['linux/amd64', 'linux/arm64']],
    ['linux/arm64', ['linux/arm64']],
    ['linux/arm64/v8', ['linux/arm64']],
    ['aarch64', ['linux/arm64']],
    ['x86_64', ['linux/amd64']],
    ['armv7', ['linux/arm/v7']],
    ['linux/arm/v7', ['linux/arm/v7']],
    ['darwin/arm64', ['darwin/arm64']],
    ['windows/amd64', ['windows/amd64']],
    ['LINUX/ARM64', ['linux/arm64']],
    [' amd64 , arm64 ', ['linux/amd64', 'linux/arm64']],
  ])('%j -> %j', (input, expected) => {
    expect(formatted(input)).toEqual(expected);
  });

  it('drops duplicates, however they are spelled, and keeps the first order', () => {
    expect(formatted('arm64,amd64,linux/arm64/v8,aarch64,x86_64')).toEqual(['linux/arm64', 'linux/amd64']);
    expect(formatted(['amd64', 'amd64,arm64'])).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('keeps the variant where it matters and names out/ folders after it', () => {
    const [arm] = parsePlatformList('armv7');
    expect(arm).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(platformDirName(arm!)).toBe('linux_arm_v7');
    expect(goEnvironment(arm!)).toEqual({ GOOS: 'linux', GOARCH: 'arm', GOARM: '7' });
    const [arm64] = parsePlatformList('linux/arm64/v8');
    expect(arm64).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(goEnvironment(arm64!)).toEqual({ GOOS: 'linux', GOARCH: 'arm64' });
  });

  it.each([
    ['amd64 arm64', '"amd64 arm64"', /commas, not spaces/],
    ['linux/sparc', '"linux/sparc"', /unknown architecture "sparc"/],
    ['plan9/amd64', '"plan9/amd64"', /unknown operating system "plan9"/],
    ['linux/arm64/v9', '"linux/arm64/v9"', /"v9" is not a variant of arm64/],
    ['amd64,linux/sparc', '"linux/sparc"', /unknown architecture/],
    ['amd64,,arm64', '""', /empty platform/],
  ])('%j is a usage error naming %s', (input, entry, reason) => {
    const error = usageErrorOf(input);
    expect(error.exitCode).toBe(EXIT_USAGE);
    expect(error.message).toContain(`--platforms: ${entry} is not a platform`);
    expect(error.message).toMatch(reason);
    expect(error.hint).toContain('--platforms amd64,arm64');
  });

  it('an empty value is a usage error that says to name a platform', () => {
    for (const value of ['', ' ', []]) {
      const error = usageErrorOf(value);
      expect(error.exitCode).toBe(EXIT_USAGE);
      expect(error.message).toMatch(/--platforms/);
      expect(error.hint).toMatch(/platform/);
    }
  });

  it('names the flag it was given', () => {
    expect(() => parsePlatformList('mips', '--extra-platforms')).toThrow(/--extra-platforms: "mips"/);
  });
});
