/**
 * What a targets file declares, after schema checks: every value typed, every name carrying the
 * location it was declared at. Names are not resolved yet (that is the graph's job).
 */
import type { SourceLocation } from '../errors.js';
import type { Platform } from '../platform.js';
import type { ArtifactTemplate } from '../fetch/artifact-template.js';

export interface Located {
  /** Where the declaration starts in its targets file. */
  location: SourceLocation;
  /** The targets file's folder: relative paths in the declaration are resolved against it. */
  baseDir: string;
  /** Which layer declared it: the shipped/`--targets` graph, or the overlay next to the source. */
  layer: 'targets' | 'source';
}

export interface BinarySpec extends Located {
  kind: 'binary';
  name: string;
  /** Go package path relative to the source root, e.g. `./pilot/cmd/pilot-discovery`. */
  package: string;
  /** Where `package:` is written, for messages about it. */
  packageLocation?: SourceLocation;
  /** Build tags (`-tags`). Default: none. */
  tags: string[];
  /** CGO_ENABLED=1 when true. Default: false. */
  cgo: boolean;
  /** Extra `-ldflags`, appended after the graph-wide ones, placeholders as in `goLdflags`. Default: none. */
  ldflags: string[];
  /** Platforms built when the binary itself is asked for, beyond the image platforms. */
  extraPlatforms: Platform[];
}

export interface ArtifactSpec extends Located {
  kind: 'artifact';
  name: string;
  /**
   * URL template, or one per platform (`linux/arm64`): placeholders as in src/fetch/artifact-template.ts
   * (`{arch}`, `{archSuffix}`, `{env:NAME}`, `{deps:NAME}` from `<source>/istio.deps`, `{env:A|deps:B}`).
   */
  url?: ArtifactTemplate;
  /** Expected sha256 (hex) per platform (`linux/amd64`). */
  sha256: Map<string, string>;
  /** URL template (or one per platform) of a published checksum file (`<hex>  <name>` or a bare hex), used where `sha256` has no entry. */
  sha256Url?: ArtifactTemplate;
  /** Member of a `.tar.gz` download to keep (`usr/local/bin/envoy`); default: the download itself. */
  extract?: string;
  /** Local file template used instead of downloading (same placeholders), relative to the targets file. */
  path?: string;
  /** Where `path:` is written, for messages about it. */
  pathLocation?: SourceLocation;
  /** File name in `out/<os>_<arch>/` and in image contexts: one path segment. Default: the artifact's name. */
  fileName: string;
}

export interface ContextFileSpec {
  /** The file or folder to copy: absolute for `targets`, relative to the source root for `source`. */
  from: string;
  /** Destination inside the build context (relative, forward slashes). */
  to: string;
  location: SourceLocation;
  /** `source`: `from` lies in the source tree (checked at build time); `targets`: next to the targets file. */
  root: 'source' | 'targets';
}

export interface ImageSpec extends Located {
  kind: 'image';
  name: string;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** Where `dockerfile:` is written, for "does not exist" messages. Default: the image's location. */
  dockerfileLocation?: SourceLocation;
  /** `source`: `dockerfile: { source: ... }`, in the source tree; `targets` (default): next to the targets file. */
  dockerfileRoot?: 'source' | 'targets';
  /** Binaries and artifacts staged as `<arch>/<name>` in the context. */
  binaries: Array<{ name: string; location: SourceLocation }>;
  artifacts: Array<{ name: string; location: SourceLocation }>;
  files: ContextFileSpec[];
  /** Build args. Default: none. */
  args: Record<string, string>;
  /** Images of the graph used as named build contexts (`FROM base`). */
  bases: Array<{ name: string; location: SourceLocation }>;
  /**
   * The registry reference this image stands in for, with `{arg:NAME}` build args
   * (`{arg:ISTIO_BASE_REGISTRY}/base:{arg:BASE_VERSION}`): an image based on it whose FROM line
   * names that reference gets this image of the run instead. Default: none (only `FROM <name>`).
   */
  standsFor?: string;
  /**
   * Arguments `verify --run` passes to the image's executable (ENTRYPOINT, or CMD's first element)
   * to make it print its version: `[version]` for Istio's binaries. Default: `["--version"]`.
   */
  versionArgs?: string[];
}

export interface GroupSpec extends Located {
  kind: 'group';
  name: string;
  members: Array<{ name: string; location: SourceLocation }>;
}

export interface VariantSpec extends Located {
  name: string;
  /** Build args the variant sets. */
  args: Record<string, string>;
  /** Appended to each tag: default `-<name>`, and "" for the variant called `default`. */
  tagSuffix: string;
}

export type TargetSpec = BinarySpec | ArtifactSpec | ImageSpec | GroupSpec;

export interface Defaults {
  /** Platforms used when `--platforms` is not given. Default: linux/amd64, linux/arm64. */
  platforms: Platform[];
  /** Variants used when `--variants` is not given. Default: `default`. */
  variants: string[];
  /**
   * `-ldflags` for every binary. Placeholders: `{version}` (the version being built), `{os}`,
   * `{arch}`, `{git.revision}`, `{git.status}`, `{git.tag}` (the source's git state) and `{hub}`
   * (the first --hub, or ""); see src/go/ldflags.ts. Default: none.
   */
  goLdflags: string[];
}

/** All targets files, schema-checked and merged (overlay entries replace same-named ones). */
export interface ValidatedConfig {
  files: string[];
  targets: Map<string, TargetSpec>;
  variants: Map<string, VariantSpec>;
  defaults: Defaults;
}
