/** `meshbuild all`: `build all`, the group of everything a release ships. */
import { runBuild, type BuildArgs } from './build-command.js';
import { withBuildFlags } from './flags.js';
import type { CommandFactory } from './lazy-command.js';

const allCommand: CommandFactory<BuildArgs> = (io, setExit) => ({
  builder: (yargs) =>
    withBuildFlags(yargs)
      .example('$0 all --platforms amd64,arm64 --output oci:out/images', 'Every binary and image for two platforms, into an OCI layout')
      .example('$0 all --hub 127.0.0.1:5555/mesh --tag 1.29.1 --push', 'Build and push every image; tags are written last, all at once')
      .example('$0 all --binaries-only', 'Only the Go binaries and downloads, like make build'),
  handler: (argv) => runBuild(['all'], argv, io, setExit, 'all'),
});

export default allCommand;
