/** SPDX SBOMs: deterministic bytes, every module of every binary, replacements, the base, the index as the union. */
import { describe, expect, it } from 'vitest';
import { parseModuleInfo } from '../../../src/sign/go-build-info.js';
import { indexSbom, platformSbom, sbomBinaryFiles, serializeSbom, type PlatformSbomInput } from '../../../src/sign/spdx-sbom.js';
import { compareBinaries } from '../../../src/sign/verify-signatures.js';
import { SAMPLE_MODINFO } from './elf-fixture.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const pilot = { file: '/usr/local/bin/pilot-discovery', digest: digest('a'), info: parseModuleInfo('go1.26.8', SAMPLE_MODINFO) };
const agent = {
  file: '/usr/local/bin/pilot-agent',
  digest: digest('b'),
  info: parseModuleInfo(
    'go1.26.8',
    'path\texample.com/mesh/cmd/pilot-agent\nmod\texample.com/mesh\t(devel)\t\ndep\tgolang.org/x/text\tv0.21.0\th1:4UGsJwd8QFkKN5r0kROADxUP8jdWKeDnCYo+/zvhkQg=\n',
  ),
};
const input = (over: Partial<PlatformSbomInput> = {}): PlatformSbomInput => ({
  repository: '127.0.0.1:5555/mesh/pilot',
  digest: digest('c'),
  platform: 'linux/amd64',
  binaries: [pilot, agent],
  bases: [{ name: '127.0.0.1:5555/mesh/base', digest: digest('d') }],
  created: '2026-01-02T03:04:05Z',
  tool: 'meshbuild-0.1.0',
  ...over,
});

describe('platformSbom', () => {
  it('gives the same bytes for the same image, whatever order the binaries came in', () => {
    const first = serializeSbom(platformSbom(input()));
    expect(serializeSbom(platformSbom(input()))).toEqual(first);
    expect(serializeSbom(platformSbom(input({ binaries: [agent, pilot] })))).toEqual(first);
  });

  it('is an SPDX 2.3 document describing the image, its binaries, their modules and the base', () => {
    const doc = platformSbom(input());
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    expect(doc.creationInfo).toEqual({ created: '2026-01-02T03:04:05Z', creators: ['Tool: meshbuild-0.1.0'] });
    const image = doc.packages.find((p) => p.primaryPackagePurpose === 'CONTAINER' && p.name === '127.0.0.1:5555/mesh/pilot')!;
    expect(doc.relationships[0]).toEqual({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: image.SPDXID });
    expect(sbomBinaryFiles(doc)).toEqual(['/usr/local/bin/pilot-agent', '/usr/local/bin/pilot-discovery']);
    const libraries = doc.packages.filter((p) => p.primaryPackagePurpose === 'LIBRARY');
    // x/text once though both binaries use it; the main module; the replaced module under its own path.
    expect(libraries.map((p) => `${p.name}@${p.versionInfo}`).sort()).toEqual([
      'example.com/mesh@(devel)',
      'github.com/old/lib@v1.2.0',
      'golang.org/x/text@v0.21.0',
    ]);
    const text = libraries.find((p) => p.name === 'golang.org/x/text')!;
    expect(text.checksums).toEqual([
      { algorithm: 'SHA256', checksumValue: Buffer.from('4UGsJwd8QFkKN5r0kROADxUP8jdWKeDnCYo+/zvhkQg=', 'base64').toString('hex') },
    ]);
    expect(text.comment).toBe('go.sum h1:4UGsJwd8QFkKN5r0kROADxUP8jdWKeDnCYo+/zvhkQg=');
    expect(libraries.find((p) => p.name === 'github.com/old/lib')!.externalRefs?.[0]?.referenceLocator).toBe('pkg:golang/github.com/new/lib@v1.2.0');
    const base = doc.packages.find((p) => p.name === '127.0.0.1:5555/mesh/base')!;
    expect(doc.relationships).toContainEqual({ spdxElementId: image.SPDXID, relationshipType: 'DESCENDANT_OF', relatedSpdxElement: base.SPDXID });
    for (const pkg of doc.packages) expect(pkg.SPDXID).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    expect(new Set(doc.packages.map((p) => p.SPDXID)).size).toBe(doc.packages.length);
  });

  it('changes when a binary changes', () => {
    expect(serializeSbom(platformSbom(input({ binaries: [{ ...pilot, digest: digest('e') }, agent] })))).not.toEqual(serializeSbom(platformSbom(input())));
  });
});

describe('indexSbom', () => {
  it('contains every platform image and their binaries, in a fixed order', () => {
    const arm = input({ platform: 'linux/arm64', digest: digest('f'), binaries: [{ ...pilot, digest: digest('9') }] });
    const index = { repository: '127.0.0.1:5555/mesh/pilot', digest: digest('1'), created: '2026-01-02T03:04:05Z', tool: 'meshbuild-0.1.0' };
    const doc = indexSbom(index, [input(), arm]);
    expect(serializeSbom(indexSbom(index, [arm, input()]))).toEqual(serializeSbom(doc));
    const images = doc.packages.filter((p) => p.primaryPackagePurpose === 'CONTAINER' && p.name === index.repository).map((p) => p.versionInfo);
    expect(images.sort()).toEqual([digest('1'), digest('c'), digest('f')].sort());
    expect(doc.packages.filter((p) => p.packageFileName === '/usr/local/bin/pilot-discovery')).toHaveLength(2);
  });
});

describe('compareBinaries', () => {
  it('accepts an SBOM that lists exactly the Go binaries of the layers, and names each difference', () => {
    const doc = platformSbom(input());
    expect(compareBinaries(doc, [pilot, agent])).toEqual([]);
    expect(compareBinaries(doc, [pilot, agent, { file: '/usr/bin/extra', digest: digest('2') }])).toEqual([
      { file: '/usr/bin/extra', problem: 'the SBOM does not list /usr/bin/extra, a Go binary in the layers' },
    ]);
    expect(compareBinaries(doc, [{ ...pilot, digest: digest('3') }])).toEqual([
      { file: '/usr/local/bin/pilot-discovery', problem: 'the SBOM lists /usr/local/bin/pilot-discovery with another digest than the file in the layers' },
      { file: '/usr/local/bin/pilot-agent', problem: 'the SBOM lists /usr/local/bin/pilot-agent, which is not a Go binary in the layers' },
    ]);
  });
});
