/**
 * The target graph as plain nodes and edges, for pictures (`meshbuild graph`): groups, images,
 * binaries, artifacts, and the registry images that Dockerfiles start FROM. Edges point the way
 * things flow: a binary into its image, a base into the images built on it, a member into its group.
 */
import { expandVariables, splitWords, type DockerfileInstruction } from '../image/dockerfile.js';
import { dockerfileNamesStandIn, fromLineArgs } from '../image/stands-for.js';
import { baseImagesOf, type Graph, type ImageNode } from './graph.js';
import { selectTargets } from './select.js';

export type TargetNodeKind = 'group' | 'image' | 'binary' | 'artifact' | 'registry-base';

export interface TargetNode {
  /** `kind:name`; for a registry base, `registry:<reference as written>`. */
  id: string;
  kind: TargetNodeKind;
  name: string;
  /** An image that stands in for a registry reference (`standsFor`) shows it. */
  standsFor?: string;
}

export type TargetEdgeKind = 'input' | 'base' | 'member';

export interface TargetEdge {
  from: string;
  to: string;
  kind: TargetEdgeKind;
}

export interface TargetView {
  nodes: TargetNode[];
  edges: TargetEdge[];
}

/**
 * The part of the graph `names` need (as `meshbuild build` reads names: a group, an image, or
 * `binary:`/`artifact:` a file), or the whole graph when `names` is empty. Images whose Dockerfile
 * the source tree lacks are left out; asking for one by name is the same error as building it.
 */
export function targetView(graph: Graph, names: readonly string[]): TargetView {
  const wanted = names.length === 0 ? wholeGraph(graph) : closureOf(graph, names);
  const nodes: TargetNode[] = [];
  const edges: TargetEdge[] = [];
  const registryBases = new Set<string>();

  for (const name of wanted.groups) nodes.push({ id: `group:${name}`, kind: 'group', name });
  for (const name of wanted.images) {
    const image = graph.images.get(name)!;
    nodes.push({ id: imageId(name), kind: 'image', name, ...(image.standsFor !== undefined ? { standsFor: image.standsFor } : {}) });
    for (const input of image.inputs) edges.push({ from: `${input.kind}:${input.name}`, to: imageId(name), kind: 'input' });
    for (const base of image.bases) edges.push({ from: imageId(base.name), to: imageId(name), kind: 'base' });
    for (const reference of registryBasesOf(graph, image)) {
      registryBases.add(reference);
      edges.push({ from: registryId(reference), to: imageId(name), kind: 'base' });
    }
  }
  for (const name of wanted.files) {
    const kind = graph.fileTargets.get(name)!.kind;
    nodes.push({ id: `${kind}:${name}`, kind, name });
  }
  for (const reference of [...registryBases].sort()) nodes.push({ id: registryId(reference), kind: 'registry-base', name: reference });
  for (const name of wanted.groups) {
    for (const member of graph.groups.get(name)!.members) {
      const node = memberNode(graph, member.name, nodes);
      if (node) edges.push({ from: node.id, to: `group:${name}`, kind: 'member' });
    }
  }
  // An image's base whose Dockerfile the source lacks has no node: no edge dangles.
  const ids = new Set(nodes.map((node) => node.id));
  return { nodes, edges: edges.filter((edge) => ids.has(edge.from) && ids.has(edge.to)) };
}

interface Wanted {
  groups: string[];
  images: string[];
  files: string[];
}

function wholeGraph(graph: Graph): Wanted {
  return { groups: [...graph.groups.keys()], images: [...graph.images.keys()], files: [...graph.fileTargets.keys()] };
}

function closureOf(graph: Graph, names: readonly string[]): Wanted {
  // Resolution, its errors and suggestions are build's own: the picture shows what `build` would.
  const selection = selectTargets(graph, names);
  const images = new Set<string>();
  for (const name of selection.images) {
    for (const base of baseImagesOf(graph, graph.images.get(name)!)) images.add(base.name);
    images.add(name);
  }
  const files = new Set(selection.files);
  for (const name of images) for (const input of graph.images.get(name)!.inputs) files.add(input.name);
  const groups = new Set<string>();
  const addGroup = (name: string) => {
    if (groups.has(name)) return;
    groups.add(name);
    for (const member of graph.groups.get(name)!.members) if (graph.groups.has(member.name)) addGroup(member.name);
  };
  for (const text of names) {
    // A bare name is a group first, as selectTargets reads it.
    const name = text.startsWith('group:') ? text.slice('group:'.length) : text;
    if (graph.groups.has(name)) addGroup(name);
  }
  const inOrder = <T>(all: Iterable<T>, chosen: Set<T>) => [...all].filter((item) => chosen.has(item));
  return { groups: inOrder(graph.groups.keys(), groups), images: inOrder(graph.images.keys(), images), files: inOrder(graph.fileTargets.keys(), files) };
}

/** What a group member names: a group, else an image, else a file, as selection reads it. */
function memberNode(graph: Graph, text: string, nodes: TargetNode[]): TargetNode | undefined {
  const [prefix, name] = text.includes(':') ? (text.split(/:(.*)/s) as [string, string]) : [undefined, text];
  const order: TargetNodeKind[] = prefix === undefined ? ['group', 'image', 'binary', 'artifact'] : [prefix as TargetNodeKind];
  for (const kind of order) {
    const node = nodes.find((n) => n.kind === kind && n.name === name);
    if (node) return node;
  }
  return undefined;
}

/**
 * FROM lines that name neither an earlier stage, `scratch`, an image of the graph, nor a
 * reference an image of the graph stands in for: images pulled from a registry, as written.
 */
function registryBasesOf(graph: Graph, image: ImageNode): string[] {
  const args = fromLineArgs(image.parsedDockerfile, image.args);
  const stages = new Set<string>();
  const found: string[] = [];
  for (const instruction of image.parsedDockerfile.instructions) {
    if (instruction.keyword !== 'FROM') continue;
    const words = splitWords(instruction.text);
    const written = words[0];
    if (written === undefined) continue;
    const expanded = expandVariables(written, args).toLowerCase();
    const inGraph = image.bases.some((base) => base.name === written || isStandInLine(graph, base.name, instruction));
    if (!inGraph && !stages.has(expanded) && expanded !== 'scratch' && !found.includes(written)) found.push(written);
    if (words[1]?.toLowerCase() === 'as' && words[2] !== undefined) stages.add(words[2].toLowerCase());
  }
  return found;
}

function isStandInLine(graph: Graph, baseName: string, instruction: DockerfileInstruction): boolean {
  const base = graph.images.get(baseName);
  if (base?.standsFor === undefined) return false;
  return dockerfileNamesStandIn({ file: '', directives: {}, escape: '\\', instructions: [instruction] }, base.standsFor);
}

function imageId(name: string): string {
  return `image:${name}`;
}

function registryId(reference: string): string {
  return `registry:${reference}`;
}
