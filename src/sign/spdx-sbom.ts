/**
 * SPDX 2.3 JSON SBOMs: per platform image, every Go binary in it with its main module and every
 * dependency module (path, version, go.sum hash) from its embedded build information, plus the
 * base image as a package; per index, the union of its platforms'. Deterministic: the same image
 * gives the same bytes (ids derive from content, lists are sorted, the time is the caller's).
 */
import { createHash } from 'node:crypto';
import type { GoBuildInfo, GoModule } from './go-build-info.js';

/** A Go binary found in an image's layers. */
export interface ImageBinary {
  /** Absolute path in the image: `/usr/local/bin/pilot-discovery`. */
  file: string;
  /** `sha256:<hex>` of the file. */
  digest: string;
  info: GoBuildInfo;
}

export interface SbomBase {
  /** The base image's name in the graph, or its reference. */
  name: string;
  /** `sha256:<hex>` of what it resolved to. */
  digest: string;
}

export interface PlatformSbomInput {
  /** `host/repo` */
  repository: string;
  /** `sha256:<hex>` of the platform manifest. */
  digest: string;
  /** `linux/arm64` */
  platform: string;
  binaries: ImageBinary[];
  bases: SbomBase[];
  /** ISO time written as the document's creation time: the image's own, for reproducible bytes. */
  created: string;
  /** `meshbuild-0.1.0` */
  tool: string;
}

export interface SpdxPackage {
  name: string;
  SPDXID: string;
  versionInfo: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  primaryPackagePurpose: 'CONTAINER' | 'APPLICATION' | 'LIBRARY';
  packageFileName?: string;
  checksums?: Array<{ algorithm: 'SHA256'; checksumValue: string }>;
  externalRefs?: Array<{ referenceCategory: 'PACKAGE-MANAGER'; referenceType: 'purl'; referenceLocator: string }>;
  comment?: string;
}

export interface SpdxRelationship {
  spdxElementId: string;
  relationshipType: 'DESCRIBES' | 'CONTAINS' | 'DEPENDS_ON' | 'DESCENDANT_OF';
  relatedSpdxElement: string;
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackage[];
  relationships: SpdxRelationship[];
}

const NAMESPACE_ROOT = 'https://meshbuild.dev/spdx';

/** The SBOM of one platform image. */
export function platformSbom(input: PlatformSbomInput): SpdxDocument {
  const builder = new SbomBuilder();
  const image = builder.imagePackage(input.repository, input.digest, input.platform);
  builder.addPlatform(image, input);
  return builder.document(`${input.repository}@${input.digest}`, input.created, input.tool);
}

/** The SBOM of an index: the index as a package containing each platform's image and everything in it. */
export function indexSbom(index: { repository: string; digest: string; created: string; tool: string }, platforms: PlatformSbomInput[]): SpdxDocument {
  const builder = new SbomBuilder();
  const root = builder.imagePackage(index.repository, index.digest, 'index');
  for (const platform of [...platforms].sort((a, b) => a.platform.localeCompare(b.platform))) {
    const image = builder.imagePackage(platform.repository, platform.digest, platform.platform);
    builder.relate(root, 'CONTAINS', image);
    builder.addPlatform(image, platform);
  }
  return builder.document(`${index.repository}@${index.digest}`, index.created, index.tool);
}

/** Go binaries an SBOM lists, by their path in the image. */
export function sbomBinaryFiles(document: SpdxDocument): string[] {
  return [...new Set(document.packages.filter((p) => p.primaryPackagePurpose === 'APPLICATION' && p.packageFileName).map((p) => p.packageFileName!))].sort();
}

/** Canonical bytes: the object as built (fixed key order), two-space indented, newline at the end. */
export function serializeSbom(document: SpdxDocument): Buffer {
  return Buffer.from(`${JSON.stringify(document, null, 2)}\n`);
}

class SbomBuilder {
  private readonly packages = new Map<string, SpdxPackage>();
  private readonly relationships = new Map<string, SpdxRelationship>();
  private root: string | undefined;

  imagePackage(repository: string, digest: string, platform: string): string {
    const id = spdxId('image', platform, digest);
    this.root ??= id;
    this.add({
      name: repository,
      SPDXID: id,
      versionInfo: digest,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'CONTAINER',
      checksums: [sha256Checksum(digest)],
      externalRefs: [
        purl(`pkg:oci/${encodeURIComponent(lastSegment(repository))}@${encodeURIComponent(digest)}?repository_url=${encodeURIComponent(repository)}`),
      ],
      ...(platform !== 'index' ? { comment: `platform ${platform}` } : {}),
    });
    return id;
  }

  addPlatform(image: string, input: PlatformSbomInput): void {
    for (const base of [...input.bases].sort((a, b) => a.name.localeCompare(b.name))) {
      const id = spdxId('base', input.platform, base.name, base.digest);
      this.add({
        name: base.name,
        SPDXID: id,
        versionInfo: base.digest,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        primaryPackagePurpose: 'CONTAINER',
        checksums: [sha256Checksum(base.digest)],
      });
      this.relate(image, 'DESCENDANT_OF', id);
    }
    for (const binary of [...input.binaries].sort((a, b) => a.file.localeCompare(b.file))) {
      const id = spdxId('binary', input.platform, binary.file, binary.digest);
      const main = binary.info.main;
      this.add({
        name: binary.info.path ?? binary.file,
        SPDXID: id,
        versionInfo: main?.version ?? binary.info.goVersion,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        primaryPackagePurpose: 'APPLICATION',
        packageFileName: binary.file,
        checksums: [sha256Checksum(binary.digest)],
        ...(main ? { externalRefs: [purl(goPurl(main))] } : {}),
        comment: `built with ${binary.info.goVersion}`,
      });
      this.relate(image, 'CONTAINS', id);
      for (const module of [...(main ? [main] : []), ...binary.info.deps]) {
        const moduleId = this.addModule(module);
        this.relate(id, 'DEPENDS_ON', moduleId);
      }
    }
  }

  relate(from: string, type: SpdxRelationship['relationshipType'], to: string): void {
    this.relationships.set(`${from} ${type} ${to}`, { spdxElementId: from, relationshipType: type, relatedSpdxElement: to });
  }

  document(name: string, created: string, tool: string): SpdxDocument {
    const relationships = [...this.relationships.values()].sort((a, b) =>
      `${a.spdxElementId} ${a.relationshipType} ${a.relatedSpdxElement}`.localeCompare(`${b.spdxElementId} ${b.relationshipType} ${b.relatedSpdxElement}`),
    );
    if (this.root) relationships.unshift({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: this.root });
    const packages = [...this.packages.values()].sort((a, b) => a.SPDXID.localeCompare(b.SPDXID));
    return {
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name,
      documentNamespace: `${NAMESPACE_ROOT}/${encodeURIComponent(name)}`,
      creationInfo: { created, creators: [`Tool: ${tool}`] },
      packages,
      relationships,
    };
  }

  /** One package per module version (shared by every binary that uses it); a replacement is what was built. */
  private addModule(module: GoModule): string {
    const built = module.replace ?? module;
    const id = spdxId('go-module', built.path, built.version, module.path);
    this.add({
      name: module.path,
      SPDXID: id,
      versionInfo: built.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'LIBRARY',
      ...(built.sum ? { checksums: [{ algorithm: 'SHA256', checksumValue: h1Hex(built.sum) }] } : {}),
      externalRefs: [purl(goPurl(built))],
      ...(built.sum || module.replace
        ? { comment: [built.sum && `go.sum ${built.sum}`, module.replace && `replaced by ${built.path} ${built.version}`].filter(Boolean).join('; ') }
        : {}),
    });
    return id;
  }

  private add(pkg: SpdxPackage): void {
    if (!this.packages.has(pkg.SPDXID)) this.packages.set(pkg.SPDXID, pkg);
  }
}

/** SPDX ids allow letters, digits, `.` and `-`: a readable kind plus a hash of what makes it unique. */
function spdxId(kind: string, ...parts: string[]): string {
  return `SPDXRef-${kind}-${createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16)}`;
}

function sha256Checksum(digest: string): { algorithm: 'SHA256'; checksumValue: string } {
  return { algorithm: 'SHA256', checksumValue: digest.replace(/^sha256:/, '') };
}

/** A go.sum `h1:` hash is base64 SHA-256 (of the module's file list): hex for SPDX's checksum field. */
function h1Hex(sum: string): string {
  return Buffer.from(sum.replace(/^h1:/, ''), 'base64').toString('hex');
}

function purl(locator: string): { referenceCategory: 'PACKAGE-MANAGER'; referenceType: 'purl'; referenceLocator: string } {
  return { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: locator };
}

function goPurl(module: GoModule): string {
  return `pkg:golang/${module.path.split('/').map(encodeURIComponent).join('/')}@${encodeURIComponent(module.version)}`;
}

function lastSegment(repository: string): string {
  return repository.split('/').pop() ?? repository;
}
