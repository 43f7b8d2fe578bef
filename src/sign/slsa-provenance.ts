/**
 * SLSA v1 provenance for an image meshbuild built: who built it (meshbuild and its version), from
 * what source (repository and commit), with which parameters (image, platforms, build args,
 * Dockerfile), and the digest of every input (binaries, artifacts, base images, Dockerfile).
 */

export const MESHBUILD_BUILDER_ID = 'https://meshbuild.dev/builder/meshbuild';
export const MESHBUILD_BUILD_TYPE = 'https://meshbuild.dev/buildtypes/image/v1';

export interface ProvenanceInput {
  /** One of the inputs: `file:pilot-discovery` (context path), `oci:base@sha256:...`, `file:Dockerfile`. */
  uri: string;
  /** `sha256:<hex>` */
  digest: string;
  /** What it is for a reader: `binary pilot-discovery linux/arm64`. */
  name?: string;
}

export interface ProvenanceRequest {
  meshbuildVersion: string;
  image: string;
  version: string;
  platforms: string[];
  builder: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  source: { repository: string; commit: string };
  inputs: ProvenanceInput[];
}

export interface SlsaProvenance {
  buildDefinition: {
    buildType: string;
    externalParameters: Record<string, unknown>;
    internalParameters: Record<string, unknown>;
    resolvedDependencies: Array<{ uri: string; digest: Record<string, string>; name?: string }>;
  };
  runDetails: { builder: { id: string; version: Record<string, string> }; metadata: Record<string, string> };
}

/** The predicate, with inputs sorted and build args in key order so the same build gives the same document. */
export function slsaProvenance(request: ProvenanceRequest): SlsaProvenance {
  const commit = request.source.commit.replace(/-dirty$/, '');
  const sourceDigest: Record<string, string> = /^[0-9a-f]{40}$/.test(commit) ? { gitCommit: commit } : {};
  const buildArgs = Object.fromEntries(Object.entries(request.buildArgs).sort(([a], [b]) => a.localeCompare(b)));
  return {
    buildDefinition: {
      buildType: MESHBUILD_BUILD_TYPE,
      externalParameters: {
        source: { uri: request.source.repository, revision: request.source.commit },
        image: request.image,
        version: request.version,
        platforms: [...request.platforms].sort(),
        dockerfile: request.dockerfile,
        buildArgs,
      },
      internalParameters: { builder: request.builder },
      resolvedDependencies: [
        { uri: request.source.repository, digest: sourceDigest, name: 'source' },
        ...[...request.inputs]
          .sort((a, b) => a.uri.localeCompare(b.uri) || a.digest.localeCompare(b.digest))
          .map((input) => ({ uri: input.uri, digest: { sha256: input.digest.replace(/^sha256:/, '') }, ...(input.name ? { name: input.name } : {}) })),
      ],
    },
    runDetails: {
      builder: { id: MESHBUILD_BUILDER_ID, version: { meshbuild: request.meshbuildVersion } },
      metadata: {},
    },
  };
}

export interface SlsaProvenanceV02 {
  builder: { id: string };
  buildType: string;
  invocation: { configSource: { uri: string; digest: Record<string, string>; entryPoint: string }; parameters: Record<string, unknown> };
  metadata: { reproducible: boolean; completeness: { parameters: boolean; environment: boolean; materials: boolean } };
  materials: Array<{ uri: string; digest: Record<string, string> }>;
}

/**
 * The same provenance in SLSA v0.2's shape, for the tools that know only that one (cosign's
 * `--type slsaprovenance` still means v0.2). Derived from the v1 document: nothing new is claimed.
 */
export function slsaProvenanceV02(v1: SlsaProvenance): SlsaProvenanceV02 {
  const [source, ...inputs] = v1.buildDefinition.resolvedDependencies;
  const { dockerfile, ...parameters } = v1.buildDefinition.externalParameters;
  return {
    builder: { id: v1.runDetails.builder.id },
    buildType: v1.buildDefinition.buildType,
    invocation: {
      configSource: { uri: source?.uri ?? '', digest: source?.digest ?? {}, entryPoint: String(dockerfile ?? '') },
      parameters: { ...parameters, ...v1.buildDefinition.internalParameters },
    },
    metadata: { reproducible: false, completeness: { parameters: true, environment: false, materials: true } },
    materials: inputs.map((input) => ({ uri: input.uri, digest: input.digest })),
  };
}
