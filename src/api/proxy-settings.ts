/**
 * How the service is reached when it sits behind reverse proxies (nginx terminating TLS, a load
 * balancer). Without trusted proxies every request's peer is the client: X-Forwarded-* headers
 * are ignored, since any client can send them. With them, a request whose peer is a trusted proxy
 * gets its client address from X-Forwarded-For, read from the right and only as far as the hops
 * are trusted proxies themselves, and its scheme from X-Forwarded-Proto.
 *
 * HOSTVAULT_TRUST_PROXY: addresses or CIDR ranges of the proxies, separated by commas or spaces
 * (e.g. `127.0.0.1` for an nginx on the same host, `10.0.0.0/24`); default none.
 * HOSTVAULT_PUBLIC_URL: the address customers open, e.g. `https://backup.example.net`; signed
 * links carry it, and when it is https the session cookie is always Secure.
 */
import { isIP } from 'node:net';

export interface ProxySettings {
  /** Canonical addresses and ranges of trusted reverse proxies; empty: trust no header. */
  trustedProxies: string[];
  /** Without a trailing slash. */
  publicUrl?: string;
}

export class ProxySettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProxySettingsError';
  }
}

export function loadProxySettings(env: NodeJS.ProcessEnv): ProxySettings {
  return {
    trustedProxies: parseTrustedProxies(env.HOSTVAULT_TRUST_PROXY ?? ''),
    publicUrl: parsePublicUrl(env.HOSTVAULT_PUBLIC_URL ?? ''),
  };
}

export function parseTrustedProxies(value: string): string[] {
  const items = value.split(/[\s,]+/).filter((item) => item.length > 0);
  return [...new Set(items.map(parseProxy))];
}

function parseProxy(item: string): string {
  const [address = '', prefix, extra] = item.split('/');
  const family = isIP(address);
  const bits = family === 4 ? 32 : 128;
  const length = prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (family === 0 || extra !== undefined || !(length >= 0 && length <= bits)) {
    throw new ProxySettingsError(
      `HOSTVAULT_TRUST_PROXY: "${item}" is not an IP address or CIDR range (e.g. 127.0.0.1 or 10.0.0.0/24)`,
    );
  }
  if (length === 0) {
    // Every address a proxy would let every client choose its own address and scheme.
    throw new ProxySettingsError(
      `HOSTVAULT_TRUST_PROXY: "${item}" trusts every address; name your reverse proxies`,
    );
  }
  return prefix === undefined ? address : `${address}/${length}`;
}

function parsePublicUrl(value: string): string | undefined {
  if (value === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (
    !url ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw new ProxySettingsError(
      'HOSTVAULT_PUBLIC_URL must be an http:// or https:// address without user, query or fragment, e.g. https://backup.example.net',
    );
  }
  return url.href.replace(/\/+$/, '');
}
