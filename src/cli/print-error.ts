/** Turns any error that reached the top into one message for people, and an exit code. */
import { EXIT_FAILED, formatLocation, isMeshbuildError } from '../errors.js';

export function formatError(error: unknown): { text: string; exitCode: number } {
  if (isMeshbuildError(error)) {
    const lines = [`error: ${error.location ? `${formatLocation(error.location)}: ` : ''}${error.message}`];
    for (const diagnostic of error.diagnostics) {
      lines.push(`error: ${diagnostic.location ? `${formatLocation(diagnostic.location)}: ` : ''}${diagnostic.message}`);
    }
    if (error.detail) lines.push(error.detail.replace(/^/gm, '    | '));
    if (error.hint) lines.push(`hint: ${error.hint}`);
    return { text: `${lines.join('\n')}\n`, exitCode: error.exitCode };
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { text: `Internal error (a bug in meshbuild; please report it):\n${detail}\n`, exitCode: EXIT_FAILED };
}
