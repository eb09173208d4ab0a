/**
 * Where a customer's target may point. restic, rclone and the connection test talk to whatever
 * server a target names, from inside the provider's network: left open, a customer's S3
 * endpoint `http://127.0.0.1:8420` made restic send requests to this service's own API, and an
 * FTP target told open ports on loopback from closed ones. So a customer's target may not lead
 * to loopback, link-local, private (RFC 1918, CGNAT, IPv6 ULA), unspecified, multicast or
 * broadcast addresses, nor to this server's own addresses, unless the provider allows them
 * (HOSTVAULT_TARGET_ALLOW); HOSTVAULT_TARGET_DENY adds networks of the provider's own.
 *
 * Host names are resolved and every address they resolve to is checked: at Test connection, at
 * save and again before each run, since DNS can change in between. What remains: restic and
 * rclone resolve the name once more themselves, so a name whose answer changes between our
 * check and their connection (DNS rebinding), or a server that redirects their HTTP requests,
 * still reaches an address that was never checked. Closing that needs their connections to go
 * through a proxy that checks each one; until then the checks keep the door shut for every
 * target that does not play such tricks, and for all of them at save.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP, isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { chosenByProvider } from './origin.js';
import type { Target } from './schema.js';

/** Networks a customer's target may not reach unless the provider allows them. */
const DEFAULT_DENY = [
  '0.0.0.0/8', // "this network", 0.0.0.0 itself
  '10.0.0.0/8',
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8',
  '169.254.0.0/16', // link-local, cloud metadata services (169.254.169.254)
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, 255.255.255.255 broadcast among them
  '::/128',
  '::1/128',
  'fe80::/10', // link-local
  'fec0::/10', // site-local (deprecated, still routed inside some networks)
  'fc00::/7', // unique local
  'ff00::/8', // multicast
];

export interface Network {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export class AddressSettingError extends Error {
  override readonly name = 'AddressSettingError';
}

/**
 * "127.0.0.1/32,10.0.5.0/24, fd00::/8" → networks; an address without a prefix is that one
 * address. An entry that is neither is an error naming the setting, raised at start.
 */
export function parseNetworks(text: string | undefined, setting: string): Network[] {
  const networks: Network[] = [];
  for (const entry of (text ?? '').split(',').map((e) => e.trim())) {
    if (!entry) continue;
    const [address = '', prefixText, ...rest] = entry.split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (
      family === 0 ||
      rest.length > 0 ||
      (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) ||
      prefix > max
    )
      throw new AddressSettingError(
        `${setting}: "${entry}" is not an address or a network such as 10.0.5.0/24 or fd00::/8.`,
      );
    networks.push({ address, prefix, family: family === 4 ? 'ipv4' : 'ipv6' });
  }
  return networks;
}

export interface AddressPolicySettings {
  /** Networks customers' targets may reach although the defaults (or this server) refuse them. */
  allow: Network[];
  /** Networks customers' targets may never reach, whatever `allow` says. */
  deny: Network[];
}

export type AddressCheck =
  | { ok: true; /** The addresses the target's server resolved to, checked. */ addresses: string[] }
  | {
      ok: false;
      reason: 'refused' | 'not-found';
      /** The target's field that names the server: `host` (FTP) or `endpoint` (S3). */
      field: 'host' | 'endpoint';
      /** In the customer's words; never names the addresses a name resolved to. */
      message: string;
    };

/** A run refused because its target leads where customers' targets may not go. */
export class TargetRefusedError extends Error {
  override readonly name = 'TargetRefusedError';
}

export interface AddressPolicyDeps {
  /** Every address a name resolves to; the system resolver by default. */
  resolve?: (host: string) => Promise<string[]>;
  /** This server's own addresses; its network interfaces by default. */
  ownAddresses?: () => string[];
}

const RESOLVE_MS = 10_000;

export class AddressPolicy {
  private readonly defaults = blockList(parseNetworks(DEFAULT_DENY.join(','), 'defaults'));
  private readonly allow: BlockList;
  private readonly deny: BlockList;
  private readonly resolve: (host: string) => Promise<string[]>;
  private readonly ownAddresses: () => string[];

  constructor(settings: AddressPolicySettings, deps: AddressPolicyDeps = {}) {
    this.allow = blockList(settings.allow);
    this.deny = blockList(settings.deny);
    this.resolve = deps.resolve ?? resolveAll;
    this.ownAddresses = deps.ownAddresses ?? interfaceAddresses;
  }

  /** Whether a customer's target may be used: every address of every server it names. */
  async check(target: Target): Promise<AddressCheck> {
    const servers = serversOf(target);
    const addresses: string[] = [];
    for (const server of servers) {
      let found: string[];
      try {
        found = isIP(server.host) ? [server.host] : await this.resolve(server.host);
      } catch {
        found = [];
      }
      if (found.length === 0) {
        // The S3 bucket's own name (virtual-hosted style) often does not resolve at all; only
        // the server itself must.
        if (server.optional) continue;
        return {
          ok: false,
          reason: 'not-found',
          field: server.field,
          message: `The server name ${server.host} could not be found. Check the spelling of the address.`,
        };
      }
      if (found.some((address) => !this.permits(address)))
        return {
          ok: false,
          reason: 'refused',
          field: server.field,
          message: `Backups cannot go to ${server.host}: it leads to this server or to a private network. Enter the address of a server on the internet.`,
        };
      if (!server.optional) addresses.push(...found);
    }
    return { ok: true, addresses };
  }

  /**
   * Before a run: a target the provider chose passes (its text was checked when it was read,
   * see locate()); a customer's must lead to permitted addresses at this moment.
   */
  async admit(target: Target): Promise<void> {
    if (target.kind === 'local' || chosenByProvider(target)) return;
    const verdict = await this.check(target);
    if (!verdict.ok) throw new TargetRefusedError(verdict.message);
  }

  permits(address: string): boolean {
    const candidates = [address, ...embeddedIpv4(address)];
    if (candidates.some((a) => matches(this.deny, a))) return false;
    const own = new Set(this.ownAddresses().map(canonical));
    return candidates
      .filter((a) => matches(this.defaults, a) || own.has(canonical(a)))
      .every((a) => matches(this.allow, a));
  }
}

interface Server {
  host: string;
  field: 'host' | 'endpoint';
  optional: boolean;
}

/** The servers a target makes restic or rclone connect to. */
function serversOf(target: Target): Server[] {
  switch (target.kind) {
    case 'local':
      return [];
    case 'ftp':
      return [{ host: unbracket(target.host), field: 'host', optional: false }];
    case 'vault':
      return [{ host: unbracket(new URL(target.url).hostname), field: 'host', optional: false }];
    case 's3': {
      const host = unbracket(new URL(target.endpoint).hostname);
      const servers: Server[] = [{ host, field: 'endpoint', optional: false }];
      // Without path-style URLs, rclone (the test's clean-up) asks `<bucket>.<host>`.
      if (!target.pathStyle && !isIP(host))
        servers.push({ host: `${target.bucket}.${host}`, field: 'endpoint', optional: true });
      return servers;
    }
  }
}

function unbracket(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

async function resolveAll(host: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('lookup timed out')), RESOLVE_MS);
  });
  try {
    const found = await Promise.race([lookup(host, { all: true, verbatim: true }), timeout]);
    return found.map((entry) => entry.address);
  } finally {
    clearTimeout(timer);
  }
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((entry) => entry.address.replace(/%.*$/, ''));
}

function blockList(networks: Network[]): BlockList {
  const list = new BlockList();
  for (const n of networks) list.addSubnet(n.address, n.prefix, n.family);
  return list;
}

function matches(list: BlockList, address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** One spelling per address, so `::ffff:127.0.0.1` and `0:0::1` compare as themselves. */
function canonical(address: string): string {
  if (isIPv4(address)) return address;
  const groups = ipv6Groups(address);
  return groups ? groups.map((g) => g.toString(16)).join(':') : address;
}

/**
 * IPv4 addresses carried inside an IPv6 one, which reach the IPv4 host: mapped (::ffff:a.b.c.d,
 * also checked by BlockList itself), compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4
 * (2002:aabb:ccdd::/48).
 */
export function embeddedIpv4(address: string): string[] {
  if (isIP(address) !== 6) return [];
  const g = ipv6Groups(address);
  if (!g) return [];
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const found: string[] = [];
  if (zeros(0, 5) && (g[5] === 0xffff || g[5] === 0) && (g[6] !== 0 || g[7]! > 1))
    found.push(v4(g[6]!, g[7]!));
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) found.push(v4(g[6]!, g[7]!));
  if (g[0] === 0x2002) found.push(v4(g[1]!, g[2]!));
  return found;
}

/** The eight 16-bit groups of an IPv6 address, or undefined if it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    if (!isIPv4(dotted[1])) return undefined;
    const [a, b, c, d] = dotted[1].split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const part = (s: string | undefined) => (s ? s.split(':') : []);
  const head = part(halves[0]);
  const tail = part(halves[1]);
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0) return undefined;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...tail].map((h) =>
    /^[0-9a-f]{1,4}$/i.test(h) ? Number.parseInt(h, 16) : Number.NaN,
  );
  return groups.length === 8 && groups.every((n) => !Number.isNaN(n)) ? groups : undefined;
}
