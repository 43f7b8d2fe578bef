/** The target graph in Graphviz DOT (`meshbuild graph --format dot | dot -Tsvg > graph.svg`). */
import type { TargetEdgeKind, TargetNode, TargetNodeKind, TargetView } from '../graph/target-view.js';

const NODE_STYLE: Record<TargetNodeKind, string> = {
  group: 'shape=ellipse, style=dashed',
  image: 'shape=box3d, style=filled, fillcolor="#dbe8fb"',
  binary: 'shape=box, style="rounded,filled", fillcolor="#e3f4e1"',
  artifact: 'shape=note, style=filled, fillcolor="#fdf1d8"',
  'registry-base': 'shape=cylinder, style=filled, fillcolor="#eeeeee"',
};

const EDGE_STYLE: Record<TargetEdgeKind, string> = {
  input: '',
  base: ' [style=bold, label="FROM"]',
  member: ' [style=dashed, arrowhead=odot]',
};

export function renderDot(view: TargetView): string {
  const lines = [
    'digraph meshbuild {',
    '  // box: Go binary; note: downloaded artifact; box3d: image; cylinder: registry image; ellipse: group.',
    '  // Arrows point the way things flow: into images, from bases, into groups.',
    '  rankdir=LR;',
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  for (const node of view.nodes) lines.push(`  ${dotString(node.id)} [label=${dotString(nodeLabel(node))}, ${NODE_STYLE[node.kind]}];`);
  for (const edge of view.edges) lines.push(`  ${dotString(edge.from)} -> ${dotString(edge.to)}${EDGE_STYLE[edge.kind]};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function nodeLabel(node: TargetNode): string {
  return node.standsFor !== undefined ? `${node.name}\nstands for ${node.standsFor}` : node.name;
}

/** A DOT quoted string: any name or reference is safe as an id or a label. */
function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
