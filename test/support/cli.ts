/**
 * Runs the real meshbuild CLI for tests, two ways:
 * - `runCli`: in this process through `main(argv, io)`, with stdout/stderr captured and the CI
 *   reporter (plain lines, as in a pipeline log). Fast; used by most tests.
 * - `runSpawnedCli` / `startSpawnedCli`: `node bin/meshbuild.js` as a child process, for what only
 *   a real process shows (PATH without go, SIGINT, the exit code node ends with). dist/ (tsc's
 *   output and the bundle the bin runs) is built once with `npm run build` when it is missing or
 *   older than src/; a type error fails it.
 * - `startTerminalCli`: the same inside a real pseudo-terminal (util-linux `script`), so the
 *   interactive task list runs as it does for a person at a terminal.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { childrenOf, commandLine } from './processes.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_BIN = path.join(REPO_ROOT, 'bin', 'meshbuild.js');
const DIST_MAIN = path.join(REPO_ROOT, 'dist', 'bundle', 'main.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Added to (and overriding) this process's environment. `CI=1` is always set. */
  env?: Record<string, string | undefined>;
  /** The current directory meshbuild sees (where it looks for a mesh tree). */
  cwd?: string;
}

/** A stream that keeps what is written to it. */
class CapturedOutput extends Writable {
  private readonly chunks: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    done();
  }

  get text(): string {
    return this.chunks.join('');
  }
}

function cliEnv(options: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1' };
  // Tests choose GitHub Actions' output themselves: a runner's own variables would change every log.
  delete env.GITHUB_ACTIONS;
  delete env.GITHUB_STEP_SUMMARY;
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Runs `meshbuild <args>` in this process, as CI would see it (no TTY, CI=1). */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const stdout = new CapturedOutput();
  const stderr = new CapturedOutput();
  const exitCode = await main(args, { stdout, stderr, env: cliEnv(options), interactive: false, ...(options.cwd ? { cwd: options.cwd } : {}) });
  return { exitCode, stdout: stdout.text, stderr: stderr.text };
}

let distReady: Promise<void> | undefined;

/** Builds dist/ (once per test process) if it is missing or older than any file under src/. */
export function ensureDistBuilt(): Promise<void> {
  distReady ??= (async () => {
    if (existsSync(DIST_MAIN) && newestMtime(path.join(REPO_ROOT, 'src')) <= statSync(DIST_MAIN).mtimeMs) return;
    const build = await execa('npm', ['run', 'build'], { cwd: REPO_ROOT, reject: false, all: true });
    // tsc emits even when a file has a type error: testing that dist/ would test code that does not compile.
    if (build.exitCode !== 0) {
      // Remove the bundle's entry point (a last good one may be there), so that the next test run builds (and fails) again.
      rmSync(DIST_MAIN, { force: true });
      throw new Error(`npm run build failed (exit ${String(build.exitCode)}); fix the type errors first:\n${String(build.all)}`);
    }
    if (!existsSync(DIST_MAIN)) throw new Error(`npm run build did not produce ${DIST_MAIN}:\n${String(build.all)}`);
  })();
  return distReady;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** A running `node bin/meshbuild.js`: await it for the result, `.kill('SIGINT')` it, read `.stderr`. */
export type SpawnedCli = ResultPromise<{ reject: false; stdin: 'ignore'; stripFinalNewline: false }>;

export interface SpawnOptions extends CliOptions {
  /** Replace the environment instead of extending this process's. */
  replaceEnv?: boolean;
}

/**
 * Starts `node bin/meshbuild.js <args>` and resolves to the running child (send it signals, read
 * its stderr as it comes; await `child` for the result). It never rejects on a non-zero exit.
 * The child is wrapped in an object: awaiting a bare execa child would wait for it to end.
 */
export async function startSpawnedCli(args: string[], options: SpawnOptions = {}): Promise<{ child: SpawnedCli }> {
  await ensureDistBuilt();
  const env = options.replaceEnv ? { CI: '1', ...options.env } : cliEnv(options);
  const child = execa(process.execPath, [CLI_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    extendEnv: !options.replaceEnv,
    reject: false,
    stdin: 'ignore',
    // The same text the in-process runner captures, final newline included.
    stripFinalNewline: false,
  } as const);
  return { child };
}

/**
 * Waits until the child's stderr matches `pattern` (or the child ends first) and resolves to the
 * stderr read so far, so a test can send a signal at a known point of the run.
 */
export async function stderrUntil(child: SpawnedCli, pattern: RegExp): Promise<string> {
  let stderr = '';
  const matched = new Promise<void>((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (pattern.test(stderr)) resolve();
    });
  });
  await Promise.race([matched, child.then(() => undefined)]);
  return stderr;
}

/** Runs `node bin/meshbuild.js <args>` to completion. */
export async function runSpawnedCli(args: string[], options: SpawnOptions = {}): Promise<CliResult> {
  const { child } = await startSpawnedCli(args, options);
  const result = await child;
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Lines that look like a JavaScript stack frame (`    at fn (file.js:1:2)`). */
export const STACK_FRAME = /^\s+at\s.+(\(.+:\d+:\d+\)|:\d+:\d+)$/m;

export interface TerminalCli {
  /** `script`, which owns the pseudo-terminal; it ends with meshbuild's exit code. */
  child: ResultPromise<{ reject: false; stdin: 'ignore'; all: true }>;
  /** meshbuild itself: the session leader on the terminal, so its pid is also its process group. */
  pid: number;
  /** Everything the terminal showed so far, ANSI codes removed and line ends made `\n`. */
  output(): string;
}

/** Quotes one word for the `sh -c` line `script` runs. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Starts `node bin/meshbuild.js <args>` in a real pseudo-terminal (`script -qfec`, util-linux), CI
 * unset, so meshbuild shows its interactive view. Send Ctrl-C as a terminal does with
 * `process.kill(-pid, 'SIGINT')` (the whole foreground process group).
 */
export async function startTerminalCli(args: string[], options: SpawnOptions = {}): Promise<TerminalCli> {
  await ensureDistBuilt();
  const env: NodeJS.ProcessEnv = { ...cliEnv(options), TERM: 'xterm-256color' };
  delete env.CI;
  delete env.GITHUB_ACTIONS;
  const command = `stty cols 120 rows 50; exec ${[process.execPath, CLI_BIN, ...args].map(shellQuote).join(' ')}`;
  const child = execa('script', ['-qfec', command, '/dev/null'], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    all: true,
  } as const);
  let text = '';
  child.all.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  let pid: number | undefined;
  while (pid === undefined) {
    const scriptPid = child.pid;
    const found = scriptPid === undefined ? [] : childrenOf(scriptPid).filter((p) => commandLine(p)?.includes(CLI_BIN));
    pid = found[0];
    if (pid === undefined) {
      if (child.exitCode !== null) throw new Error(`script ended before meshbuild started:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { child, pid, output: () => stripAnsi(text) };
}

/** Terminal output as text: escape sequences removed, `\r\n` and lone `\r` as line ends. */
export function stripAnsi(text: string): string {
  return text
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b[\]PX^_][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/\x1b[@-Z\\-_]/g, '')
    .replace(/\r\n?/g, '\n');
}
