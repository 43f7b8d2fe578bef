/** `meshbuild keygen --out DIR`: a signing key pair for `release --sign-key` and `verify --key` (and cosign). */
import path from 'node:path';
import type { CommandFactory } from './lazy-command.js';

const keygenCommand: CommandFactory<{ out: string }> = (io, setExit) => ({
  builder: (yargs) =>
    yargs
      .option('out', { type: 'string', demandOption: true, describe: 'Folder to write meshbuild.key (mode 0600) and meshbuild.pub into' })
      .example('$0 keygen --out keys', 'keys/meshbuild.key for release --sign-key, keys/meshbuild.pub for verify --key')
      .example('$0 release 1.0.0 --hub HUB --sign-key keys/meshbuild.key', 'Sign and attest every manifest of the release with it'),
  handler: async (argv) => {
    const { writeKeyPair } = await import('../sign/key-files.js');
    const { privateKey, publicKey } = await writeKeyPair(path.resolve(argv.out));
    io.stdout.write(`private key: ${privateKey} (mode 0600; keep it secret: release --sign-key ${privateKey})\n`);
    io.stdout.write(`public key:  ${publicKey} (verify --key, cosign verify --key)\n`);
    setExit(0);
  },
});

export default keygenCommand;
