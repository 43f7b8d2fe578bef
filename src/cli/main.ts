/**
 * meshbuild's command line. Each command lives in its own module; this file wires them into
 * yargs and is the one place errors are printed and turned into exit codes.
 */
import yargs from 'yargs';
import { EXIT_USAGE, usageError } from '../errors.js';
import { buildCommands } from './build-command.js';
import { listCommand } from './list-command.js';
import { mirrorCommand } from './mirror-command.js';
import { matrixCommand } from './matrix-command.js';
import { mergeCommand } from './merge-command.js';
import { planCommand } from './plan-command.js';
import { pushCommand } from './push-command.js';
import { verifyCommand } from './verify-command.js';
import { formatError } from './print-error.js';
import { releaseCommand } from './release-command.js';
import { RedactedOutput } from '../report/redacted-output.js';

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Whether stdout is an interactive terminal (and CI is not set). */
  interactive: boolean;
  /** The arguments of this command line, for messages that say what to run again. Set by `main`. */
  argv?: readonly string[];
}

/** Runs meshbuild with `argv` (no node/script prefix) and resolves to the exit code. */
export async function main(argv: string[], given: CommandIo = defaultIo()): Promise<number> {
  // Everything a command prints passes through redaction: no credential reaches a terminal or a log.
  const stdout = new RedactedOutput(given.stdout);
  const stderr = new RedactedOutput(given.stderr);
  const io: CommandIo = { ...given, stdout, stderr, argv };
  try {
    return await runCommand(argv, io);
  } finally {
    await Promise.all([stdout.flushed(), stderr.flushed()]);
  }
}

async function runCommand(argv: string[], io: CommandIo): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const cli = yargs(argv)
    .scriptName('meshbuild')
    .usage('$0 <command> [options]\n\nMulti-architecture release builds for a service mesh: Go binaries for every platform, multi-arch images, manifest lists.')
    .command(buildCommands(io, setExit))
    .command(planCommand(io, setExit))
    .command(listCommand(io, setExit))
    .command(verifyCommand(io, setExit))
    .command(mirrorCommand(io, setExit))
    .command(pushCommand(io, setExit))
    .command(releaseCommand(io, setExit))
    .command(matrixCommand(io, setExit))
    .command(mergeCommand(io, setExit))
    .demandCommand(1, 'name a command: all, build, plan, list, release, matrix, merge, verify, mirror or push (meshbuild --help shows them)')
    .strict()
    .recommendCommands()
    .parserConfiguration({ 'camel-case-expansion': true, 'strip-aliased': true })
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .epilog('Exit codes: 0 ok, 1 a build step failed, 2 bad input, 130 interrupted.')
    .fail((message: string | null, error: Error | undefined) => {
      throw error ?? usageError(message ?? 'bad command line', { hint: 'meshbuild --help lists commands and flags' });
    })
    .exitProcess(false)
    .help()
    .version();
  try {
    await cli.parseAsync();
    return exitCode;
  } catch (error) {
    const { text, exitCode: code } = formatError(error);
    io.stderr.write(text);
    return code === 0 ? EXIT_USAGE : code;
  }
}

function defaultIo(): CommandIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    interactive: Boolean(process.stdout.isTTY) && !process.env.CI,
  };
}
