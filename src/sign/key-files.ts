/**
 * `meshbuild keygen`: a new ECDSA P-256 key pair as `DIR/meshbuild.key` (mode 0600 from the moment
 * it exists: written to a private temp file, then renamed) and `DIR/meshbuild.pub`. An existing
 * key is never overwritten: losing it would orphan every signature made with it.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../errors.js';
import { makeFolder, writeFileAtomic } from '../run/atomic-files.js';
import { generateSigningKeys } from './signing-key.js';

export const PRIVATE_KEY_FILE = 'meshbuild.key';
export const PUBLIC_KEY_FILE = 'meshbuild.pub';

export async function writeKeyPair(dir: string): Promise<{ privateKey: string; publicKey: string }> {
  const privateKey = path.join(dir, PRIVATE_KEY_FILE);
  const publicKey = path.join(dir, PUBLIC_KEY_FILE);
  for (const file of [privateKey, publicKey]) {
    if (
      await access(file).then(
        () => true,
        () => false,
      )
    ) {
      throw usageError(`${file} already exists: keygen does not overwrite keys`, { hint: 'choose another --out folder, or move the old keys away first' });
    }
  }
  await makeFolder(dir);
  const { privateKeyPem, publicKeyPem } = generateSigningKeys();
  await writeFileAtomic(privateKey, privateKeyPem, { mode: 0o600 });
  await writeFileAtomic(publicKey, publicKeyPem, { mode: 0o644 });
  return { privateKey, publicKey };
}
