/**
 * Hostile targets files, through the real CLI (`meshbuild plan`, in this process): every kind of
 * path a targets file names (files `path:`, `source:`, `to:`, `dockerfile:`, artifact `path:` and
 * `fileName:`, binary `package:`), written absolute, climbing out with `..`, or through a symlink
 * that leads out, in the graph and in the source's `meshbuild.yaml` overlay. Each one is exit 2 at
 * the file:line of the value, says what is wrong, and shows no stack trace. Each case gets its own
 * world in a temp folder: `outside/` (the build machine's files), `repo/targets` + `repo/Dockerfiles`
 * (the graph; its root is `repo/`) and `src/` (the source tree).
 */
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STACK_FRAME, runCli } from '../../support/cli.js';
import { useTempDirs } from './files.js';

const tempDir = useTempDirs('meshbuild-hostile-');

interface World {
  outside: string;
  targets: string;
  source: string;
}

async function makeWorld(): Promise<World> {
  const dir = await tempDir();
  const outside = path.join(dir, 'outside');
  const repo = path.join(dir, 'repo');
  const source = path.join(dir, 'src');
  for (const folder of [
    outside,
    path.join(outside, 'pkg'),
    path.join(repo, 'targets'),
    path.join(repo, 'Dockerfiles'),
    path.join(repo, 'files'),
    path.join(repo, 'links'),
    path.join(source, 'conf'),
    path.join(source, 'cmd', 'ok'),
  ]) {
    await mkdir(folder, { recursive: true });
  }
  await writeFile(path.join(outside, 'secret.txt'), 'a CI runner secret\n');
  await writeFile(path.join(outside, 'x.Dockerfile'), 'FROM scratch\n');
  await writeFile(path.join(repo, 'Dockerfiles', 'app.Dockerfile'), 'FROM scratch\n');
  await writeFile(path.join(repo, 'files', 'ok.txt'), 'fine\n');
  await writeFile(path.join(source, 'conf', 'ok.txt'), 'fine\n');
  await writeFile(path.join(source, 'app.Dockerfile'), 'FROM scratch\n');
  await symlink(path.join(outside, 'secret.txt'), path.join(repo, 'links', 'secret'));
  await symlink(path.join(outside, 'x.Dockerfile'), path.join(repo, 'links', 'x.Dockerfile'));
  await symlink('../outside/secret.txt', path.join(source, 'leak'));
  await symlink('../outside/pkg', path.join(source, 'pkglink'));
  await symlink('../outside/x.Dockerfile', path.join(source, 'leak.Dockerfile'));
  await symlink('ok.txt', path.join(source, 'conf', 'alias'));
  return { outside, targets: path.join(repo, 'targets'), source };
}

/** How meshbuild names a file in messages: relative to where it runs, unless that climbs out. */
const shown = (file: string) => (path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file));

const image = (lines: string) => `images:\n  app:\n    dockerfile: ../Dockerfiles/app.Dockerfile\n    files:\n${lines}\n`;
const overlayImage = (lines: string) => `images:\n  app:\n    dockerfile: app.Dockerfile\n    files:\n${lines}\n`;
const artifact = (lines: string) => `artifacts:\n  tool:\n${lines}\n`;
const binary = (pkg: string) => `binaries:\n  tool:\n    package: ${pkg}\n`;

interface HostileCase {
  name: string;
  /** The file's text; `OUT` stands for the absolute path of outside/. */
  yaml: string;
  /** Text on the line the error must point at. */
  at: string;
  message: RegExp;
}

const BENIGN_GRAPH = 'binaries:\n  ok:\n    package: ./cmd/ok\n';

/** In the graph (`repo/targets/case.yaml`): the root is `repo/`. */
const GRAPH_CASES: HostileCase[] = [
  {
    name: 'files path: absolute',
    yaml: image('      - { path: OUT/secret.txt, to: secret }'),
    at: 'OUT/secret.txt',
    message: /path of a file of image "app" ".*secret.txt" is an absolute path/,
  },
  {
    name: 'files path: .. out of the root',
    yaml: image('      - { path: ../../../../../etc/passwd, to: passwd }'),
    at: '../etc/passwd',
    message: /path of a file of image "app" "(\.\.\/)+etc\/passwd" leads outside the folder above the targets folder/,
  },
  {
    name: 'files path: symlink out',
    yaml: image('      - { path: ../links/secret, to: secret }'),
    at: '../links/secret',
    message: /file of image "app" .*links\/secret leads outside the folder above the targets folder .* through a symlink/,
  },
  {
    name: 'files source: absolute',
    yaml: image('      - { source: OUT/secret.txt, to: secret }'),
    at: 'OUT/secret.txt',
    message: /source of a file of image "app" ".*" is an absolute path/,
  },
  {
    name: 'files source: .. out of the source',
    yaml: image('      - { source: ../outside/secret.txt, to: secret }'),
    at: '../outside',
    message: /source of a file of image "app" "\.\.\/outside\/secret.txt" leads outside the source tree/,
  },
  {
    name: 'files source: symlink out',
    yaml: image('      - { source: leak, to: secret }'),
    at: 'source: leak',
    message: /source file of image "app" .*leak leads outside the source tree .* through a symlink/,
  },
  {
    name: 'files to: absolute',
    yaml: image('      - { path: ../files/ok.txt, to: /etc/passwd }'),
    at: 'to: /etc/passwd',
    message: /"to" of a file of image "app" must be a relative path inside the build context/,
  },
  {
    name: 'files to: ..',
    yaml: image('      - { path: ../files/ok.txt, to: ../../x }'),
    at: 'to: ../../x',
    message: /"to" of a file of image "app" must be a relative path inside the build context/,
  },
  {
    name: 'dockerfile: absolute',
    yaml: 'images:\n  app:\n    dockerfile: OUT/x.Dockerfile\n',
    at: 'dockerfile:',
    message: /dockerfile of image "app" ".*x.Dockerfile" is an absolute path/,
  },
  {
    name: 'dockerfile: .. out of the root',
    yaml: 'images:\n  app:\n    dockerfile: ../../outside/x.Dockerfile\n',
    at: 'dockerfile:',
    message: /dockerfile of image "app" "\.\.\/\.\.\/outside\/x.Dockerfile" leads outside/,
  },
  {
    name: 'dockerfile: symlink out',
    yaml: 'images:\n  app:\n    dockerfile: ../links/x.Dockerfile\n',
    at: 'dockerfile:',
    message: /dockerfile of image "app" .*links\/x.Dockerfile leads outside .* through a symlink/,
  },
  {
    name: 'artifact path: absolute',
    yaml: artifact('    path: OUT/secret.txt'),
    at: 'path:',
    message: /path of artifact "tool" ".*secret.txt" is an absolute path/,
  },
  {
    name: 'artifact path: .. out of the root',
    yaml: artifact('    path: ../../outside/secret.txt'),
    at: 'path:',
    message: /path of artifact "tool" "\.\.\/\.\.\/outside\/secret.txt" leads outside/,
  },
  {
    name: 'artifact path: .. in a template',
    yaml: artifact('    path: ../../outside/{arch}/secret.txt'),
    at: 'path:',
    message: /path of artifact "tool" .* leads outside/,
  },
  {
    name: 'artifact path: symlink out',
    yaml: artifact('    path: ../links/secret'),
    at: 'path:',
    message: /path of artifact "tool" .*links\/secret leads outside .* through a symlink/,
  },
  {
    name: 'artifact fileName: ../../x',
    yaml: artifact('    path: ../files/ok.txt\n    fileName: ../../x'),
    at: 'fileName:',
    message: /fileName "\.\.\/\.\.\/x" of artifact "tool" must be one file name/,
  },
  {
    name: 'artifact fileName: a/b',
    yaml: artifact('    path: ../files/ok.txt\n    fileName: bin/tool'),
    at: 'fileName:',
    message: /fileName "bin\/tool" of artifact "tool" must be one file name/,
  },
  {
    name: 'artifact fileName: ..',
    yaml: artifact('    path: ../files/ok.txt\n    fileName: ".."'),
    at: 'fileName:',
    message: /fileName "\.\." of artifact "tool" must be a file name/,
  },
  {
    name: 'binary package: .. out of the source',
    yaml: binary('./../outside/pkg'),
    at: 'package:',
    message: /package of binary "tool" "\.\/\.\.\/outside\/pkg" leads outside the source tree/,
  },
  {
    name: 'binary package: absolute',
    yaml: binary('/etc'),
    at: 'package:',
    message: /package of binary "tool" must be a path inside the source tree starting with \.\//,
  },
  {
    name: 'binary package: symlink out',
    yaml: binary('./pkglink'),
    at: 'package:',
    message: /package of binary "tool" .*pkglink leads outside the source tree .* through a symlink/,
  },
];

/** In `src/meshbuild.yaml`: the root is the source tree, even where the graph's root would allow it. */
const OVERLAY_CASES: HostileCase[] = [
  {
    name: 'files path: .. out of the source',
    yaml: overlayImage('      - { path: ../outside/secret.txt, to: secret }'),
    at: '../outside',
    message: /path of a file of image "app" "\.\.\/outside\/secret.txt" leads outside the source tree/,
  },
  {
    name: "files path: into the graph's folder",
    yaml: overlayImage('      - { path: ../repo/files/ok.txt, to: ok }'),
    at: '../repo',
    message: /leads outside the source tree/,
  },
  { name: 'files path: absolute', yaml: overlayImage('      - { path: OUT/secret.txt, to: secret }'), at: 'OUT/secret.txt', message: /is an absolute path/ },
  {
    name: 'files path: symlink out',
    yaml: overlayImage('      - { path: leak, to: secret }'),
    at: 'path: leak',
    message: /file of image "app" .*leak leads outside the source tree .* through a symlink/,
  },
  {
    name: 'dockerfile: ..',
    yaml: 'images:\n  app:\n    dockerfile: ../repo/Dockerfiles/app.Dockerfile\n',
    at: 'dockerfile:',
    message: /dockerfile of image "app" .* leads outside the source tree/,
  },
  {
    name: 'dockerfile: symlink out',
    yaml: 'images:\n  app:\n    dockerfile: leak.Dockerfile\n',
    at: 'dockerfile:',
    message: /dockerfile of image "app" .* leads outside the source tree .* through a symlink/,
  },
  { name: 'artifact path: absolute', yaml: artifact('    path: OUT/secret.txt'), at: 'path:', message: /is an absolute path/ },
  {
    name: 'artifact path: symlink out',
    yaml: artifact('    path: leak'),
    at: 'path:',
    message: /path of artifact "tool" .*leak leads outside the source tree .* through a symlink/,
  },
  { name: 'artifact fileName: ../../x', yaml: artifact('    path: conf/ok.txt\n    fileName: ../../x'), at: 'fileName:', message: /must be one file name/ },
  { name: 'binary package: symlink out', yaml: binary('./pkglink'), at: 'package:', message: /through a symlink/ },
];

async function planCase(world: World, file: string, yaml: string) {
  const text = yaml.replaceAll('OUT', world.outside);
  await writeFile(file, text);
  const lines = text.split('\n');
  const result = await runCli(['plan', '--targets', world.targets, '--source', world.source, '--tag', 't']);
  return { result, lines };
}

function expectRefusedAt(result: Awaited<ReturnType<typeof runCli>>, file: string, line: number, message: RegExp): void {
  expect(result.exitCode, result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  const first = result.stderr.split('\n')[0]!;
  expect(first.startsWith(`error: ${shown(file)}:${line}:`), `${first}\nshould point at line ${line}`).toBe(true);
  expect(first).toMatch(message);
  expect(result.stderr).toMatch(/^hint: fix the targets file/m);
  expect(result.stderr).not.toMatch(STACK_FRAME);
  expect(result.stderr).not.toMatch(/Internal error/);
}

describe('hostile targets files are refused at file:line (exit 2)', () => {
  it.each(GRAPH_CASES)('graph, $name', async (hostile) => {
    const world = await makeWorld();
    const file = path.join(world.targets, 'case.yaml');
    const { result, lines } = await planCase(world, file, hostile.yaml);
    const line = lines.findIndex((l) => l.includes(hostile.at.replaceAll('OUT', world.outside))) + 1;
    expectRefusedAt(result, file, line, hostile.message);
  });

  it.each(OVERLAY_CASES)('source overlay, $name', async (hostile) => {
    const world = await makeWorld();
    await writeFile(path.join(world.targets, 'graph.yaml'), BENIGN_GRAPH);
    const file = path.join(world.source, 'meshbuild.yaml');
    const { result, lines } = await planCase(world, file, hostile.yaml);
    const line = lines.findIndex((l) => l.includes(hostile.at.replaceAll('OUT', world.outside))) + 1;
    expectRefusedAt(result, file, line, hostile.message);
  });

  it('paths that stay inside their roots (a symlink inside included) are accepted', async () => {
    const world = await makeWorld();
    await writeFile(
      path.join(world.targets, 'graph.yaml'),
      `groups:\n  all: [ok, tool, app, app2]\n${BENIGN_GRAPH}${artifact('    path: ../files/ok.txt\n    fileName: tool.bin')}${image('      - { path: ../files/ok.txt, to: etc/ok.txt }\n      - { source: conf/alias, to: alias }\n      - { source: conf, to: conf }')}`,
    );
    await writeFile(path.join(world.source, 'meshbuild.yaml'), overlayImage('      - { path: conf/ok.txt, to: ok }').replace('  app:', '  app2:'));
    const result = await runCli(['plan', '--targets', world.targets, '--source', world.source, '--tag', 't']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });
});

describe('checked again where the file is used', () => {
  it('an artifact path whose {env:NAME} leads out is refused when fetched (exit 2, nothing written)', async () => {
    const world = await makeWorld();
    await writeFile(path.join(world.targets, 'graph.yaml'), artifact('    path: ../files/{env:MESHBUILD_TEST_LOCAL}'));
    const out = path.join(await tempDir(), 'out');
    const result = await runCli(
      ['build', 'artifact:tool', '--binaries-only', '--platforms', 'amd64', '--targets', world.targets, '--source', world.source, '--tag', 't', '--out', out],
      {
        env: { MESHBUILD_TEST_LOCAL: '../../outside/secret.txt' },
      },
    );
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/artifact tool \(linux\/amd64\): local path .*outside\/secret.txt leads outside/);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('an overlay artifact path template that names a symlink out is refused when fetched (exit 2, nothing written)', async () => {
    const world = await makeWorld();
    await writeFile(path.join(world.targets, 'graph.yaml'), BENIGN_GRAPH);
    await symlink('../outside/secret.txt', path.join(world.source, 'tool-amd64'));
    await writeFile(path.join(world.source, 'meshbuild.yaml'), artifact('    path: tool-{arch}'));
    const out = path.join(await tempDir(), 'out');
    const result = await runCli([
      'build',
      'artifact:tool',
      '--binaries-only',
      '--platforms',
      'amd64',
      '--targets',
      world.targets,
      '--source',
      world.source,
      '--tag',
      't',
      '--out',
      out,
    ]);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/artifact tool \(linux\/amd64\): local path .*tool-amd64 leads outside .* through a symlink \(it is .*outside\/secret.txt\)/);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(existsSync(path.join(out, 'linux_amd64', 'tool'))).toBe(false);
  });
});
