/**
 * Which registries may be spoken to over plain HTTP: loopback addresses (127.0.0.0/8, `localhost`,
 * `[::1]`) and the hosts a user names with `--insecure-registry`. Every other host uses HTTPS.
 */
import { usageError } from '../errors.js';

export type RegistryScheme = 'http' | 'https';

export interface SchemePolicyOptions {
  /** Hosts (`host` or `host:port`) the user allows plain HTTP for. Default none. */
  insecureRegistries?: readonly string[];
  /** Ask for plain HTTP explicitly; refused (usage error) unless the host may use it. Default false. */
  plainHttp?: boolean;
}

/** Splits `host[:port]` (with `[v6]` brackets) into a lower-cased host (brackets kept) and port. */
export function splitHostPort(address: string): { host: string; port: string | undefined } {
  const text = address.trim().toLowerCase();
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    const host = close === -1 ? text : text.slice(0, close + 1);
    const rest = close === -1 ? '' : text.slice(close + 1);
    return { host, port: rest.startsWith(':') ? rest.slice(1) : undefined };
  }
  const colon = text.lastIndexOf(':');
  if (colon !== -1 && text.indexOf(':') === colon) return { host: text.slice(0, colon), port: text.slice(colon + 1) };
  return { host: text, port: undefined };
}

/** 127.0.0.0/8, `localhost` (and `*.localhost`), `::1` / `[::1]`. The port, if any, is ignored. */
export function isLoopbackHost(address: string): boolean {
  const { host } = splitHostPort(address);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '[::1]' || host === '::1' || host === '[0:0:0:0:0:0:0:1]') return true;
  const octets = host.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255);
}

/** True when `address` is listed (an entry without a port matches every port of its host). */
export function isListedInsecure(address: string, insecureRegistries: readonly string[] = []): boolean {
  const target = splitHostPort(address);
  return insecureRegistries.some((entry) => {
    const listed = splitHostPort(entry.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, ''));
    return listed.host === target.host && (listed.port === undefined || listed.port === target.port);
  });
}

/** True when plain HTTP is allowed for `address`. */
export function allowsPlainHttp(address: string, options: SchemePolicyOptions = {}): boolean {
  return isLoopbackHost(address) || isListedInsecure(address, options.insecureRegistries);
}

/**
 * The scheme to use for a registry: `http` for loopback and listed insecure registries, `https`
 * for the rest. Asking for `plainHttp` to any other host is a usage error naming `--insecure-registry`.
 */
export function registryScheme(address: string, options: SchemePolicyOptions = {}): RegistryScheme {
  if (allowsPlainHttp(address, options)) return 'http';
  if (options.plainHttp) throw refusePlainHttp(address);
  return 'https';
}

/** The usage error for plain HTTP to a host that is neither loopback nor listed as insecure. */
export function refusePlainHttp(address: string): Error {
  return usageError(`refusing plain HTTP to registry ${address}: only loopback registries and --insecure-registry hosts may use it`, {
    hint: `if ${address} really serves plain HTTP, pass --insecure-registry ${address}`,
  });
}

/** `http://127.0.0.1:5555` or `https://gcr.io`: the origin the distribution API lives under. */
export function registryOrigin(apiHost: string, options: SchemePolicyOptions = {}): string {
  return `${registryScheme(apiHost, options)}://${apiHost}`;
}

/** Throws the usage error when a URL the registry handed us (redirect, token realm) would use HTTP unsafely. */
export function assertUrlAllowed(url: URL, options: SchemePolicyOptions = {}): void {
  if (url.protocol === 'https:') return;
  if (url.protocol !== 'http:') throw usageError(`registry sent an unsupported URL scheme: ${url.protocol}`);
  if (!allowsPlainHttp(url.host, options)) throw refusePlainHttp(url.host);
}
