/**
 * The build flags' translation into a graph and a plan request. The environment is read here, at
 * the edge (HUB and TAG as in Istio's Makefile), and passed down. The flags themselves are in
 * `flags.ts`.
 */
import path from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { usageError } from '../errors.js';
import { resolveArtifactOverrides } from '../fetch/artifact-overrides.js';
import { readIstioDeps } from '../fetch/istio-deps.js';
import { readCheckoutBuildArgs, runBuildArgs } from '../image/run-build-args.js';
import { readGitStamp, readSourceOrigin } from '../go/git-stamp.js';
import { NO_GIT, type GitStamp } from '../go/ldflags.js';
import { mtimeFromSourceDateEpoch } from '../oci/tar-writer.js';
import { parseAnnotationFlags, parseLabelFlags } from '../plan/image-metadata.js';
import { buildGraph, type Graph } from '../graph/graph.js';
import { parsePlatformList } from '../platform.js';
import type { PlanRequest } from '../plan/plan.js';
import type { ImageOutput } from '../plan/types.js';
import type { CommandIo } from './main.js';
import { listValue, type GraphFlags, type PlanFlags } from './flags.js';
import { chooseSourceDir } from './source-dir.js';

export interface Loaded {
  graph: Graph;
  sourceDir: string;
}

/** The graph of `--targets` over `--source` (or the tree `chooseSourceDir` picks, noted on stderr). */
export function loadGraph(flags: GraphFlags, io: Pick<CommandIo, 'stderr' | 'cwd'>): Loaded {
  const chosen = chooseSourceDir(flags.source, io.cwd ?? process.cwd());
  const sourceDir = chosen.dir;
  const config = loadConfig({ targetsDir: path.resolve(flags.targets), sourceDir });
  const graph = buildGraph(config, sourceDir);
  // Said once the graph loads: an error in it is the message that matters then.
  if (chosen.notice !== undefined) io.stderr.write(`${chosen.notice}\n`);
  return { graph, sourceDir };
}

export async function planRequest(flags: PlanFlags, targets: string[], graph: Graph, env: NodeJS.ProcessEnv): Promise<PlanRequest> {
  if (String(flags.out).trim() === '') throw usageError('--out needs a folder', { hint: 'e.g. --out out (it is made if missing)' });
  const platforms = flags.platforms !== undefined ? parsePlatformList(flags.platforms) : graph.defaults.platforms;
  const hubs = listValue(flags.hub).length > 0 ? listValue(flags.hub) : listValue(env.HUB ? [env.HUB] : []);
  for (const hub of hubs) {
    if (!/^[a-zA-Z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/.test(hub) || hub.includes('://')) {
      throw usageError(`--hub: "${hub}" is not a registry/namespace`, { hint: 'write it like docker.io/myhub or 127.0.0.1:5000/mesh (no scheme, no tag)' });
    }
  }
  let tags = listValue(flags.tag).length > 0 ? listValue(flags.tag) : listValue(env.TAG ? [env.TAG] : []);
  const [git, origin] = await Promise.all([readGitStamp(graph.sourceDir), readSourceOrigin(graph.sourceDir)]);
  if (tags.length === 0) tags = [defaultTag(flags, graph.sourceDir, git)];
  for (const tag of tags) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
      throw usageError(`--tag: "${tag}" is not a valid image tag`, { hint: 'tags are up to 128 letters, digits, _ . - and may not start with . or -' });
    }
  }
  const output = imageOutput(flags, hubs);
  if (flags.attest && flags.builder === 'native') {
    throw usageError('--attest needs the buildx builder: the native builder writes no attestations', { hint: 'use --builder buildx (or auto) with --attest' });
  }
  const sourceDateEpoch = mtimeFromSourceDateEpoch(env.SOURCE_DATE_EPOCH);
  return {
    targets,
    platforms,
    variants: listValue(flags.variants).length > 0 ? listValue(flags.variants) : graph.defaults.variants,
    hubs,
    tags,
    version: tags[0]!,
    outDir: path.resolve(flags.out),
    binariesOnly: flags['binaries-only'],
    builder: flags.builder,
    output,
    env,
    deps: readIstioDeps(graph.sourceDir),
    artifactOverrides: resolveArtifactOverrides({ flags: flags.artifact ?? [], env, graph, platforms }),
    git,
    buildArgs: runBuildArgs(readCheckoutBuildArgs(graph.sourceDir), env, flags['build-arg'] ?? []),
    origin,
    ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
    extraMetadata: { labels: parseLabelFlags(flags.label ?? []), ...parseAnnotationFlags(flags.annotation ?? []) },
    attest: flags.attest ?? false,
  };
}

function imageOutput(flags: PlanFlags, hubs: string[]): ImageOutput {
  const chosen = [
    flags.push && '--push',
    flags['push-by-digest'] && '--push-by-digest',
    flags.load && '--load',
    flags.output !== undefined && '--output',
  ].filter(Boolean);
  if (chosen.length > 1) throw usageError(`${chosen.join(' and ')} cannot be used together`, { hint: 'pick one place for the images' });
  if (flags.push || flags['push-by-digest']) {
    const flag = flags.push ? '--push' : '--push-by-digest';
    if (hubs.length === 0) throw usageError(`${flag} needs --hub (or the HUB environment variable)`, { hint: 'e.g. --hub docker.io/myhub' });
    return { kind: 'registry', tags: flags.push };
  }
  if (flags.load) return { kind: 'docker' };
  if (flags.output !== undefined) {
    const match = /^(oci|tar):(.+)$/.exec(flags.output);
    if (!match) throw usageError(`--output: "${flags.output}" is not oci:DIR or tar:DIR`, { hint: 'e.g. --output oci:out/images' });
    return { kind: match[1] as 'oci' | 'tar', dir: path.resolve(match[2]!) };
  }
  return { kind: 'oci', dir: path.resolve(flags.out, 'images') };
}

/**
 * Istio's default TAG: the source's git HEAD, short, with -dirty when it has changes. Outside git
 * there is no such name: `latest` will do for local outputs, but a push would overwrite the
 * registry's `latest` with whatever this is, so `--push` asks for a tag instead.
 */
function defaultTag(flags: PlanFlags, sourceDir: string, git: GitStamp): string {
  if (git.revision !== NO_GIT.revision) return `${git.revision.slice(0, 12)}${git.revision.endsWith('-dirty') ? '-dirty' : ''}`;
  if (flags.push) {
    throw usageError(`--push needs --tag (or the TAG environment variable): ${sourceDir} is not in a git checkout, so there is no commit to tag by`, {
      hint: 'e.g. --tag 1.29.1; without it the images would be pushed as latest',
    });
  }
  return 'latest';
}
