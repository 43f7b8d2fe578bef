/**
 * A buildx builder as `docker buildx inspect` prints it (buildx 0.10 to 0.13 text format), every
 * node of it, and which node serves each platform a run asks for. Pure: no Docker here.
 */
import { formatPlatform, parsePlatform, type Platform } from '../platform.js';

export interface BuildxNode {
  name: string;
  endpoint: string;
  /** `running`, `inactive`, `stopped`, ...; `error` when buildx printed an Error line instead. */
  status: string;
  error?: string;
  /** Every platform the node lists, as buildx prints it, without the `*`. */
  platforms: string[];
  /** The platforms marked `*`: set by the user (`docker buildx create --platform`). */
  pinned: string[];
}

export interface BuildxBuilder {
  name: string;
  driver: string;
  error?: string;
  nodes: BuildxNode[];
}

/** Reads `docker buildx inspect` output. Indented lines (labels, GC policy) are skipped. */
export function parseBuildxInspect(text: string): BuildxBuilder {
  const builder: BuildxBuilder = { name: '', driver: '', nodes: [] };
  let node: BuildxNode | undefined;
  let inNodes = false;
  for (const line of text.split('\n')) {
    if (line.trim() === 'Nodes:') {
      inNodes = true;
      continue;
    }
    const field = /^([A-Za-z][^:]*):[ \t]*(.*)$/.exec(line.trimEnd());
    if (!field) continue;
    const key = field[1]!.trim();
    const value = field[2]!.trim();
    if (!inNodes) {
      if (key === 'Name') builder.name = value;
      else if (key === 'Driver') builder.driver = value;
      else if (key === 'Error') builder.error = value;
      continue;
    }
    if (key === 'Name') {
      node = { name: value, endpoint: '', status: '', platforms: [], pinned: [] };
      builder.nodes.push(node);
    } else if (!node) {
      continue;
    } else if (key === 'Endpoint') {
      node.endpoint = value;
    } else if (key === 'Status') {
      node.status = value;
    } else if (key === 'Error') {
      node.status = 'error';
      node.error = value;
    } else if (key === 'Platforms') {
      for (const entry of value.split(',').map((p) => p.trim())) {
        if (entry === '') continue;
        const platform = entry.replace(/\*$/, '');
        node.platforms.push(platform);
        if (entry.endsWith('*')) node.pinned.push(platform);
      }
    }
  }
  return builder;
}

function parsed(entries: string[]): Platform[] {
  return entries.flatMap((entry) => {
    const result = parsePlatform(entry);
    return result.ok ? [result.platform] : [];
  });
}

/** Same os and architecture; variants must agree only when both name one (`linux/arm64` serves `linux/arm64/v8`). */
function serves(listed: Platform, wanted: Platform): boolean {
  if (listed.os !== wanted.os || listed.architecture !== wanted.architecture) return false;
  return listed.variant === undefined || wanted.variant === undefined || listed.variant === wanted.variant;
}

/**
 * The platforms a node builds without emulation: its pinned (`*`) platforms when it has any (the
 * node the user set up for them, which is also where buildx sends them), else its first listed
 * platform, which BuildKit reports as the host's own before any it runs through qemu/binfmt.
 */
export function nativePlatformsOf(node: BuildxNode): Platform[] {
  return parsed(node.pinned.length > 0 ? node.pinned : node.platforms.slice(0, 1));
}

export interface PlatformPlacement {
  platform: Platform;
  /** `native`: a running node serves it natively; `emulated`: running nodes list it only through emulation; `none`: no running node lists it. */
  served: 'native' | 'emulated' | 'none';
  /** The running nodes that serve it in that way (native ones only, when there are any). */
  nodes: string[];
}

/** For each requested platform, whether and how the builder's running nodes serve it, whatever their order. */
export function placePlatforms(builder: BuildxBuilder, platforms: Platform[]): PlatformPlacement[] {
  const running = builder.nodes.filter((n) => n.status === 'running');
  return platforms.map((platform) => {
    const native = running.filter((n) => nativePlatformsOf(n).some((p) => serves(p, platform)));
    if (native.length > 0) return { platform, served: 'native', nodes: native.map((n) => n.name) };
    const listing = running.filter((n) => parsed(n.platforms).some((p) => serves(p, platform)));
    if (listing.length > 0) return { platform, served: 'emulated', nodes: listing.map((n) => n.name) };
    return { platform, served: 'none', nodes: [] };
  });
}

/** One line per node: `name (endpoint, status): platforms`, pinned ones with their `*`. */
export function describeNodes(builder: BuildxBuilder): string {
  if (builder.nodes.length === 0) return '(no nodes listed)';
  return builder.nodes
    .map((n) => {
      const platforms = n.platforms.map((p) => (n.pinned.includes(p) ? `${p}*` : p)).join(', ') || 'no platforms reported';
      const state = n.error ? `error: ${n.error}` : n.status || 'status unknown';
      return `${n.name} (${[n.endpoint, state].filter(Boolean).join(', ')}): ${platforms}`;
    })
    .join('\n');
}

/** Where a run on this builder sends each platform: the node buildx picks, and whether it emulates. */
export interface BuilderPlacement {
  builder: string;
  driver: string;
  platforms: Array<{ platform: string; node: string | undefined; served: PlatformPlacement['served'] }>;
}

/** The first serving node of each platform is the one buildx sends it to (pinned nodes first, then node order). */
export function builderPlacement(builder: BuildxBuilder, placements: PlatformPlacement[]): BuilderPlacement {
  return {
    builder: builder.name,
    driver: builder.driver,
    platforms: placements.map((p) => ({ platform: formatPlatform(p.platform), node: p.nodes[0], served: p.served })),
  };
}

/** `linux/amd64 on node-a (native), linux/arm64 on node-b (emulated)` */
export function describePlacement(placement: BuilderPlacement): string {
  const each = placement.platforms.map((p) => (p.node === undefined ? `${p.platform}: no node` : `${p.platform} on ${p.node} (${p.served})`));
  return `buildx builder ${placement.builder} (driver ${placement.driver || 'unknown'}): ${each.join(', ')}`;
}
