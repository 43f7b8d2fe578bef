import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_TYPE } from '../../../src/oci/media-types.js';
import { bufferBlobSource } from '../../../src/registry/blob-source.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { RegistryError } from '../../../src/registry/registry-error.js';
import { startAuthRegistry, type AuthRegistry } from '../../support/registry.js';
import { platformImage, randomBlob, uniqueRepo } from './fixtures.js';

/** Every text an error shows anywhere: message, hint, detail, stack, util.inspect, JSON. */
function everything(error: unknown): string {
  const e = error as RegistryError;
  return [e.message, e.hint, e.detail, e.stack, inspect(e, { depth: 10 }), JSON.stringify(e), String(e.cause)].join('\n');
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('credentials against a registry with htpasswd auth', () => {
  let auth: AuthRegistry;
  let tmp: string;

  beforeAll(async () => {
    auth = await startAuthRegistry('meshbuild', 'Right-Passw0rd-xyz');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-auth-'));
  });

  afterAll(async () => {
    await auth?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function dockerConfig(name: string, config: unknown): Promise<string> {
    const dir = path.join(tmp, name);
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
    return dir;
  }

  async function pushSomething(client: RegistryClient, repo: string): Promise<void> {
    const image = platformImage('amd64');
    await client.pushBlob(repo, image.config.descriptor, bufferBlobSource(image.config.bytes));
    await client.pushBlob(repo, image.layer.descriptor, bufferBlobSource(image.layer.bytes));
    await client.putManifest(repo, 'v1', image.manifest, image.mediaType);
    expect((await client.getManifest(repo, 'v1')).mediaType).toBe(MEDIA_TYPE.ociManifest);
    expect(await client.listTags(repo)).toEqual(['v1']);
  }

  it('gives a clear 401 error for a wrong password, without the password or the base64 auth', async () => {
    const wrong = 'Wrong-Secret-Passw0rd-42';
    const log: string[] = [];
    const client = new RegistryClient(auth.address, { credentials: { username: 'meshbuild', password: wrong }, debug: (line) => log.push(line) });
    const repo = uniqueRepo('auth-wrong');
    const blob = randomBlob(1024);
    const error = await client.pushBlob(repo, blob.descriptor, bufferBlobSource(blob.bytes)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    const failure = error as RegistryError;
    expect(failure.exitCode).toBe(1);
    expect(failure.status).toBe(401);
    expect(failure.message).toContain(`registry ${auth.address} rejected the credentials for repository ${repo}`);
    expect(failure.hint).toContain(`docker login ${auth.address}`);
    const text = everything(error) + log.join('\n');
    for (const secret of [wrong, b64(`meshbuild:${wrong}`), b64(wrong)]) expect(text).not.toContain(secret);
  });

  it('reads credentials from config.json auths (base64 auth) under DOCKER_CONFIG', async () => {
    const dir = await dockerConfig('auths', { auths: { [auth.address]: { auth: b64(`${auth.username}:${auth.password}`) } } });
    await pushSomething(new RegistryClient(auth.address, { env: { DOCKER_CONFIG: dir } }), uniqueRepo('auth-config'));
  });

  it('reads username/password entries keyed by URL', async () => {
    const dir = await dockerConfig('userpass', { auths: { [`http://${auth.address}/v1/`]: { username: auth.username, password: auth.password } } });
    await pushSomething(new RegistryClient(auth.address, { dockerConfigDir: dir }), uniqueRepo('auth-userpass'));
  });

  it('keeps a wrong config.json password out of the error', async () => {
    const wrong = 'Config-Wrong-Pa55-99';
    const dir = await dockerConfig('wrong', { auths: { [auth.address]: { auth: b64(`meshbuild:${wrong}`) } } });
    const error = await new RegistryClient(auth.address, { dockerConfigDir: dir }).listTags('mesh/pilot').catch((e: unknown) => e);
    expect((error as RegistryError).status).toBe(401);
    expect((error as RegistryError).message).toContain('repository mesh/pilot');
    const text = everything(error);
    for (const secret of [wrong, b64(`meshbuild:${wrong}`)]) expect(text).not.toContain(secret);
  });

  it('runs credHelpers and credsStore helpers', async () => {
    const bin = path.join(tmp, 'bin');
    await import('node:fs/promises').then((fs) => fs.mkdir(bin, { recursive: true }));
    const helper = path.join(bin, 'docker-credential-meshtest');
    await writeFile(
      helper,
      [
        '#!/bin/sh',
        '[ "$1" = get ] || exit 2',
        'read -r server',
        `[ "$server" = "${auth.address}" ] || { echo "credentials not found in native keychain"; exit 1; }`,
        `printf '{"ServerURL":"%s","Username":"${auth.username}","Secret":"${auth.password}"}' "$server"`,
        '',
      ].join('\n'),
    );
    await chmod(helper, 0o755);
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${savedPath ?? ''}`;
    try {
      const helpers = await dockerConfig('helpers', { credHelpers: { [auth.address]: 'meshtest' } });
      await pushSomething(new RegistryClient(auth.address, { dockerConfigDir: helpers }), uniqueRepo('auth-helper'));
      const store = await dockerConfig('store', { credsStore: 'meshtest', auths: { [auth.address]: {} } });
      await pushSomething(new RegistryClient(auth.address, { dockerConfigDir: store }), uniqueRepo('auth-store'));
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('says to docker login when there are no credentials at all', async () => {
    const dir = await dockerConfig('empty', {});
    const error = await new RegistryClient(auth.address, { dockerConfigDir: dir }).hasBlob('mesh/pilot', `sha256:${'0'.repeat(64)}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toContain(`registry ${auth.address} requires authentication for repository mesh/pilot`);
    expect((error as RegistryError).hint).toContain(`docker login ${auth.address}`);
  });

  it('names a missing credential helper', async () => {
    const dir = await dockerConfig('missing-helper', { credsStore: 'does-not-exist-anywhere' });
    const error = await new RegistryClient(auth.address, { dockerConfigDir: dir }).listTags('mesh/pilot').catch((e: unknown) => e);
    expect((error as Error).message).toContain('docker-credential-does-not-exist-anywhere');
    expect((error as Error).message).toContain('is not installed');
  });
});
