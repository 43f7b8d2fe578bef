/**
 * ECDSA P-256 keys as cosign reads them: a PEM private key (PKCS#8 or SEC1) to sign with, a PEM
 * SubjectPublicKeyInfo to verify with, and ASN.1 DER signatures over SHA-256. The private key is
 * kept in a KeyObject and never turned back into text except by `generateSigningKeys`.
 */
import { createPublicKey, createPrivateKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { stepError, usageError } from '../errors.js';
import { registerSecret } from '../registry/redact.js';

export interface SigningKey {
  /** Where it was read from, for messages (never its content). */
  file: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Set when the file can be read by others than its owner: the caller warns. */
  warning?: string;
}

/** A new key pair as PEM texts: PKCS#8 private key, SPKI public key. */
export function generateSigningKeys(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Reads an unencrypted PEM ECDSA P-256 private key. Throws a usage error naming the file, never its content. */
export async function loadSigningKey(file: string): Promise<SigningKey> {
  const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]).catch((error: unknown) => {
    throw usageError(`cannot read the signing key ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`, {
      hint: 'meshbuild keygen --out DIR writes DIR/meshbuild.key',
    });
  });
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    throw usageError(`${file} is not an unencrypted PEM private key`, { hint: 'meshbuild keygen --out DIR writes one (ECDSA P-256)' });
  }
  checkCurve(privateKey, file);
  // Whatever prints a message from here on has the key's text scrubbed out of it (src/report/redacted-output.ts).
  registerSecret(text.trim());
  for (const line of text.split('\n')) if (line.trim() !== '' && !line.startsWith('-----')) registerSecret(line.trim());
  const key: SigningKey = { file, privateKey, publicKey: createPublicKey(privateKey) };
  if ((info.mode & 0o077) !== 0) {
    key.warning = `the signing key ${file} can be read by others than its owner (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`;
  }
  return key;
}

/** Reads a PEM public key (or takes the public half of a private key file). */
export async function loadVerifyKey(file: string): Promise<KeyObject> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw usageError(`cannot read the key ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`, {
      hint: 'pass the public key meshbuild keygen wrote (meshbuild.pub)',
    });
  });
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    throw usageError(`${file} is not a PEM public key`, { hint: 'pass the public key meshbuild keygen wrote (meshbuild.pub)' });
  }
  checkCurve(key, file);
  return key;
}

function checkCurve(key: KeyObject, file: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw usageError(`${file} is not an ECDSA P-256 key`, { hint: 'meshbuild signs with ECDSA P-256, as cosign does' });
  }
}

/** The base64 ASN.1 DER ECDSA signature of SHA-256(data). */
export function signBytes(key: SigningKey, data: Uint8Array): string {
  try {
    return sign('sha256', data, key.privateKey).toString('base64');
  } catch (error) {
    throw stepError(`signing with ${key.file} failed: ${(error as Error).message}`);
  }
}

/** Whether `signature` (base64 DER) is `publicKey`'s signature of `data`. */
export function verifyBytes(publicKey: KeyObject, data: Uint8Array, signature: string): boolean {
  try {
    return verify('sha256', data, publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
