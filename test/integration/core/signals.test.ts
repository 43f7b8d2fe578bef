/**
 * Ctrl-C as people and pipelines send it: in a real pseudo-terminal (the interactive live view)
 * during Go builds and during a push, in CI mode (plain lines, no terminal) during a push,
 * and before any job starts. Either way:
 * exit 130, one `error: interrupted by SIGINT` line at the end, no temp folder left in out/, no
 * child process left behind, and (for the push) no tag written. The tests' timeouts only catch a
 * hang; nothing here measures time.
 */
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_FRAME, startSpawnedCli, startTerminalCli } from '../../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { listTags, uniqueNamespace } from '../../support/images.js';
import { descendantsOf, processesMentioning, stillRunning, waitFor } from '../../support/processes.js';
import { localRegistry } from '../../support/registry.js';
import { copySample, listFiles, useTempDirs } from './files.js';

const tempDir = useTempDirs('meshbuild-signals-');
const INTERRUPTED_LINE = /^error: interrupted by SIGINT$/;
const HANG_CATCHER = 300_000;
/** Blob uploads (monolithic PUT, chunked PATCH) in the push tests are held this long: beyond the hang catcher. */
const HELD = 600_000;
const UPLOAD = /\/blobs\/uploads\//;

/** The lines that say the run was interrupted (the top-level message), and the last line printed. */
function interruptedLines(output: string): { matching: string[]; last: string | undefined } {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return { matching: lines.filter((l) => INTERRUPTED_LINE.test(l)), last: lines.at(-1) };
}

/** Every repository of `namespace` in the registry that has a tag, with its tags (the catalog lists repositories). */
async function tagsIn(registry: string, namespace: string): Promise<Record<string, string[]>> {
  // The catalog is sorted: the namespace's repositories come right after the namespace's own name.
  const response = await fetch(`http://${registry}/v2/_catalog?n=1000&last=${encodeURIComponent(namespace)}`);
  if (response.status !== 200) throw new Error(`the registry's catalog answered ${response.status}: ${await response.text()}`);
  const catalog = (await response.json()) as { repositories?: string[] };
  const repositories = (catalog.repositories ?? []).filter((r) => r.startsWith(`${namespace}/`));
  const tagged: Record<string, string[]> = {};
  for (const repository of repositories) {
    const tags = await listTags(registry, repository);
    if (tags.length > 0) tagged[repository] = tags;
  }
  return tagged;
}

/** Children may take a moment to be reaped after meshbuild exits: poll (bounded), then report what is left. */
async function leftovers(before: Array<{ pid: number; command: string }>, out: string): Promise<string[]> {
  let left: string[] = [];
  for (let round = 0; round < 100; round++) {
    left = [...stillRunning(before), ...processesMentioning(out)].map((p) => `${p.pid} ${p.command.slice(0, 160)}`);
    if (left.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return left;
}

describe('Ctrl-C in a terminal', () => {
  it(
    'during Go builds: exit 130, one "interrupted" line, out/.tmp gone, no go process left',
    async () => {
      const work = await tempDir();
      const source = await copySample(path.join(work, 'mesh'));
      const out = path.join(work, 'out');
      // A private, empty GOCACHE: the builds compile the standard library, so they are surely mid-way.
      const cli = await startTerminalCli(
        ['build', 'pilot', 'proxyv2', 'istioctl', '--binaries-only', '--platforms', 'amd64,arm64', '--source', source, '--tag', 't', '--out', out],
        { env: { GOCACHE: path.join(work, 'gocache') } },
      );
      const ended = () => cli.child.exitCode !== null;
      // Wait until a go build is running and compiling (its compiler processes exist).
      const running = await waitFor(
        () => {
          const tree = descendantsOf(cli.pid);
          return tree.some((p) => /(^|\/)go build /.test(p.command)) && tree.some((p) => /\/compile /.test(p.command)) && tree;
        },
        `a go build compiling under meshbuild (terminal so far:\n${cli.output()})`,
        ended,
      );
      expect(cli.output(), 'the interactive view, not CI lines').not.toMatch(/ start {2}go build /);

      // A terminal's Ctrl-C goes to the whole foreground process group: meshbuild and its children.
      process.kill(-cli.pid, 'SIGINT');
      const result = await cli.child;
      const output = cli.output();

      expect(result.exitCode, output).toBe(130);
      const { matching, last } = interruptedLines(output);
      expect(matching, output).toHaveLength(1);
      expect(last, output).toMatch(INTERRUPTED_LINE);
      expect(output).not.toMatch(STACK_FRAME);
      expect(await listFiles(path.join(out, '.tmp')), 'no temp folder left in out/').toEqual([]);
      expect(await leftovers(running, out), 'no child process outlives meshbuild').toEqual([]);
    },
    HANG_CATCHER,
  );
});

/**
 * Pushes go through a fault proxy that holds every blob upload (PUT, PATCH) far longer than the
 * tests' hang catcher: the signal comes while uploads are in flight, and meshbuild can only exit
 * by cancelling them.
 */
describe('during a push (uploads held in flight)', () => {
  let registry: string;
  let proxy: FaultProxy;

  beforeAll(async () => {
    registry = await localRegistry();
    proxy = await startFaultProxy(registry);
  });

  afterAll(async () => {
    await proxy?.close();
  });

  /** Starts holding uploads; returns the arguments of an `all --push` through the proxy. */
  function pushThroughProxy(namespace: string, out: string): string[] {
    proxy.reset();
    for (const method of ['PUT', 'PATCH']) proxy.delay({ method, path: UPLOAD, ms: HELD, count: 100_000 });
    return ['all', '--builder', 'native', '--platforms', 'amd64,arm64', '--hub', `${proxy.address}/${namespace}`, '--tag', 't1', '--push', '--out', out];
  }

  const uploadHeld = () => proxy.count('PUT', UPLOAD) + proxy.count('PATCH', UPLOAD) > 0;

  it(
    'Ctrl-C in a terminal: exit 130, one "interrupted" line, no tag written, out/.tmp gone',
    async () => {
      const namespace = uniqueNamespace('sigint-tty-push');
      const out = path.join(await tempDir(), 'out');
      const cli = await startTerminalCli(pushThroughProxy(namespace, out));
      await waitFor(uploadHeld, `a blob upload (terminal so far:\n${cli.output()})`, () => cli.child.exitCode !== null);
      const before = descendantsOf(cli.pid);

      process.kill(-cli.pid, 'SIGINT');
      const result = await cli.child;
      const output = cli.output();

      expect(result.exitCode, output).toBe(130);
      const { matching, last } = interruptedLines(output);
      expect(matching, output).toHaveLength(1);
      expect(last, output).toMatch(INTERRUPTED_LINE);
      expect(output).not.toMatch(STACK_FRAME);
      expect(await listFiles(path.join(out, '.tmp')), 'no temp folder left in out/').toEqual([]);
      expect(await leftovers(before, out), 'no child process outlives meshbuild').toEqual([]);
      expect(await tagsIn(registry, namespace)).toEqual({});
    },
    HANG_CATCHER,
  );

  it(
    'SIGINT in CI mode: exit 130, one "interrupted" line, no tag written, out/.tmp gone',
    async () => {
      const namespace = uniqueNamespace('sigint-push');
      const out = path.join(await tempDir(), 'out');
      const { child } = await startSpawnedCli(pushThroughProxy(namespace, out));
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      await waitFor(uploadHeld, `a blob upload (log so far:\n${stderr})`, () => child.exitCode !== null);
      const before = descendantsOf(child.pid!);

      // Only meshbuild gets the signal (as from `kill -INT` or a CI runner): it must stop its children itself.
      child.kill('SIGINT');
      const result = await child;
      const output = String(result.stderr);

      expect(result.exitCode, output).toBe(130);
      const { matching, last } = interruptedLines(output);
      expect(matching, output).toHaveLength(1);
      expect(last, output).toMatch(INTERRUPTED_LINE);
      expect(output).not.toMatch(STACK_FRAME);
      expect(await listFiles(path.join(out, '.tmp')), 'no temp folder left in out/').toEqual([]);
      expect(await leftovers(before, out), 'no child process outlives meshbuild').toEqual([]);
      expect(await tagsIn(registry, namespace)).toEqual({});
    },
    HANG_CATCHER,
  );
});

describe('SIGINT before any job starts', () => {
  it(
    'while the registry check waits on a registry that never answers: exit 130 and the one line',
    async () => {
      // Accepts connections and never answers: meshbuild waits in its up-front registry check.
      const connected: net.Socket[] = [];
      const silent = net.createServer((socket) => connected.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const port = (silent.address() as net.AddressInfo).port;
      try {
        const out = path.join(await tempDir(), 'out');
        const { child } = await startSpawnedCli([
          'build',
          'pilot',
          '--builder',
          'native',
          '--platforms',
          'amd64',
          '--hub',
          `127.0.0.1:${port}/mesh`,
          '--tag',
          't1',
          '--push',
          '--out',
          out,
        ]);
        await waitFor(
          () => connected.length > 0,
          'meshbuild to connect to the registry',
          () => child.exitCode !== null,
        );
        child.kill('SIGINT');
        const result = await child;
        const output = String(result.stderr);
        expect(result.exitCode, output).toBe(130);
        const { matching, last } = interruptedLines(output);
        expect(matching, output).toHaveLength(1);
        expect(last, output).toMatch(INTERRUPTED_LINE);
      } finally {
        for (const socket of connected) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    },
    HANG_CATCHER,
  );
});
