/**
 * meshbuild's command line. Each command lives in its own module, imported only when that command
 * runs; this file names them for yargs and is the one place errors are printed and turned into
 * exit codes.
 */
import { EXIT_USAGE, MeshbuildError, usageError } from '../errors.js';
import { formatError } from './print-error.js';
import { lazyCommand, type CommandFactory } from './lazy-command.js';
import { RedactedOutput } from '../report/redacted-output.js';
import { meshbuildVersion } from '../version.js';
import { closestNames } from '../graph/suggest.js';

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Whether stdout is an interactive terminal (and CI is not set). */
  interactive: boolean;
  /** The arguments of this command line, for messages that say what to run again. Set by `main`. */
  argv?: readonly string[];
  /** Width of the terminal, for `--help`. Default: stdout's columns, else 100. */
  columns?: number;
  /** Where relative paths start and where a mesh tree is looked for. Default: `process.cwd()`. */
  cwd?: string;
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
  const command = <A>(name: string, describe: string, load: () => Promise<{ default: CommandFactory<A> }>) => lazyCommand(io, setExit, name, describe, load);
  // `meshbuild --version` alone is answered before yargs loads: it is most of the start-up time.
  if (argv.length === 1 && argv[0] === '--version') {
    io.stdout.write(`${meshbuildVersion()}\n`);
    return 0;
  }
  // The same `all`/`build` again with nothing changed: answered from its last run, before the rest loads.
  if (argv[0] === 'all' || argv[0] === 'build') {
    const { answerUnchangedRun } = await import('./unchanged-run.js');
    if (answerUnchangedRun(argv, io)) return 0;
  }
  const { default: yargs } = await import('yargs');
  const cli = yargs(argv)
    .scriptName('meshbuild')
    .usage('$0 <command> [options]\n\nMulti-architecture release builds for a service mesh: Go binaries for every platform, multi-arch images, manifest lists.')
    .command(command('all', 'Build every target of the "all" group for every platform', () => import('./all-command.js')))
    .command(command('build <target-names..>', 'Build targets, images or groups (dependencies are pulled in)', () => import('./build-command.js')))
    .command(command('plan [target-names..]', 'Show what would be built, in what order', () => import('./plan-command.js')))
    .command(command('list', 'List targets: kind, dependencies, platforms', () => import('./list-command.js')))
    .command(command('graph [target-names..]', 'Draw the target graph: Mermaid or Graphviz DOT', () => import('./graph-command.js')))
    .command(command('verify <references..>', 'Check published images: each platform there, binaries built for it', () => import('./verify-command.js')))
    .command(command('mirror [source] [destination]', 'Copy images (every platform) to another registry, verify, tag', () => import('./mirror-command.js')))
    .command(command('push', 'Publish an OCI layout meshbuild wrote to a registry: digests first, tags last', () => import('./push-command.js')))
    .command(command('release <release-version>', 'Cut a release: push by digest, verify, tag all at once', () => import('./release-command.js')))
    .command(command('matrix', 'Print the CI job matrix (one job per platform, image, or both) as JSON', () => import('./matrix-command.js')))
    .command(command('merge <shards..>', 'Join CI shard reports into one manifest list per image, then tag all at once', () => import('./merge-command.js')))
    .command(command('keygen', 'Write a signing key pair (ECDSA P-256 PEM) for release --sign-key and verify --key', () => import('./keygen-command.js')))
    .completion('completion', 'Print a shell completion script for bash or zsh (meshbuild completion >> ~/.bashrc)')
    .demandCommand(1, 'name a command: all, build, plan, list, release, matrix, merge, verify, mirror or push (meshbuild --help shows them)')
    .strict()
    .recommendCommands()
    .parserConfiguration({ 'camel-case-expansion': true, 'strip-aliased': true })
    .wrap(Math.min(110, io.columns ?? process.stdout.columns ?? 100))
    .epilog('Exit codes: 0 ok, 1 a build step failed, 2 bad input, 130 interrupted.')
    .fail((message: string | null, error: Error | undefined) => {
      // getOptions(): the flags of the command being parsed (yargs' own method, missing from its types).
      const known = Object.keys((cli as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
      throw error ?? usageError(message ?? 'bad command line', { hint: unknownFlagHint(message, known) });
    })
    .exitProcess(false)
    .help()
    .version(meshbuildVersion());
  skipHelpCaching(cli);
  try {
    // yargs hands what it would print (help, version, the completion script) to this callback,
    // so it goes to io.stdout like everything else.
    await cli.parseAsync(argv, {}, (_error, _args, output) => {
      if (output) io.stdout.write(`${output}\n`);
    });
    return exitCode;
  } catch (error) {
    const { text, exitCode: code } = formatError(error);
    io.stderr.write(text);
    // On GitHub Actions the error is also an annotation: on the targets file's line when it names one.
    if (error instanceof MeshbuildError) {
      const { annotationsOf, isGithubActions } = await import('../report/github-actions.js');
      if (isGithubActions(io.env)) io.stderr.write(annotationsOf(error, io.env.GITHUB_WORKSPACE));
    }
    return code === 0 ? EXIT_USAGE : code;
  }
}

/**
 * yargs renders the running command's whole help once its handler starts, and keeps it for a
 * failure message that shows help; ours never does (see `.fail` above), and the rendering (string
 * widths of every line) is a tenth of a second of every run. `--help` renders it as before.
 */
function skipHelpCaching(cli: unknown): void {
  const internals = (cli as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.();
  if (usage?.cacheHelpMessage) usage.cacheHelpMessage = () => undefined;
}

function defaultIo(): CommandIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    interactive: Boolean(process.stdout.isTTY) && !process.env.CI,
  };
}

/** For yargs' "Unknown argument: platfroms": the flags of the command closest to it. */
function unknownFlagHint(message: string | null, known: string[]): string {
  const fallback = 'meshbuild --help lists commands and flags';
  const unknown = /^Unknown arguments?: (.+)$/.exec(message ?? '')?.[1]?.split(', ')[0];
  if (unknown === undefined) return fallback;
  const close = closestNames(
    unknown,
    known.filter((name) => /^[a-z][a-z0-9-]+$/.test(name)),
    3,
  );
  return close.length > 0 ? `did you mean ${close.map((name) => `--${name}`).join(', ')}? (${fallback})` : fallback;
}
