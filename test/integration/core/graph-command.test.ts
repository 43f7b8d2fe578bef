/**
 * `meshbuild graph --format dot` rendered by the real Graphviz (`dot -Tsvg`), for the bundled
 * sample and for an Istio-shaped checkout (registry bases, downloaded artifacts); and the
 * Mermaid output's shape for a named target.
 */
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, runSpawnedCli, STACK_FRAME } from '../../support/cli.js';
import { istioLikeCheckout } from '../../support/istio-checkout.js';

beforeAll(async () => {
  const dot = await execa('dot', ['-V'], { reject: false });
  if (dot.exitCode !== 0) throw new Error('Graphviz is not installed: apt-get install -y graphviz (scripts/env-up installs it)');
});

/** Renders DOT text with Graphviz; returns the SVG, failing on any error or warning Graphviz prints. */
async function renderSvg(dotText: string): Promise<string> {
  const rendered = await execa('dot', ['-Tsvg'], { input: dotText, reject: false });
  expect(rendered.stderr, 'Graphviz warnings').toBe('');
  expect(rendered.exitCode).toBe(0);
  return rendered.stdout;
}

/** Node ids in Graphviz's SVG: each node is a group titled with its id. */
function svgNodeTitles(svg: string): string[] {
  return [...svg.matchAll(/<g id="node\d+" class="node">\s*<title>([^<]*)<\/title>/g)].map((m) => m[1]!.replace(/&#45;/g, '-').replace(/&quot;/g, '"'));
}

describe('meshbuild graph --format dot | dot -Tsvg', () => {
  it('renders the whole sample graph: every group, image and binary a node', async () => {
    const result = await runSpawnedCli(['graph', '--format', 'dot']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    const svg = await renderSvg(result.stdout);
    expect(svg).toMatch(/^<\?xml/);
    const titles = svgNodeTitles(svg);
    for (const id of ['group:all', 'image:pilot', 'image:proxyv2', 'image:base', 'binary:pilot-discovery', 'binary:envoy']) expect(titles).toContain(id);
  });

  it("renders an Istio checkout's proxyv2: its artifact and the registry images its Dockerfile starts from", async () => {
    const source = istioLikeCheckout({ deps: false, makefile: false });
    const result = await runCli(['graph', 'proxyv2', '--format', 'dot', '--source', source]);
    expect(result.exitCode, result.stderr).toBe(0);
    const titles = svgNodeTitles(await renderSvg(result.stdout));
    expect(titles.sort()).toEqual(
      [
        'image:proxyv2',
        'binary:pilot-agent',
        'artifact:envoy',
        'registry:${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION}',
        'registry:${ISTIO_BASE_REGISTRY}/iptables:${BASE_VERSION}',
      ].sort(),
    );
  });
});

describe('meshbuild graph (Mermaid)', () => {
  it('prints a flowchart of the named target by default, and refuses an unknown name with exit 2', async () => {
    const result = await runCli(['graph', 'pilot']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('flowchart LR');
    expect(result.stdout).toContain('[["pilot"]]:::image');
    expect(result.stdout).toContain('==>|FROM|');
    expect(result.stdout).not.toContain('proxyv2');

    const unknown = await runCli(['graph', 'pilto']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/pilto/);
    expect(unknown.stdout).toBe('');
  });
});
