/**
 * The registries integration tests talk to: the shared local registry named by
 * `MESHBUILD_REGISTRY` (never skipped: a missing one fails loudly), and throw-away
 * `docker-registry serve` instances with htpasswd auth for credential tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

const NOT_RUNNING = 'the local registry is not running: run eval "$(scripts/env-up | tail -n 1)"';

async function answers(url: string, timeoutMs = 3000): Promise<number | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined;
  }
}

/**
 * `host:port` of the local registry from `MESHBUILD_REGISTRY`. Throws (never skips) when it is
 * unset or its `/v2/` does not answer.
 */
export async function localRegistry(): Promise<string> {
  const address = process.env.MESHBUILD_REGISTRY;
  if (address === undefined || address.trim() === '') {
    throw new Error(`MESHBUILD_REGISTRY is not set: ${NOT_RUNNING}`);
  }
  const status = await answers(`http://${address}/v2/`);
  if (status !== 200) {
    throw new Error(`${NOT_RUNNING} (http://${address}/v2/ ${status === undefined ? 'did not answer' : `answered ${status}`})`);
  }
  return address;
}

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface AuthRegistry {
  /** `127.0.0.1:PORT` */
  address: string;
  username: string;
  password: string;
  stop(): Promise<void>;
}

async function bcryptHtpasswd(username: string, password: string): Promise<string> {
  try {
    const result = await execa('htpasswd', ['-Bbn', username, password]);
    return `${result.stdout.trim()}\n`;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      throw new Error('htpasswd is not installed: scripts/env-up must install apache2-utils (apt-get install -y apache2-utils)', { cause: error });
    }
    throw error;
  }
}

/**
 * Starts `docker-registry serve` on a free 127.0.0.1 port with temp storage and htpasswd auth
 * for `username`/`password`. Call `stop()` after the test (it also removes the temp folder).
 */
export async function startAuthRegistry(username = 'meshbuild', password = 'correct-horse-battery-staple'): Promise<AuthRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-auth-registry-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  await writeFile(path.join(dir, 'htpasswd'), await bcryptHtpasswd(username, password));
  await writeFile(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${address}`,
      'auth:',
      '  htpasswd:',
      '    realm: meshbuild-test',
      `    path: ${path.join(dir, 'htpasswd')}`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess;
  try {
    child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (spawnError !== undefined) break;
    if ((await answers(`http://${address}/v2/`, 1000)) === 401) return { address, username, password, stop };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  const why = spawnError?.message ?? stderr.trim();
  throw new Error(
    `docker-registry with htpasswd auth did not start on ${address}${why ? `: ${why}` : ''} (is the docker-registry package installed? scripts/env-up installs it)`,
  );
}
