/**
 * The one way meshbuild starts child processes: execa with an argument array (never a shell
 * string), cancelled through an AbortSignal, output captured interleaved for error messages; and
 * for short queries (`git rev-parse`), Node's own spawn, so that a command that only plans never
 * loads execa (tens of milliseconds of start-up).
 */
import { spawn } from 'node:child_process';
import { InterruptedError } from '../errors.js';

export interface ProcessOptions {
  cwd?: string;
  /** Added to (and overriding) the current environment. */
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  input?: string;
  /** Called with each chunk of stdout/stderr as it arrives. */
  onOutput?: (text: string) => void;
}

export interface ProcessResult {
  exitCode: number;
  /** stdout and stderr, interleaved. */
  output: string;
  stdout: string;
}

export class CommandNotFoundError extends Error {
  constructor(readonly command: string) {
    super(`${command}: command not found`);
  }
}

/** Runs a command to completion; a non-zero exit is a result, not an exception. */
export async function runProcess(command: string, args: readonly string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  const { execa } = await import('execa');
  const child = execa(command, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    all: true,
    reject: false,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    input: options.input,
    cancelSignal: options.signal,
    forceKillAfterDelay: 5_000,
    stripFinalNewline: false,
  });
  if (options.onOutput) child.all?.on('data', (chunk: Buffer) => options.onOutput!(chunk.toString()));
  const result = await child;
  if (result.isCanceled) throw options.signal?.reason instanceof Error ? options.signal.reason : new InterruptedError();
  if (result.failed && result.exitCode === undefined) {
    const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') throw new CommandNotFoundError(command);
    throw new Error(`${command} could not be started: ${result.shortMessage}`);
  }
  return { exitCode: result.exitCode ?? 1, output: String(result.all ?? ''), stdout: String(result.stdout ?? '') };
}

/**
 * Runs a query that answers at once (`git rev-parse`, `git status`) to completion: argument array,
 * no stdin, no cancellation or streaming. A non-zero exit is a result; a missing command is a
 * `CommandNotFoundError`, as with `runProcess`.
 */
export function queryProcess(command: string, args: readonly string[], options: { cwd?: string } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new CommandNotFoundError(command) : new Error(`${command} could not be started: ${error.message}`));
    });
    child.on('close', (code) => resolve({ exitCode: code ?? 1, output, stdout }));
  });
}
