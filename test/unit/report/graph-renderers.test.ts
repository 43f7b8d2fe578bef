/** The target graph's two pictures: golden DOT and Mermaid text for a small view, and names that need escaping. */
import { describe, expect, it } from 'vitest';
import type { TargetView } from '../../../src/graph/target-view.js';
import { renderDot } from '../../../src/report/graph-dot.js';
import { renderMermaid } from '../../../src/report/graph-mermaid.js';

const view: TargetView = {
  nodes: [
    { id: 'group:mesh', kind: 'group', name: 'mesh' },
    { id: 'image:proxy', kind: 'image', name: 'proxy' },
    { id: 'image:base', kind: 'image', name: 'base', standsFor: '{arg:REG}/base:1' },
    { id: 'binary:agent', kind: 'binary', name: 'agent' },
    { id: 'artifact:envoy', kind: 'artifact', name: 'envoy' },
    { id: 'registry:${REG}/tools:"x"#1', kind: 'registry-base', name: '${REG}/tools:"x"#1' },
  ],
  edges: [
    { from: 'binary:agent', to: 'image:proxy', kind: 'input' },
    { from: 'artifact:envoy', to: 'image:proxy', kind: 'input' },
    { from: 'image:base', to: 'image:proxy', kind: 'base' },
    { from: 'registry:${REG}/tools:"x"#1', to: 'image:base', kind: 'base' },
    { from: 'image:proxy', to: 'group:mesh', kind: 'member' },
  ],
};

describe('renderDot', () => {
  it('draws each kind with its own shape, bases bold, membership dashed', () => {
    expect(renderDot(view)).toBe(
      [
        'digraph meshbuild {',
        '  // box: Go binary; note: downloaded artifact; box3d: image; cylinder: registry image; ellipse: group.',
        '  // Arrows point the way things flow: into images, from bases, into groups.',
        '  rankdir=LR;',
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
        '  "group:mesh" [label="mesh", shape=ellipse, style=dashed];',
        '  "image:proxy" [label="proxy", shape=box3d, style=filled, fillcolor="#dbe8fb"];',
        '  "image:base" [label="base\\nstands for {arg:REG}/base:1", shape=box3d, style=filled, fillcolor="#dbe8fb"];',
        '  "binary:agent" [label="agent", shape=box, style="rounded,filled", fillcolor="#e3f4e1"];',
        '  "artifact:envoy" [label="envoy", shape=note, style=filled, fillcolor="#fdf1d8"];',
        '  "registry:${REG}/tools:\\"x\\"#1" [label="${REG}/tools:\\"x\\"#1", shape=cylinder, style=filled, fillcolor="#eeeeee"];',
        '  "binary:agent" -> "image:proxy";',
        '  "artifact:envoy" -> "image:proxy";',
        '  "image:base" -> "image:proxy" [style=bold, label="FROM"];',
        '  "registry:${REG}/tools:\\"x\\"#1" -> "image:base" [style=bold, label="FROM"];',
        '  "image:proxy" -> "group:mesh" [style=dashed, arrowhead=odot];',
        '}',
        '',
      ].join('\n'),
    );
  });
});

describe('renderMermaid', () => {
  it('numbers the nodes, keeps names in quoted labels, and gives each kind a shape and a class', () => {
    expect(renderMermaid(view)).toBe(
      [
        'flowchart LR',
        '  %% rectangle: Go binary; parallelogram: downloaded artifact; double-sided: image; cylinder: registry image; stadium: group',
        '  n0(["mesh"]):::group',
        '  n1[["proxy"]]:::image',
        '  n2[["base<br/>stands for {arg:REG}/base:1"]]:::image',
        '  n3["agent"]:::binary',
        '  n4[/"envoy"/]:::artifact',
        '  n5[("${REG}/tools:#34;x#34;#35;1")]:::registrybase',
        '  n3 --> n1',
        '  n4 --> n1',
        '  n2 ==>|FROM| n1',
        '  n5 ==>|FROM| n2',
        '  n1 -.-> n0',
        '  classDef group fill:#ffffff,stroke-dasharray:4 3',
        '  classDef image fill:#dbe8fb',
        '  classDef binary fill:#e3f4e1',
        '  classDef artifact fill:#fdf1d8',
        '  classDef registrybase fill:#eeeeee',
        '',
      ].join('\n'),
    );
  });

  it('declares only the classes it uses', () => {
    const small: TargetView = { nodes: [{ id: 'binary:a', kind: 'binary', name: 'a' }], edges: [] };
    expect(renderMermaid(small)).toBe(
      'flowchart LR\n  %% rectangle: Go binary; parallelogram: downloaded artifact; double-sided: image; cylinder: registry image; stadium: group\n  n0["a"]:::binary\n  classDef binary fill:#e3f4e1\n',
    );
  });
});
