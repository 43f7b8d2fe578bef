/**
 * Turns what a user typed (`pilot`, `all`, `binary:istioctl`) into the images and files to build.
 * A bare name tries group, then image, then binary/artifact: Istio names an image after its
 * binary (istioctl, install-cni), and asking for it by name means the image.
 */
import { usageError } from '../errors.js';
import type { Graph } from './graph.js';
import { closestNames } from './suggest.js';

export interface Selection {
  /** Image names, in the order first asked for. */
  images: string[];
  /** Binaries/artifacts asked for by themselves (their extra platforms are built too). */
  files: string[];
}

const KINDS = ['group', 'image', 'binary', 'artifact'] as const;

export function selectTargets(graph: Graph, names: readonly string[]): Selection {
  const selection: Selection = { images: [], files: [] };
  const addImage = (name: string) => {
    const image = graph.images.get(name)!;
    for (const base of image.bases) {
      const missing = graph.unavailable.get(base.name);
      if (missing) throw missing;
    }
    if (!selection.images.includes(name)) selection.images.push(name);
  };
  const addFile = (name: string) => {
    if (!selection.files.includes(name)) selection.files.push(name);
  };
  const expandGroup = (name: string, seen: Set<string>) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const member of graph.groups.get(name)!.members) resolve(member.name, seen);
  };
  const resolve = (text: string, seen: Set<string>) => {
    const [prefix, rest] = text.includes(':') ? (text.split(/:(.*)/s) as [string, string]) : [undefined, text];
    if (prefix !== undefined && !(KINDS as readonly string[]).includes(prefix)) {
      throw usageError(`"${text}": unknown kind "${prefix}"`, { hint: `prefix a name with one of ${KINDS.join(':, ')}: or give it bare` });
    }
    const name = rest;
    if ((prefix === undefined || prefix === 'group') && graph.groups.has(name)) return expandGroup(name, seen);
    if ((prefix === undefined || prefix === 'image') && graph.images.has(name)) return addImage(name);
    const missing = prefix === undefined || prefix === 'image' ? graph.unavailable.get(name) : undefined;
    if (missing) throw missing;
    const file = graph.fileTargets.get(name);
    if (file && (prefix === undefined || prefix === file.kind)) return addFile(name);
    const close = closestNames(name, namesOfKind(graph, prefix));
    throw usageError(`no ${prefix ?? 'target'} named "${name}" in the targets`, {
      hint: close.length ? `did you mean ${close.join(', ')}? ("meshbuild list" shows every target)` : '"meshbuild list" shows every target',
    });
  };
  for (const name of names) resolve(name, new Set());
  return selection;
}

/** The names a `kind:` prefix can select (every name when there is none). */
function namesOfKind(graph: Graph, kind: string | undefined): string[] {
  const files = [...graph.fileTargets.values()].filter((f) => kind === undefined || f.kind === kind).map((f) => f.name);
  return [
    ...(kind === undefined || kind === 'group' ? graph.groups.keys() : []),
    ...(kind === undefined || kind === 'image' ? graph.images.keys() : []),
    ...files,
  ];
}
