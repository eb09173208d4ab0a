/**
 * Password hashes: scrypt with a random salt, in a versioned text form that carries its own cost
 * parameters, so the cost can be raised later without breaking the hashes already stored:
 *
 *   scrypt$1$<log2 N>$<r>$<p>$<salt, base64url>$<hash, base64url>
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptCost {
  /** log2 of scrypt's N (CPU and memory cost). */
  log2N: number;
  r: number;
  p: number;
}

/** About 32 MiB and 50–100 ms per hash on a small server: slow for guessing, fine for sign-in. */
export const DEFAULT_COST: ScryptCost = { log2N: 15, r: 8, p: 1 };

const PREFIX = 'scrypt';
const VERSION = '1';
const SALT_BYTES = 16;
const HASH_BYTES = 32;
// Bounds on what a stored hash may ask for, so a corrupted row cannot make verification eat the
// machine's memory.
const MAX_LOG2_N = 20;
const MAX_R = 32;
const MAX_P = 16;

export async function hashPassword(
  password: string,
  cost: ScryptCost = DEFAULT_COST,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, cost, HASH_BYTES);
  return [
    PREFIX,
    VERSION,
    cost.log2N,
    cost.r,
    cost.p,
    salt.toString('base64url'),
    hash.toString('base64url'),
  ].join('$');
}

/** True if `password` matches `encoded`; false for a wrong password or an unreadable hash. */
export async function verifyPasswordHash(password: string, encoded: string): Promise<boolean> {
  const parsed = parse(encoded);
  if (!parsed) return false;
  const actual = await derive(password, parsed.salt, parsed.cost, parsed.hash.length);
  return timingSafeEqual(actual, parsed.hash);
}

/** Whether a stored hash was made with less than today's cost and should be redone at sign-in. */
export function needsRehash(encoded: string, cost: ScryptCost = DEFAULT_COST): boolean {
  const parsed = parse(encoded);
  return !parsed || parsed.cost.log2N < cost.log2N || parsed.cost.r < cost.r;
}

function parse(encoded: string): { cost: ScryptCost; salt: Buffer; hash: Buffer } | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 7 || parts[0] !== PREFIX || parts[1] !== VERSION) return undefined;
  const [log2N, r, p] = parts.slice(2, 5).map((n) => (/^\d{1,3}$/.test(n) ? Number(n) : NaN));
  if (log2N === undefined || r === undefined || p === undefined) return undefined;
  if (!(log2N >= 1 && log2N <= MAX_LOG2_N && r >= 1 && r <= MAX_R && p >= 1 && p <= MAX_P)) {
    return undefined;
  }
  const salt = Buffer.from(parts[5] ?? '', 'base64url');
  const hash = Buffer.from(parts[6] ?? '', 'base64url');
  // Version 1 fixes both lengths: a truncated hash must not verify against its own prefix.
  if (salt.length !== SALT_BYTES || hash.length !== HASH_BYTES) return undefined;
  return { cost: { log2N, r, p }, salt, hash };
}

function derive(password: string, salt: Buffer, cost: ScryptCost, length: number): Promise<Buffer> {
  const N = 2 ** cost.log2N;
  const options: ScryptOptions = {
    N,
    r: cost.r,
    p: cost.p,
    // Node refuses more than 32 MiB unless told; scrypt needs 128 * N * r bytes, plus headroom.
    maxmem: 128 * N * cost.r * cost.p + 16 * 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}
