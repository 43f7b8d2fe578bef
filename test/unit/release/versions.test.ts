import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, MeshbuildError } from '../../../src/errors.js';
import { deriveReleaseTags, parseReleaseVersion } from '../../../src/release/versions.js';

function usageMessage(input: string): string {
  try {
    parseReleaseVersion(input);
  } catch (error) {
    expect(error).toBeInstanceOf(MeshbuildError);
    expect((error as MeshbuildError).exitCode).toBe(EXIT_USAGE);
    return (error as MeshbuildError).message;
  }
  throw new Error(`"${input}" was accepted`);
}

describe('parseReleaseVersion', () => {
  it.each([
    ['1.2.3', '1.2.3', false],
    ['v1.2.3', '1.2.3', false],
    ['1.2.0-rc.1', '1.2.0-rc.1', true],
    ['v2.0.0-alpha', '2.0.0-alpha', true],
    ['10.20.30', '10.20.30', false],
    [' 1.0.0 ', '1.0.0', false],
  ])('accepts %j as %s', (input, version, prerelease) => {
    expect(parseReleaseVersion(input)).toMatchObject({ version, prerelease });
  });

  it('takes the numbers apart', () => {
    expect(parseReleaseVersion('v3.14.15')).toEqual({ version: '3.14.15', major: 3, minor: 14, patch: 15, prerelease: false });
  });

  it.each([
    ['1.2', /2 numeric parts; a version has three/],
    ['v1.2.3.4', /4 numeric parts; a version has exactly three/],
    ['latest', /latest is a tag that release moves/],
    ['', /no release version given/],
    ['   ', /no release version given/],
    ['1', /1 numeric part;/],
    ['01.2.3', /leading zero/],
    ['1.2.3-rc.01', /numeric prerelease part has a leading zero/],
    ['1.2.3+build.5', /build metadata \(\+build\.5\) cannot be part of an image tag/],
    ['vv1.2.3', /does not start with a number/],
    ['1.x.3', /must be numbers/],
    ['1.2.3-', /the part after "-"/],
  ])('rejects %j, saying why (exit 2)', (input, why) => {
    expect(usageMessage(input)).toMatch(why);
  });
});

describe('deriveReleaseTags', () => {
  const v = (text: string) => parseReleaseVersion(text);

  it.each([
    ['a first release gets every tag', '1.0.0', [], ['1.0.0', '1.0', 'latest']],
    ['the highest release gets every tag', '1.3.0', ['1.2.0', '1.2.1', 'latest', '1.2'], ['1.3.0', '1.3', 'latest']],
    ['re-releasing the highest version keeps every tag', '1.2.1', ['1.2.0', '1.2.1', '1.2', 'latest'], ['1.2.1', '1.2', 'latest']],
    ['an older line: MAJOR.MINOR of its own line, no latest', '1.1.5', ['1.1.4', '1.2.0'], ['1.1.5', '1.1']],
    ['an older patch of a line: neither', '1.1.3', ['1.1.4', '1.2.0'], ['1.1.3']],
    ['tags that are not semver are ignored', '0.1.0', ['latest', 'main', 'abc123def456', '9.9', 'v'], ['0.1.0', '0.1', 'latest']],
    ['a v-prefixed semver tag counts', '1.0.0', ['v1.0.1'], ['1.0.0']],
    ['prereleases in the hub do not hold latest back', '1.2.5', ['1.2.4', '1.3.0-rc.1', '1.2.5-distroless'], ['1.2.5', '1.2', 'latest']],
    ['a release beats its own prereleases', '1.3.0', ['1.3.0-rc.2', '1.2.9'], ['1.3.0', '1.3', 'latest']],
    ['a major release above everything', '2.0.0', ['1.99.99'], ['2.0.0', '2.0', 'latest']],
  ])('%s', (_name, version, existing, expected) => {
    expect(deriveReleaseTags(v(version), existing).tags).toEqual(expected);
  });

  it('gives a prerelease only its own tag, and says why', () => {
    const derived = deriveReleaseTags(v('1.2.0-rc.1'), []);
    expect(derived.tags).toEqual(['1.2.0-rc.1']);
    expect(derived.notes).toEqual(['1.2.0-rc.1 is a prerelease: no 1.2 or latest tag']);
  });

  it('says why latest and MAJOR.MINOR stay where they are', () => {
    expect(deriveReleaseTags(v('1.1.3'), ['1.1.4', '1.2.0']).notes).toEqual([
      '1.1 stays where it is: the hub has 1.1.4, higher than 1.1.3',
      'latest stays where it is: the hub has 1.2.0, higher than 1.1.3',
    ]);
  });

  it('switches MAJOR.MINOR and latest off on request', () => {
    expect(deriveReleaseTags(v('1.0.0'), [], { minorTag: false }).tags).toEqual(['1.0.0', 'latest']);
    expect(deriveReleaseTags(v('1.0.0'), [], { latest: false }).tags).toEqual(['1.0.0', '1.0']);
    expect(deriveReleaseTags(v('1.0.0'), [], { minorTag: false, latest: false })).toEqual({ tags: ['1.0.0'], notes: [] });
  });
});
