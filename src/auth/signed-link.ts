/**
 * Signed links: the hosting panel asks for one and sends the customer's browser to it, which
 * opens the Backups page signed in as that customer. The link carries its customer, expiry and a
 * random nonce, MACed with a key derived from the master key, so nothing needs to be stored to
 * issue one; only redeeming writes the nonce (see AuthService.redeemLink).
 *
 *   v1.<customer id, base64url>.<expiry, unix seconds>.<nonce, base64url>.<HMAC-SHA256, base64url>
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** Links live minutes, not hours: they travel in URLs, which end up in browser history. */
export const MAX_LINK_TTL_SECONDS = 300;

const VERSION = 'v1';
// Distinct from the keyring's info string, so the two keys are independent.
const HKDF_INFO = 'hostvault signed link v1 hmac-sha256';

export interface LinkClaims {
  customerId: string;
  expiresAt: Date;
  nonce: string;
}

export type LinkCheck =
  | { ok: true; claims: LinkClaims }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

export class LinkSigner {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), HKDF_INFO, 32));
  }

  sign(customerId: string, ttlSeconds: number, now: Date): { token: string; expiresAt: Date } {
    if (customerId.length === 0) throw new RangeError('a signed link needs a customer id');
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_LINK_TTL_SECONDS) {
      throw new RangeError(`a signed link lives 1 to ${MAX_LINK_TTL_SECONDS} seconds`);
    }
    const expiry = Math.floor(now.getTime() / 1000) + ttlSeconds;
    const nonce = randomBytes(16).toString('base64url');
    const customer = Buffer.from(customerId, 'utf8').toString('base64url');
    const body = [VERSION, customer, String(expiry), nonce];
    const token = [...body, this.mac(body).toString('base64url')].join('.');
    return { token, expiresAt: new Date(expiry * 1000) };
  }

  check(token: string, now: Date): LinkCheck {
    const parts = token.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) return { ok: false, reason: 'malformed' };
    const [, customer = '', expiry = '', nonce = '', mac = ''] = parts;
    if (!/^\d{1,12}$/.test(expiry) || !/^[\w-]{1,64}$/.test(nonce) || !/^[\w-]+$/.test(customer)) {
      return { ok: false, reason: 'malformed' };
    }
    const given = Buffer.from(mac, 'base64url');
    const expected = this.mac(parts.slice(0, 4));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'bad-signature' };
    }
    const expiresAt = new Date(Number(expiry) * 1000);
    if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'expired' };
    const customerId = Buffer.from(customer, 'base64url').toString('utf8');
    return { ok: true, claims: { customerId, expiresAt, nonce } };
  }

  private mac(parts: string[]): Buffer {
    // The parts are base64url and digits, so '.' cannot occur inside one: the join is unambiguous.
    return createHmac('sha256', this.key).update(parts.join('.')).digest();
  }
}
