/**
 * Authorization for one registry host: anonymous until the registry challenges, then Basic or the
 * Bearer token flow (`WWW-Authenticate: Bearer realm=...,service=...,scope=...`), with tokens
 * cached per scope until shortly before they expire. Credentials are read lazily, only when a
 * registry asks for them.
 */
import { abortable } from './abort.js';
import type { RegistryCredentials } from './docker-config.js';
import { assertUrlAllowed, type SchemePolicyOptions } from './insecure-policy.js';
import { registerCredentialSecrets, registerSecret } from './redact.js';
import { responseError, RegistryError } from './registry-error.js';
import { parseJsonObject, RegistryJsonError } from './registry-json.js';
import { findChallenge, parseWwwAuthenticate } from './www-authenticate.js';

export type ScopeAction = 'pull' | 'push' | 'delete';

/** What a request needs: `repository:<name>:<actions>`. */
export interface AuthScope {
  repository: string;
  actions: readonly ScopeAction[];
}

/** `repository:mesh/pilot:pull,push` */
export function formatScope(scope: AuthScope): string {
  return `repository:${scope.repository}:${[...scope.actions].sort().join(',')}`;
}

/** A token endpoint's answer, already read. */
export interface TokenHttpResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Performs one (retried) request to a token realm, aborted by `signal`; supplied by the HTTP layer. */
export type TokenRequester = (request: {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal | undefined;
}) => Promise<TokenHttpResponse>;

export interface RegistryAuthOptions {
  /** The registry as the user names it, for messages and credential lookup. */
  registry: string;
  /** Loads credentials once, when first needed; undefined means anonymous. */
  loadCredentials: () => Promise<RegistryCredentials | undefined>;
  requestToken: TokenRequester;
  /** Which realm URLs may be plain HTTP. */
  schemePolicy?: SchemePolicyOptions;
  /** Clock, for token expiry. Default `Date.now`. */
  now?: () => number;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

/** Tokens are refreshed this long before they expire, so a long upload does not run into expiry. */
const EXPIRY_MARGIN_MS = 10_000;
/** The distribution token spec's default lifetime when `expires_in` is missing. */
const DEFAULT_TOKEN_SECONDS = 60;

function basicValue(credentials: RegistryCredentials): string | undefined {
  if (credentials.username === undefined || credentials.password === undefined) return undefined;
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

export class RegistryAuth {
  private mode: 'anonymous' | 'basic' | 'bearer' = 'anonymous';
  private bearer: { realm: URL; service: string | undefined } | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  /** Token fetches in flight, and the signal of the operation that started each. */
  private readonly pendingTokens = new Map<string, { promise: Promise<string>; signal: AbortSignal | undefined }>();
  private credentials: Promise<RegistryCredentials | undefined> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: RegistryAuthOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether credentials are available (loads them on first call). */
  async hasCredentials(): Promise<boolean> {
    const credentials = await this.loadCredentials();
    return credentials !== undefined;
  }

  private loadCredentials(): Promise<RegistryCredentials | undefined> {
    this.credentials ??= this.options.loadCredentials().then((credentials) => {
      if (credentials !== undefined) {
        registerCredentialSecrets(credentials.username, credentials.password);
        registerSecret(credentials.identityToken);
      }
      return credentials;
    });
    return this.credentials;
  }

  /** The `Authorization` value for a request needing `scopes`, or undefined (anonymous); `signal` ends a token fetch. */
  async authorization(scopes: readonly AuthScope[], signal?: AbortSignal): Promise<string | undefined> {
    if (this.mode === 'basic') {
      const credentials = await this.loadCredentials();
      return credentials === undefined ? undefined : basicValue(credentials);
    }
    if (this.mode === 'bearer') return `Bearer ${await this.token(scopes, undefined, signal)}`;
    return undefined;
  }

  /**
   * Reacts to a 401: learns the scheme from `WWW-Authenticate` and gets fresh credentials or a
   * token. Returns true when the request is worth sending again, false when it is not (no
   * credentials, or the same credentials were just refused).
   */
  async handleChallenge(header: string | undefined, scopes: readonly AuthScope[], sent: string | undefined, signal?: AbortSignal): Promise<boolean> {
    const challenges = parseWwwAuthenticate(header);
    const bearer = findChallenge(challenges, 'bearer');
    if (bearer !== undefined && bearer.params.realm !== undefined) {
      let realm: URL;
      try {
        realm = new URL(bearer.params.realm);
      } catch {
        throw new RegistryError(`registry ${this.options.registry} sent an invalid token realm`, { status: 401 });
      }
      assertUrlAllowed(realm, this.options.schemePolicy);
      this.mode = 'bearer';
      this.bearer = { realm, service: bearer.params.service };
      const key = scopeKey(scopes);
      const cached = this.tokens.get(key);
      // The token we sent was refused (expired, or too narrow): fetch a fresh one. If another
      // request refreshed it meanwhile, just use that. The caller bounds how often this repeats.
      if (cached !== undefined && sent === `Bearer ${cached.value}`) this.tokens.delete(key);
      await this.token(scopes, bearer.params.scope, signal);
      return true;
    }
    if (findChallenge(challenges, 'basic') !== undefined) {
      if (sent?.startsWith('Basic ')) return false;
      const credentials = await this.loadCredentials();
      if (credentials === undefined || basicValue(credentials) === undefined) return false;
      this.mode = 'basic';
      return true;
    }
    return false;
  }

  /**
   * A token for `scopes`: cached, or one fetch shared by every operation that needs it at once. The
   * fetch is aborted with the operation that started it; another still waiting then fetches anew.
   */
  private async token(scopes: readonly AuthScope[], challengeScope: string | undefined, signal: AbortSignal | undefined): Promise<string> {
    const key = scopeKey(scopes);
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expiresAt - EXPIRY_MARGIN_MS > this.now()) return cached.value;
    let pending = this.pendingTokens.get(key);
    if (pending === undefined) {
      const wanted = new Set(scopes.map(formatScope));
      if (challengeScope !== undefined) for (const scope of challengeScope.split(' ')) if (scope !== '') wanted.add(scope);
      const promise: Promise<string> = this.fetchToken([...wanted], scopes, signal).finally(() => {
        if (this.pendingTokens.get(key)?.promise === promise) this.pendingTokens.delete(key);
      });
      pending = { promise, signal };
      this.pendingTokens.set(key, pending);
    }
    const shared = pending;
    try {
      return await abortable(shared.promise, signal);
    } catch (error) {
      if (shared.signal !== signal && shared.signal?.aborted === true && signal?.aborted !== true) return this.token(scopes, challengeScope, signal);
      throw error;
    }
  }

  private async fetchToken(scopeStrings: string[], scopes: readonly AuthScope[], signal: AbortSignal | undefined): Promise<string> {
    const bearer = this.bearer;
    if (bearer === undefined) throw new Error('Internal error: bearer token requested before a challenge');
    const credentials = await this.loadCredentials();
    const repository = scopes[0]?.repository;
    const context = { registry: this.options.registry, repository, what: `get a token for ${repository ?? 'the registry'}` };
    let response: TokenHttpResponse | undefined;
    if (credentials?.identityToken !== undefined) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.identityToken, client_id: 'meshbuild' });
      if (bearer.service !== undefined) form.set('service', bearer.service);
      if (scopeStrings.length > 0) form.set('scope', scopeStrings.join(' '));
      response = await this.options.requestToken({
        method: 'POST',
        url: bearer.realm,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        signal,
      });
      // Token servers without the OAuth2 POST flow answer 404/405: fall back to GET below.
      if (response.status === 404 || response.status === 405) response = undefined;
    }
    if (response === undefined) {
      const url = new URL(bearer.realm);
      if (bearer.service !== undefined) url.searchParams.set('service', bearer.service);
      for (const scope of scopeStrings) url.searchParams.append('scope', scope);
      const headers: Record<string, string> = {};
      const basic = credentials === undefined ? undefined : basicValue(credentials);
      if (basic !== undefined) headers.authorization = basic;
      response = await this.options.requestToken({ method: 'GET', url, headers, signal });
    }
    if (response.status !== 200) {
      throw responseError(context, { ...response, headers: response.headers, attempts: 1, sentCredentials: credentials !== undefined });
    }
    const source = { registry: this.options.registry, what: 'token response', url: `${bearer.realm.origin}${bearer.realm.pathname}` };
    const parsed = parseJsonObject(response.body, source);
    const token = typeof parsed.token === 'string' && parsed.token !== '' ? parsed.token : parsed.access_token;
    if (typeof token !== 'string' || token === '')
      throw new RegistryJsonError(source, 'holds no token (neither "token" nor "access_token" is a non-empty string)');
    registerSecret(token);
    const seconds = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_SECONDS;
    this.tokens.set(scopeKey(scopes), { value: token, expiresAt: this.now() + seconds * 1000 });
    return token;
  }
}

function scopeKey(scopes: readonly AuthScope[]): string {
  return scopes.map(formatScope).sort().join(' ');
}
