#!/usr/bin/env node
// Writes a wide build graph for benchmarks: N images (default 30), each holding its own Go binary
// (standard library only), for four platforms. Usage:
//   node scripts/gen-wide-graph.mjs DIR [--images N] [--platforms linux/amd64,linux/arm64,...]
// It writes DIR/targets/ (the targets folder) and DIR/source/ (the Go module and Dockerfiles) and
// prints, as its last line, the arguments that build it:
//   --targets DIR/targets --source DIR/source
// Also importable: `import { writeWideGraph } from './gen-wide-graph.mjs'`, which returns
// { targets, source, images, platforms }.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WIDE_PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/ppc64le', 'linux/s390x'];

/** Writes the graph under `dir`; the same arguments always give the same files. */
export async function writeWideGraph(dir, { images = 30, platforms = WIDE_PLATFORMS } = {}) {
  const root = path.resolve(dir);
  const targets = path.join(root, 'targets');
  const source = path.join(root, 'source');
  const names = Array.from({ length: images }, (_, i) => `svc${String(i + 1).padStart(2, '0')}`);
  await mkdir(targets, { recursive: true });
  await mkdir(path.join(source, 'docker'), { recursive: true });
  await writeFile(path.join(source, 'go.mod'), 'module wide.example\n\ngo 1.19\n');
  await mkdir(path.join(source, 'internal', 'greet'), { recursive: true });
  await writeFile(
    path.join(source, 'internal', 'greet', 'greet.go'),
    'package greet\n\nimport "fmt"\n\n// Line is what every service prints.\nfunc Line(name string) string { return fmt.Sprintf("%s is up", name) }\n',
  );
  const lines = [
    '# A generated wide graph (scripts/gen-wide-graph.mjs): one image per service, each with its own binary.',
    'defaults:',
    `  platforms: [${platforms.join(', ')}]`,
    '  variants: [default]',
    'binaries:',
  ];
  for (const name of names) {
    await mkdir(path.join(source, 'cmd', name), { recursive: true });
    await writeFile(
      path.join(source, 'cmd', name, 'main.go'),
      `package main\n\nimport (\n\t"fmt"\n\n\t"wide.example/internal/greet"\n)\n\nfunc main() { fmt.Println(greet.Line("${name}")) }\n`,
    );
    await writeFile(
      path.join(source, 'docker', `Dockerfile.${name}`),
      `FROM scratch\nARG TARGETARCH\nCOPY \${TARGETARCH}/${name} /usr/local/bin/${name}\nUSER 1000:1000\nENTRYPOINT ["/usr/local/bin/${name}"]\n`,
    );
    lines.push(`  ${name}: { package: ./cmd/${name} }`);
  }
  lines.push('images:');
  for (const name of names) lines.push(`  ${name}:`, `    dockerfile: { source: docker/Dockerfile.${name} }`, `    binaries: [${name}]`);
  lines.push('groups:', `  all: [${names.join(', ')}]`, '');
  await writeFile(path.join(targets, 'wide.yaml'), lines.join('\n'));
  return { targets, source, images: names, platforms };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, ...rest] = process.argv.slice(2);
  if (!dir || dir.startsWith('-')) {
    console.error('usage: node scripts/gen-wide-graph.mjs DIR [--images N] [--platforms p1,p2,...]');
    process.exit(2);
  }
  const option = (name) => {
    const at = rest.indexOf(name);
    return at >= 0 ? rest[at + 1] : undefined;
  };
  const images = option('--images') !== undefined ? Number(option('--images')) : undefined;
  if (images !== undefined && !(Number.isInteger(images) && images > 0)) {
    console.error('gen-wide-graph: --images takes a positive whole number');
    process.exit(2);
  }
  const platforms = option('--platforms')?.split(',');
  const graph = await writeWideGraph(dir, { ...(images ? { images } : {}), ...(platforms ? { platforms } : {}) });
  console.log(`--targets ${graph.targets} --source ${graph.source}`);
}
