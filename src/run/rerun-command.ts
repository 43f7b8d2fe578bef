/** The command line that started this process, to tell a user what to run again. */
import { redactText } from '../registry/redact.js';

/** `meshbuild release 1.5.1 --hub reg/mesh`, arguments quoted where a shell would need it; secrets scrubbed. */
export function rerunCommand(args: readonly string[] = []): string {
  return redactText(['meshbuild', ...args.map(quoteArgument)].join(' '));
}

function quoteArgument(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
