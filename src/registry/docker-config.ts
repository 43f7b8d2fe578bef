/**
 * Credentials the way `docker login` stored them: `~/.docker/config.json` (or `$DOCKER_CONFIG`),
 * its `auths` entries, and the `credHelpers` / `credsStore` helpers it names
 * (`docker-credential-<name> get`, the server URL on stdin). Every secret read is registered for
 * redaction before anything else happens with it.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stepError, usageError } from '../errors.js';
import { registerCredentialSecrets, registerSecret } from './redact.js';
import { DOCKER_HUB, DOCKER_HUB_API_HOST } from './reference.js';

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken` in config.json, or a helper's `<token>` user). */
  identityToken?: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Runs `docker-credential-<name> get` with `serverUrl` on stdin; injectable for tests. */
export type CredentialHelperRunner = (helper: string, serverUrl: string) => Promise<{ exitCode: number; stdout: string }>;

export interface DockerConfigOptions {
  /** Folder holding config.json. Default `$DOCKER_CONFIG`, else `~/.docker`. */
  configDir?: string;
  /** Environment read for `DOCKER_CONFIG` and `HOME`. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Default: run the real helper through execa (argument array, 30 s timeout). */
  runHelper?: CredentialHelperRunner;
}

/** The server URL Docker uses as the credentials key for Docker Hub. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/** `$DOCKER_CONFIG`, else `$HOME/.docker`. */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.DOCKER_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return path.join(env.HOME ?? os.homedir(), '.docker');
}

/** `https://host/v1/` -> `host`: how Docker keys compare. */
function normalizeKey(key: string): string {
  return key
    .trim()
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/\/.*$/, '');
}

function hostAliases(registry: string): string[] {
  const host = registry.toLowerCase();
  if (host === DOCKER_HUB || host === 'index.docker.io' || host === DOCKER_HUB_API_HOST) {
    return [DOCKER_HUB, 'index.docker.io', DOCKER_HUB_API_HOST];
  }
  return [host];
}

function lookup<T>(record: Record<string, T> | undefined, registry: string): T | undefined {
  if (record === undefined) return undefined;
  const aliases = hostAliases(registry);
  for (const [key, value] of Object.entries(record)) {
    if (aliases.includes(normalizeKey(key))) return value;
  }
  return undefined;
}

async function readConfig(file: string): Promise<DockerConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw stepError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as DockerConfigFile;
  } catch (error) {
    // Do not echo the file: it holds secrets.
    throw usageError(`${file} is not valid JSON (${(error as Error).name})`, { hint: 'fix or remove it, then run `docker login` again' });
  }
}

const runHelperWithExeca: CredentialHelperRunner = async (helper, serverUrl) => {
  const { execa } = await import('execa'); // only when a helper is configured: most runs never load execa
  const result = await execa(`docker-credential-${helper}`, ['get'], { input: serverUrl, reject: false, timeout: 30_000, stripFinalNewline: true });
  if (result.failed && (result as { code?: string }).code === 'ENOENT') {
    const error = new Error(`docker-credential-${helper} not found`) as NodeJS.ErrnoException;
    error.code = 'ENOENT';
    throw error;
  }
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout ?? '') };
};

async function fromHelper(
  helper: string,
  registry: string,
  file: string,
  setting: string,
  run: CredentialHelperRunner,
): Promise<RegistryCredentials | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) throw usageError(`${file}: ${setting} names an invalid credential helper "${helper}"`);
  const serverUrl = hostAliases(registry).includes(DOCKER_HUB) ? DOCKER_HUB_AUTH_KEY : registry;
  let result: { exitCode: number; stdout: string };
  try {
    result = await run(helper, serverUrl);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw stepError(`credential helper docker-credential-${helper} (${setting} in ${file}) is not installed`, {
        hint: `install docker-credential-${helper}, or remove ${setting} from ${file} and run \`docker login\` again`,
      });
    }
    throw stepError(`credential helper docker-credential-${helper} failed for ${registry}`);
  }
  // A helper that has nothing for this server exits non-zero ("credentials not found"): anonymous.
  if (result.exitCode !== 0) return undefined;
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(result.stdout) as { Username?: unknown; Secret?: unknown };
  } catch {
    throw stepError(`credential helper docker-credential-${helper} printed something that is not JSON for ${registry}`);
  }
  const username = typeof parsed.Username === 'string' ? parsed.Username : undefined;
  const secret = typeof parsed.Secret === 'string' ? parsed.Secret : undefined;
  if (secret === undefined || secret === '') return undefined;
  if (username === '<token>') {
    registerSecret(secret);
    return { identityToken: secret };
  }
  registerCredentialSecrets(username, secret);
  return { username, password: secret };
}

function fromAuthsEntry(entry: NonNullable<DockerConfigFile['auths']>[string], registry: string, file: string): RegistryCredentials | undefined {
  if (entry.auth !== undefined && entry.auth !== '') {
    registerSecret(entry.auth);
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1)
      throw usageError(`${file}: the auth entry for ${registry} is not base64 of "user:password"`, { hint: `run \`docker login ${registry}\` again` });
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    registerCredentialSecrets(username, password);
    const credentials: RegistryCredentials = { username, password };
    if (entry.identitytoken) {
      registerSecret(entry.identitytoken);
      credentials.identityToken = entry.identitytoken;
    }
    return credentials;
  }
  if (entry.identitytoken) {
    registerSecret(entry.identitytoken);
    return { identityToken: entry.identitytoken };
  }
  if (entry.username !== undefined && entry.password !== undefined) {
    registerCredentialSecrets(entry.username, entry.password);
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}

/**
 * Credentials for `registry` (`host[:port]`, `docker.io` for Docker Hub) from the Docker config:
 * `credHelpers[host]` first, then `credsStore`, then the `auths` entry. Undefined when there are
 * none (anonymous access). Errors never contain a secret.
 */
export async function credentialsFromDockerConfig(registry: string, options: DockerConfigOptions = {}): Promise<RegistryCredentials | undefined> {
  const dir = options.configDir ?? dockerConfigDir(options.env ?? process.env);
  const file = path.join(dir, 'config.json');
  const config = await readConfig(file);
  if (config === undefined) return undefined;
  const run = options.runHelper ?? runHelperWithExeca;
  const helper = lookup(config.credHelpers, registry);
  if (helper !== undefined && helper !== '') return fromHelper(helper, registry, file, `credHelpers["${registry}"]`, run);
  if (config.credsStore !== undefined && config.credsStore !== '') {
    const stored = await fromHelper(config.credsStore, registry, file, 'credsStore', run);
    if (stored !== undefined) return stored;
  }
  const entry = lookup(config.auths, registry);
  return entry === undefined ? undefined : fromAuthsEntry(entry, registry, file);
}
