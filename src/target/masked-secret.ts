/**
 * Stored secrets are shown masked, and a form that sends the mask back means "keep the stored
 * one". That holds only while the secret goes where it went before: a customer who changed the
 * host of a provider-entered FTP login and kept the mask had the provider's password sent to
 * their own server. So the stored secret follows only an unchanged account on an unchanged
 * server; anything else asks for the secret again.
 */
import type { Target } from './schema.js';

export const MASK = '********';

export type Unmasked =
  | { ok: true; target: Target }
  | { ok: false; field: 'password' | 'secretAccessKey'; message: string };

export function hasMask(target: Target): boolean {
  return (
    (target.kind === 's3' && target.secretAccessKey === MASK) ||
    ((target.kind === 'ftp' || target.kind === 'vault') && target.password === MASK)
  );
}

/**
 * The account a secret opens, and how it travels: FTP host, port, user and TLS (without TLS
 * the password crosses the network in clear); S3 endpoint, bucket, path style (without it the
 * bucket is part of the host name) and access key.
 */
function sameAccount(a: Target, b: Target): boolean {
  if (a.kind === 'ftp' && b.kind === 'ftp')
    return (
      a.host === b.host && a.port === b.port && a.user === b.user && a.explicitTls === b.explicitTls
    );
  if (a.kind === 'vault' && b.kind === 'vault') return a.url === b.url && a.user === b.user;
  if (a.kind === 's3' && b.kind === 's3')
    return (
      a.endpoint === b.endpoint &&
      a.bucket === b.bucket &&
      a.pathStyle === b.pathStyle &&
      a.accessKeyId === b.accessKeyId
    );
  return false;
}

/**
 * `target` with a masked secret replaced by the one in `stored`; refused when nothing is stored
 * or the account changed. Targets without the mask pass as they are.
 */
export function unmask(target: Target, stored: Target | undefined): Unmasked {
  if (!hasMask(target)) return { ok: true, target };
  const field = target.kind === 's3' ? 'secretAccessKey' : 'password';
  const secret = field === 'password' ? 'password' : 'secret key';
  if (!stored)
    return { ok: false, field, message: `Enter the ${secret} again to test the connection.` };
  if (!sameAccount(target, stored))
    return { ok: false, field, message: `Enter the ${secret} again for the new server.` };
  if (target.kind === 'ftp' && stored.kind === 'ftp')
    return { ok: true, target: { ...target, password: stored.password } };
  if (target.kind === 'vault' && stored.kind === 'vault')
    return { ok: true, target: { ...target, password: stored.password } };
  if (target.kind === 's3' && stored.kind === 's3')
    return { ok: true, target: { ...target, secretAccessKey: stored.secretAccessKey } };
  return { ok: false, field, message: `Enter the ${secret} again for the new server.` };
}
