/**
 * Where repositories live. One schema serves the API, the store and the engine adapter, so a
 * target means the same thing everywhere.
 */
import { isAbsolute, normalize } from 'node:path';
import { z } from 'zod';
import { multiLine, singleLine } from '../control-characters.js';

// Every text field refuses control characters first: each one reaches rclone, restic, an FTP or
// S3 server, or a log line, where a line break starts a new command.

const absolutePath = singleLine('The path')
  .min(1, 'Enter a directory path.')
  .max(4096)
  .refine((p) => isAbsolute(p), 'The path must be absolute (start with /).')
  .refine((p) => !p.split('/').includes('..'), 'The path must not contain "..".')
  .transform((p) => normalize(p).replace(/\/+$/, '') || '/');

/** A relative directory on a remote target ("backups/web01"); never climbs out of its root. */
const remoteDir = singleLine('The directory')
  .max(1024)
  .refine((p) => !p.split('/').includes('..'), 'The directory must not contain "..".')
  .transform((p) =>
    p
      .split('/')
      .filter((part) => part && part !== '.')
      .join('/'),
  );

const hostName = singleLine('The server name')
  .min(1, 'Enter the server name or address.')
  .max(253)
  .regex(
    /^[A-Za-z0-9.:\-[\]]+$/,
    'The server name may contain only letters, digits, dots, dashes and colons.',
  );

export const localTargetSchema = z.object({
  kind: z.literal('local'),
  /** Repositories go to `<path>/<owner>`. */
  path: absolutePath,
});

export const s3TargetSchema = z.object({
  kind: z.literal('s3'),
  endpoint: singleLine('The endpoint')
    .url('The endpoint must be a URL such as https://s3.example.com.')
    .refine((u) => /^https?:\/\//.test(u), 'The endpoint must start with https:// or http://.')
    .transform((u) => u.replace(/\/+$/, '')),
  region: singleLine('The region')
    .max(64)
    .regex(/^[a-z0-9-]*$/, 'The region may contain only lower-case letters, digits and dashes.')
    .default(''),
  bucket: singleLine('The bucket name')
    .min(3, 'The bucket name needs at least 3 characters.')
    .max(63)
    .regex(
      /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
      'The bucket name may contain only lower-case letters, digits, dots and dashes.',
    ),
  prefix: remoteDir.default(''),
  accessKeyId: singleLine('The access key').min(1, 'Enter the access key.').max(256),
  secretAccessKey: singleLine('The secret key').min(1, 'Enter the secret key.').max(1024),
  /** Path-style URLs (https://host/bucket) for MinIO, Ceph and most self-hosted stores. */
  pathStyle: z.boolean().default(false),
  /** PEM text of a CA that signed a private endpoint's certificate. */
  caCert: multiLine('The CA certificate')
    .max(65536)
    .refine(
      (pem) => pem.includes('-----BEGIN CERTIFICATE-----'),
      'The CA certificate must be in PEM format.',
    )
    .optional(),
});

export const ftpTargetSchema = z.object({
  kind: z.literal('ftp'),
  host: hostName,
  port: z.number().int().min(1).max(65535).default(21),
  user: singleLine('The user name').min(1, 'Enter the FTP user name.').max(256),
  password: singleLine('The password').min(1, 'Enter the FTP password.').max(1024),
  baseDir: remoteDir.default(''),
  /** FTPS with AUTH TLS on the normal port. */
  explicitTls: z.boolean().default(false),
  /**
   * Simultaneous connections the FTP server allows this user. rclone and restic are both held to
   * it: rclone's FTP concurrency below restic's connection count deadlocks.
   */
  connections: z.number().int().min(1).max(16).default(2),
});

const pemCertificate = (what: string) =>
  multiLine(what)
    .max(65536)
    .refine((pem) => pem.includes('-----BEGIN CERTIFICATE-----'), `${what} must be in PEM format.`);

/**
 * A hostvault vault (`hostvault vault`): rclone's restic REST server in append-only mode on a
 * trusted host, in front of the real target. The agent's own credential lets it add and read,
 * never delete or rewrite, and only below `/<user>/`; retention and prune run on the vault.
 */
export const vaultTargetSchema = z.object({
  kind: z.literal('vault'),
  /** The vault's origin, https only: the credential must never cross the network in clear. */
  url: singleLine('The vault address')
    .url('The vault address must be a URL such as https://vault.example.com:8421.')
    .refine((u) => /^https:\/\/[^/@]+\/?$/.test(u), 'The vault address must be https://host:port.')
    .transform((u) => u.replace(/\/+$/, '')),
  /** The agent's name on the vault: its htpasswd user and the first part of its repositories' path. */
  user: singleLine('The vault user')
    .min(1, 'Enter the vault user.')
    .max(64)
    .regex(
      /^[a-z0-9][a-z0-9_-]*$/,
      'The vault user may contain only lower-case letters, digits, dashes and underscores.',
    ),
  password: singleLine('The vault password').min(1, 'Enter the vault password.').max(1024),
  /** PEM text of the vault's CA (the vault's certificate is usually from a private CA). */
  caCert: pemCertificate('The CA certificate').optional(),
});

export const targetSchema = z.discriminatedUnion('kind', [
  localTargetSchema,
  s3TargetSchema,
  ftpTargetSchema,
  vaultTargetSchema,
]);

/**
 * The kinds a schedule takes: every kind, a vault included (the store's kind checks take it
 * since migration 0017). A customer keeps a vault the provider chose but never enters one: see
 * ScheduleService's address check.
 */
export const scheduleTargetSchema = targetSchema;

/** The targets restic reaches directly, with full rights: what a vault fronts, never a vault. */
export const directTargetSchema = z.discriminatedUnion('kind', [
  localTargetSchema,
  s3TargetSchema,
  ftpTargetSchema,
]);

export type LocalTarget = z.infer<typeof localTargetSchema>;
export type S3Target = z.infer<typeof s3TargetSchema>;
export type FtpTarget = z.infer<typeof ftpTargetSchema>;
export type VaultTarget = z.infer<typeof vaultTargetSchema>;
export type Target = z.infer<typeof targetSchema>;
export type TargetKind = Target['kind'];
export type ScheduleTarget = z.infer<typeof scheduleTargetSchema>;
export type DirectTarget = z.infer<typeof directTargetSchema>;

/** Who a repository belongs to: a customer id, or the server itself for server-wide backups. */
export const ownerSchema = z.union([
  z.literal('server'),
  z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9_-]{0,62}$/,
      'A customer id may contain only lower-case letters, digits, dashes and underscores.',
    ),
]);
export type Owner = z.infer<typeof ownerSchema>;

/** The target as the API shows it: everything except its secrets. */
export function publicTarget(target: Target): Record<string, unknown> {
  switch (target.kind) {
    case 'local':
      return { ...target };
    case 's3': {
      const { secretAccessKey: _secret, ...rest } = target;
      return { ...rest, secretAccessKey: '********' };
    }
    case 'ftp':
    case 'vault': {
      const { password: _password, ...rest } = target;
      return { ...rest, password: '********' };
    }
  }
}
