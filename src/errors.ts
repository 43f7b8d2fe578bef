/**
 * The one error type meshbuild throws for anything a user should read: a message, an optional hint
 * ("what to do"), optional source locations, and the exit code the CLI ends with.
 * Anything else that reaches the top is a bug and is printed as an internal error.
 */

export const EXIT_OK = 0;
/** A build, fetch, push or other step failed. */
export const EXIT_FAILED = 1;
/** Bad input: flags, targets files, Dockerfiles the chosen builder cannot take. */
export const EXIT_USAGE = 2;
/** Interrupted by SIGINT/SIGTERM. */
export const EXIT_INTERRUPTED = 130;

export interface SourceLocation {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export interface Diagnostic {
  message: string;
  location?: SourceLocation;
}

export interface MeshbuildErrorOptions {
  hint?: string;
  exitCode?: number;
  /** Further problems reported together with the first (config validation collects them all). */
  diagnostics?: Diagnostic[];
  location?: SourceLocation;
  /** Tool output shown under the message (compiler errors, buildx output). */
  detail?: string;
  cause?: unknown;
}

export class MeshbuildError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;
  readonly diagnostics: Diagnostic[];
  readonly location: SourceLocation | undefined;
  readonly detail: string | undefined;

  constructor(message: string, options: MeshbuildErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MeshbuildError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? EXIT_FAILED;
    this.diagnostics = options.diagnostics ?? [];
    this.location = options.location;
    this.detail = options.detail;
  }
}

/** Bad input from the user: exit code 2. */
export function usageError(message: string, options: Omit<MeshbuildErrorOptions, 'exitCode'> = {}): MeshbuildError {
  return new MeshbuildError(message, { ...options, exitCode: EXIT_USAGE });
}

/** A failed step (build, fetch, push): exit code 1. */
export function stepError(message: string, options: Omit<MeshbuildErrorOptions, 'exitCode'> = {}): MeshbuildError {
  return new MeshbuildError(message, { ...options, exitCode: EXIT_FAILED });
}

export class InterruptedError extends MeshbuildError {
  constructor(
    readonly signal = 'SIGINT',
    options: Pick<MeshbuildErrorOptions, 'detail' | 'hint'> = {},
  ) {
    super(`interrupted by ${signal}`, { ...options, exitCode: EXIT_INTERRUPTED });
    this.name = 'InterruptedError';
  }
}

export function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

export function isMeshbuildError(error: unknown): error is MeshbuildError {
  return error instanceof MeshbuildError;
}

/** For exhaustive switches: reaching it is a bug. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Internal error: unexpected ${what} ${JSON.stringify(value)}`);
}
