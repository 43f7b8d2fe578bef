/**
 * The target graph as a Mermaid flowchart (GitHub renders it in Markdown): one shape per kind,
 * bases as thick arrows, group membership dotted.
 */
import type { TargetEdgeKind, TargetNodeKind, TargetView } from '../graph/target-view.js';

/** Opening and closing brackets of each kind's shape. */
const SHAPES: Record<TargetNodeKind, [string, string]> = {
  group: ['([', '])'],
  image: ['[[', ']]'],
  binary: ['[', ']'],
  artifact: ['[/', '/]'],
  'registry-base': ['[(', ')]'],
};

const ARROWS: Record<TargetEdgeKind, string> = { input: '-->', base: '==>|FROM|', member: '-.->' };

const CLASSES: Record<TargetNodeKind, string> = {
  group: 'fill:#ffffff,stroke-dasharray:4 3',
  image: 'fill:#dbe8fb',
  binary: 'fill:#e3f4e1',
  artifact: 'fill:#fdf1d8',
  'registry-base': 'fill:#eeeeee',
};

export function renderMermaid(view: TargetView): string {
  // Mermaid ids are words: number the nodes, and keep names in quoted labels.
  const ids = new Map(view.nodes.map((node, index) => [node.id, `n${index}`]));
  const lines = [
    'flowchart LR',
    '  %% rectangle: Go binary; parallelogram: downloaded artifact; double-sided: image; cylinder: registry image; stadium: group',
  ];
  for (const node of view.nodes) {
    const [open, close] = SHAPES[node.kind];
    const label = node.standsFor !== undefined ? `${mermaidText(node.name)}<br/>stands for ${mermaidText(node.standsFor)}` : mermaidText(node.name);
    lines.push(`  ${ids.get(node.id)!}${open}"${label}"${close}:::${className(node.kind)}`);
  }
  for (const edge of view.edges) lines.push(`  ${ids.get(edge.from)!} ${ARROWS[edge.kind]} ${ids.get(edge.to)!}`);
  for (const kind of Object.keys(CLASSES) as TargetNodeKind[]) {
    if (view.nodes.some((node) => node.kind === kind)) lines.push(`  classDef ${className(kind)} ${CLASSES[kind]}`);
  }
  return `${lines.join('\n')}\n`;
}

function className(kind: TargetNodeKind): string {
  return kind.replace('-', '');
}

/** Inside a quoted Mermaid label `"` ends it, `#` starts an entity and `<` a tag: write them as entities. */
function mermaidText(text: string): string {
  return text.replace(/[#"<>]/g, (char) => `#${char.charCodeAt(0)};`);
}
