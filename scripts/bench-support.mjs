// Helpers shared by the benchmark scripts: running commands, timing, checking the stack and
// what got published. Each benchmark names itself in its messages.
import { execa } from 'execa';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cliBin = path.join(root, 'bin', 'meshbuild.js');
export const PLATFORMS = ['linux/amd64', 'linux/arm64'];

export function benchmark(name) {
  const fail = (message) => {
    console.error(`${name}: ${message}`);
    process.exit(1);
  };
  const log = (message) => console.error(`${name}: ${message}`);

  /** Runs a command; returns its result, or ends the benchmark with its output when it fails. */
  const run = async (command, args, options = {}) => {
    const result = await execa(command, args, { cwd: root, reject: false, all: true, stdin: 'ignore', env: { CI: '1', ...options.env } });
    if (result.exitCode !== 0 && !options.allowFailure) {
      fail(`${command} ${args.join(' ')} exited ${result.exitCode}:\n${String(result.all).split('\n').slice(-30).join('\n')}`);
    }
    return result;
  };

  /** Builds dist/ when src/ is newer, so the benchmark measures the code as it is. */
  const ensureDist = async () => {
    const distMain = path.join(root, 'dist', 'bundle', 'main.js');
    if (existsSync(distMain) && newestMtime(path.join(root, 'src')) <= statSync(distMain).mtimeMs) return;
    await run('npm', ['run', 'build'], { allowFailure: true });
    if (!existsSync(distMain)) fail('npm run build did not produce dist/bundle/main.js');
  };

  /** The registry, the Docker daemon and buildx must all answer; returns the registry address. */
  const checkStack = async () => {
    const registry = process.env.MESHBUILD_REGISTRY;
    if (!registry) fail('MESHBUILD_REGISTRY is not set: run eval "$(scripts/env-up | tail -n 1)"');
    const answer = await fetch(`http://${registry}/v2/`).then(
      (r) => r.status,
      () => undefined,
    );
    if (answer !== 200) fail(`the registry ${registry} does not answer: run eval "$(scripts/env-up | tail -n 1)"`);
    const docker = await run('docker', ['version', '--format', '{{.Server.Version}}'], { allowFailure: true });
    if (docker.exitCode !== 0) fail('the Docker daemon is not running: run scripts/env-up');
    const buildx = await run('docker', ['buildx', 'version'], { allowFailure: true });
    if (buildx.exitCode !== 0) fail('docker buildx is not installed: run scripts/env-up');
    return registry;
  };

  /** Each image must have been published as a list of exactly the benchmark's platforms. */
  const checkPublished = async (registry, repository, tag) => {
    const accept = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'].join(', ');
    const response = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, { headers: { accept } });
    if (response.status !== 200) fail(`${registry}/${repository}:${tag} was not published (${response.status})`);
    const platforms = (await response.json()).manifests
      .filter((m) => m.platform?.os !== 'unknown')
      .map((m) => `${m.platform?.os}/${m.platform?.architecture}`)
      .sort();
    if (platforms.join(',') !== PLATFORMS.join(',')) fail(`${registry}/${repository}:${tag} lists ${platforms.join(', ')}`);
  };

  return { fail, log, run, ensureDist, checkStack, checkPublished };
}

/** Seconds `what` took. */
export async function timed(what) {
  const start = performance.now();
  await what();
  return (performance.now() - start) / 1000;
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}
