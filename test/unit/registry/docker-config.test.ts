import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsFromDockerConfig, dockerConfigDir, type CredentialHelperRunner } from '../../../src/registry/docker-config.js';
import { redactText } from '../../../src/registry/redact.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('credentials from the Docker config', () => {
  let tmp: string;
  let n = 0;
  const configDir = async (config: unknown): Promise<string> => {
    const dir = path.join(tmp, String((n += 1)));
    await import('node:fs/promises').then((fs) => fs.mkdir(dir));
    await writeFile(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
    return dir;
  };

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'meshbuild-docker-config-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('honours DOCKER_CONFIG, else ~/.docker', () => {
    expect(dockerConfigDir({ DOCKER_CONFIG: '/x/y', HOME: '/home/u' })).toBe('/x/y');
    expect(dockerConfigDir({ HOME: '/home/u' })).toBe('/home/u/.docker');
  });

  it('decodes base64 auth entries, matching keys written as URLs', async () => {
    const dir = await configDir({ auths: { 'https://reg.example.com/v1/': { auth: b64('alice:pa:ss') }, 'other.example.com': { auth: b64('x:y') } } });
    expect(await credentialsFromDockerConfig('reg.example.com', { configDir: dir })).toEqual({ username: 'alice', password: 'pa:ss' });
    expect(await credentialsFromDockerConfig('nothing.example.com', { configDir: dir })).toBeUndefined();
  });

  it('maps Docker Hub to its index.docker.io key, and reads identity tokens', async () => {
    const dir = await configDir({ auths: { 'https://index.docker.io/v1/': { auth: b64('bob:pw'), identitytoken: 'refresh-123' } } });
    expect(await credentialsFromDockerConfig('docker.io', { configDir: dir })).toEqual({ username: 'bob', password: 'pw', identityToken: 'refresh-123' });
  });

  it('reads a missing config as no credentials, and refuses broken JSON without echoing it', async () => {
    expect(await credentialsFromDockerConfig('reg.example.com', { configDir: path.join(tmp, 'absent') })).toBeUndefined();
    const dir = await configDir('{"auths": {"reg": {"auth": "c2VjcmV0LXZhbHVl"}');
    const error = await credentialsFromDockerConfig('reg', { configDir: dir }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('is not valid JSON');
    expect((error as Error).message).not.toContain('c2VjcmV0LXZhbHVl');
  });

  it('asks credHelpers[host] first, then credsStore, passing the server URL', async () => {
    const calls: string[] = [];
    const runHelper: CredentialHelperRunner = async (helper, serverUrl) => {
      calls.push(`${helper} ${serverUrl}`);
      if (helper === 'store' && serverUrl === 'https://index.docker.io/v1/')
        return { exitCode: 0, stdout: JSON.stringify({ Username: '<token>', Secret: 'hub-refresh-token' }) };
      if (helper === 'ecr') return { exitCode: 0, stdout: JSON.stringify({ ServerURL: serverUrl, Username: 'AWS', Secret: 'ecr-password-xyz' }) };
      return { exitCode: 1, stdout: 'credentials not found in native keychain' };
    };
    const dir = await configDir({
      credHelpers: { '1234.dkr.ecr.us-east-1.amazonaws.com': 'ecr' },
      credsStore: 'store',
      auths: { 'fallback.example.com': { auth: b64('f:g') } },
    });
    expect(await credentialsFromDockerConfig('1234.dkr.ecr.us-east-1.amazonaws.com', { configDir: dir, runHelper })).toEqual({
      username: 'AWS',
      password: 'ecr-password-xyz',
    });
    expect(await credentialsFromDockerConfig('docker.io', { configDir: dir, runHelper })).toEqual({ identityToken: 'hub-refresh-token' });
    expect(await credentialsFromDockerConfig('fallback.example.com', { configDir: dir, runHelper })).toEqual({ username: 'f', password: 'g' });
    expect(calls).toEqual(['ecr 1234.dkr.ecr.us-east-1.amazonaws.com', 'store https://index.docker.io/v1/', 'store fallback.example.com']);
    // Everything read was registered for redaction.
    expect(redactText('ecr-password-xyz hub-refresh-token')).toBe('<redacted> <redacted>');
  });

  it('refuses helper names that are not plain words', async () => {
    const dir = await configDir({ credsStore: '../../bin/sh' });
    await expect(credentialsFromDockerConfig('reg', { configDir: dir, runHelper: async () => ({ exitCode: 0, stdout: '{}' }) })).rejects.toThrow(
      /invalid credential helper/,
    );
  });
});
