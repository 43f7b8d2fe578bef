/** readGoBuildInfo on synthetic Go ELF files: section lookup, magic search, modules, replacements, settings. */
import { describe, expect, it } from 'vitest';
import { parseModuleInfo, readGoBuildInfo } from '../../../src/sign/go-build-info.js';
import { SAMPLE_MODINFO, syntheticGoElf } from './elf-fixture.js';

describe('readGoBuildInfo', () => {
  it('reads the Go version, main package, main module and dependencies from the .go.buildinfo section', () => {
    const info = readGoBuildInfo(syntheticGoElf('go1.26.8', SAMPLE_MODINFO));
    expect(info?.goVersion).toBe('go1.26.8');
    expect(info?.path).toBe('example.com/mesh/cmd/pilot-discovery');
    expect(info?.main).toEqual({ path: 'example.com/mesh', version: '(devel)' });
    expect(info?.deps).toEqual([
      { path: 'golang.org/x/text', version: 'v0.21.0', sum: 'h1:4UGsJwd8QFkKN5r0kROADxUP8jdWKeDnCYo+/zvhkQg=' },
      {
        path: 'github.com/old/lib',
        version: 'v1.0.0',
        sum: 'h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        replace: { path: 'github.com/new/lib', version: 'v1.2.0', sum: 'h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=' },
      },
    ]);
    expect(info?.settings).toEqual([
      ['-buildmode', 'exe'],
      ['-ldflags', '-X main.version=1.0.0'],
      ['CGO_ENABLED', '0'],
      ['GOARCH', 'amd64'],
    ]);
  });

  it('finds the build information by its magic when the binary has no section headers', () => {
    const info = readGoBuildInfo(syntheticGoElf('go1.22.0', SAMPLE_MODINFO, { withSections: false }));
    expect(info?.goVersion).toBe('go1.22.0');
    expect(info?.deps.map((d) => d.path)).toEqual(['golang.org/x/text', 'github.com/old/lib']);
  });

  it('says undefined for a file that is not ELF, and for an ELF file without Go build information', () => {
    expect(readGoBuildInfo(Buffer.from('#!/bin/sh\necho hello\n'.repeat(4)))).toBeUndefined();
    const notGo = syntheticGoElf('go1.26.8', SAMPLE_MODINFO);
    notGo.fill(0, 0x100, 0x100 + 14); // wipe the magic
    expect(readGoBuildInfo(notGo)).toBeUndefined();
  });

  it('reports a Go binary from before 1.18 (pointer format) without module data', () => {
    const old = syntheticGoElf('go1.17', SAMPLE_MODINFO);
    old[0x100 + 15] = 0; // flags: no inline strings
    expect(readGoBuildInfo(old)).toEqual({ goVersion: 'unknown (Go before 1.18)', deps: [], settings: [] });
  });

  it('parses module text without a main module (a binary built outside module mode)', () => {
    expect(parseModuleInfo('go1.26.8', 'path\tcommand-line-arguments\nbuild\tGOOS=linux\n')).toEqual({
      goVersion: 'go1.26.8',
      path: 'command-line-arguments',
      deps: [],
      settings: [['GOOS', 'linux']],
    });
  });
});
