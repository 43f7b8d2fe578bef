/**
 * A command registered by name and description only; its flags and its work are imported when it
 * is the one being run (or its `--help` is asked for), so `meshbuild --version` and the list of
 * commands load no command module at all.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { CommandIo } from './main.js';

/** What a command module's default export makes: its flags (with examples) and what it does. */
export interface CommandParts<A> {
  builder: (yargs: Argv) => Argv<A>;
  handler: (argv: ArgumentsCamelCase<A>) => void | Promise<void>;
}

export type CommandFactory<A> = (io: CommandIo, setExit: (code: number) => void) => CommandParts<A>;

export function lazyCommand<A>(
  io: CommandIo,
  setExit: (code: number) => void,
  command: string,
  describe: string,
  load: () => Promise<{ default: CommandFactory<A> }>,
): CommandModule<object, A> {
  let parts: Promise<CommandParts<A>> | undefined;
  const loaded = () => (parts ??= load().then((module) => module.default(io, setExit)));
  return {
    command,
    describe,
    builder: async (yargs) => (await loaded()).builder(yargs),
    handler: async (argv) => (await loaded()).handler(argv),
  };
}
