/**
 * Named rules over all targets files together, run after the schema: each returns diagnostics
 * (never throws), so one run reports every duplicate, dangling reference and cycle.
 */
import { formatLocation, type Diagnostic, type SourceLocation } from '../errors.js';
import type { TargetSpec } from './model.js';

/**
 * Binaries and artifacts share one namespace (both become `out/<os>_<arch>/<name>`); images have
 * their own (Istio names an image after its binary: istioctl); groups may clash with neither.
 */
export type Namespace = 'file' | 'image' | 'group';

export function namespaceOf(spec: TargetSpec): Namespace {
  return spec.kind === 'binary' || spec.kind === 'artifact' ? 'file' : spec.kind;
}

export function targetKey(namespace: Namespace, name: string): string {
  return `${namespace}:${name}`;
}

/** The same name declared twice in one layer (the overlay may replace the graph's, on purpose). */
export function duplicateNames(specs: TargetSpec[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const seen = new Map<string, TargetSpec>();
  for (const spec of specs) {
    const keys = [targetKey(namespaceOf(spec), spec.name)];
    if (spec.kind === 'group') keys.push(targetKey('image', spec.name), targetKey('file', spec.name));
    else keys.push(targetKey('group', spec.name));
    const clash = keys.map((k) => seen.get(k)).find((s) => s !== undefined && s.layer === spec.layer);
    if (clash) {
      diagnostics.push({
        message: `duplicate name "${spec.name}": ${describe(spec)} clashes with ${describe(clash)} declared at ${formatLocation(clash.location)}; rename one of them`,
        location: spec.location,
      });
      continue;
    }
    seen.set(targetKey(namespaceOf(spec), spec.name), spec);
  }
  return diagnostics;
}

/** Names an image, group or default refers to that nothing declares. */
export function unknownReferences(targets: Map<string, TargetSpec>): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const missing = (name: string, location: SourceLocation, what: string, namespaces: Namespace[]) => {
    if (namespaces.some((ns) => targets.has(targetKey(ns, name)))) return;
    const known = [...targets.values()].filter((t) => namespaces.includes(namespaceOf(t))).map((t) => t.name);
    const close = known.filter((k) => k.includes(name) || name.includes(k)).slice(0, 3);
    diagnostics.push({
      message: `${what} "${name}" is not declared in any targets file${close.length ? ` (did you mean ${close.join(', ')}?)` : ''}`,
      location,
    });
  };
  for (const spec of targets.values()) {
    if (spec.kind === 'image') {
      for (const ref of [...spec.binaries, ...spec.artifacts]) missing(ref.name, ref.location, `image "${spec.name}" uses binary or artifact`, ['file']);
      for (const ref of spec.bases) missing(ref.name, ref.location, `image "${spec.name}" is based on image`, ['image']);
    } else if (spec.kind === 'group') {
      for (const ref of spec.members) missing(ref.name, ref.location, `group "${spec.name}" lists target`, ['group', 'image', 'file']);
    }
  }
  return diagnostics;
}

/** Cycles through image bases and nested groups; the message lists every edge with its location. */
export function cycles(targets: Map<string, TargetSpec>): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const edgesOf = (spec: TargetSpec): Array<{ to: TargetSpec; at: SourceLocation }> => {
    const refs =
      spec.kind === 'image'
        ? spec.bases.map((b) => ({ key: targetKey('image', b.name), at: b.location }))
        : spec.kind === 'group'
          ? spec.members.map((m) => ({ key: targetKey('group', m.name), at: m.location }))
          : [];
    return refs.flatMap((r) => {
      const to = targets.get(r.key);
      return to ? [{ to, at: r.at }] : [];
    });
  };
  const state = new Map<TargetSpec, 'visiting' | 'done'>();
  const path: Array<{ spec: TargetSpec; at?: SourceLocation }> = [];
  const reported = new Set<string>();
  const visit = (spec: TargetSpec, at?: SourceLocation) => {
    if (state.get(spec) === 'done') return;
    if (state.get(spec) === 'visiting') {
      const start = path.findIndex((p) => p.spec === spec);
      const loop = [...path.slice(start), { spec, at }];
      const key = loop
        .map((p) => p.spec.name)
        .sort()
        .join(',');
      if (reported.has(key)) return;
      reported.add(key);
      const edges = loop.slice(1).map((p, i) => `  ${loop[i]!.spec.name} -> ${p.spec.name} (${formatLocation(p.at!)})`);
      diagnostics.push({
        message: `cycle: ${loop.map((p) => p.spec.name).join(' -> ')}\n${edges.join('\n')}\nremove one of these references`,
        location: loop[1]!.at!,
      });
      return;
    }
    state.set(spec, 'visiting');
    path.push({ spec, at });
    for (const edge of edgesOf(spec)) visit(edge.to, edge.at);
    path.pop();
    state.set(spec, 'done');
  };
  for (const spec of targets.values()) visit(spec);
  return diagnostics;
}

function describe(spec: TargetSpec): string {
  return `${spec.kind} "${spec.name}"`;
}
