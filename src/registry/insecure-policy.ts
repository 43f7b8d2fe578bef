/**
 * Which registries may be spoken to over plain HTTP: loopback addresses (127.0.0.0/8, `localhost`,
 * `[::1]`, and `*.localhost` names that resolve only to loopback) and the hosts a user names with
 * `--insecure-registry`. Every other host uses HTTPS.
 */
import { lookup } from 'node:dns/promises';
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

/**
 * 127.0.0.0/8, `localhost` (and `*.localhost`), `::1` / `[::1]`. The port, if any, is ignored.
 * A `*.localhost` name is loopback by name only: before plain HTTP goes to one, requests check
 * that it resolves to loopback ({@link assertLoopbackResolves}).
 */
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

/** Resolves a host name to its addresses. */
export type HostLookup = (host: string) => Promise<string[]>;

const systemLookup: HostLookup = async (host) => (await lookup(host, { all: true })).map((entry) => entry.address);
const resolvedHosts = new Map<string, Promise<void>>();

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (`::ffff:127.0.0.1`). */
export function isLoopbackAddress(ip: string): boolean {
  const address = ip.toLowerCase().replace(/^::ffff:/, '');
  if (address === '::1' || address === '0:0:0:0:0:0:0:1') return true;
  const octets = address.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255);
}

/**
 * Throws a usage error when `address` is a `*.localhost` name (not listed insecure) that resolves
 * to anything but loopback addresses, or to nothing: plain HTTP to it could leave the machine.
 * Other hosts pass untouched. Answers from the system resolver are kept for the process.
 */
export async function assertLoopbackResolves(address: string, options: SchemePolicyOptions = {}, resolve?: HostLookup): Promise<void> {
  const { host } = splitHostPort(address);
  if (!host.endsWith('.localhost') || isListedInsecure(address, options.insecureRegistries)) return;
  if (resolve !== undefined) return checkLoopback(address, host, resolve);
  let check = resolvedHosts.get(host);
  if (check === undefined) {
    check = checkLoopback(address, host, systemLookup);
    resolvedHosts.set(host, check);
  }
  return check;
}

async function checkLoopback(address: string, host: string, resolve: HostLookup): Promise<void> {
  const addresses = await resolve(host).catch(() => [] as string[]);
  if (addresses.length > 0 && addresses.every(isLoopbackAddress)) return;
  const found = addresses.length === 0 ? 'does not resolve' : `resolves to ${addresses.join(', ')}`;
  throw usageError(`refusing plain HTTP to registry ${address}: ${host} ${found}, so it is not a loopback registry`, {
    hint: `if ${address} really serves plain HTTP, pass --insecure-registry ${address}`,
  });
}
