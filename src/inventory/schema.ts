/**
 * The hosting inventory: what each customer owns on this server. A hosting panel syncs it by
 * importing a YAML or JSON document of this shape; the CLI and the admin API edit it.
 */
import { isAbsolute, normalize } from 'node:path';
import { z } from 'zod';
import { noControlCharacters, singleLine } from '../control-characters.js';
import { InvalidServerIdError, validateServerId } from '../fleet/subjects.js';

export const FREQUENCIES = ['hourly', 'daily', 'weekly', 'monthly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** An absolute, normalized server path; existence is checked by the inventory service. */
export const serverPath = singleLine('The path')
  .min(1, 'Enter a path.')
  .max(4096, 'The path is too long.')
  .refine((p) => isAbsolute(p), 'The path must be absolute (start with /).')
  .refine((p) => !p.split('/').includes('..'), 'The path must not contain "..".')
  // overwrite, not transform: still a string, so the API's documents can say so.
  .overwrite((p) => normalize(p).replace(/(.)\/+$/, '$1'));

export const customerId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'A customer id may contain only lower-case letters, digits, dashes and underscores (up to 63).',
  )
  .refine((id) => id !== 'server', '"server" is reserved for server-wide backups.');

/** MariaDB database names as hosting panels make them (letters, digits, underscore). */
export const databaseName = z
  .string()
  .regex(
    /^[A-Za-z0-9_]{1,64}$/,
    'A database name may contain only letters, digits and underscores (up to 64).',
  );

/** A MariaDB account name (the host part is always `localhost`). */
export const databaseUser = z
  .string()
  .regex(
    /^[A-Za-z0-9_.-]{1,80}$/,
    'A database user may contain only letters, digits, dots, dashes and underscores (up to 80).',
  )
  // hostvault's own restore accounts are named hostvault_<customer>: a customer's account with
  // such a name would be locked by the next database restore.
  .refine(
    (name) => !name.toLowerCase().startsWith('hostvault_'),
    'Database user names beginning with "hostvault_" are reserved.',
  );

export const packageSchema = z.object({
  id: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9_-]{0,62}$/,
      'A package id may contain only lower-case letters, digits, dashes and underscores.',
    ),
  name: singleLine('The package name').min(1).max(100),
  /** Frequencies customers of this package may choose. */
  frequencies: z.array(z.enum(FREQUENCIES)).min(1, 'Allow at least one frequency.'),
  /** Most snapshots one schedule may keep; 0 = unlimited. */
  maxRetention: z.number().int().min(0).max(10_000),
  /** Most schedules a customer may have; 0 = unlimited. */
  maxSchedules: z.number().int().min(0).max(1_000),
  /** Backup storage quota in bytes over all of the customer's repositories; absent = none. */
  storageQuotaBytes: z.number().int().positive().optional(),
  /**
   * Snapshots a customer may mark "keep" (src/repository/snapshot-holds.ts); absent: 3
   * (DEFAULT_KEEP_LIMIT), 0: none.
   */
  keepLimit: z.number().int().min(0).max(100).optional(),
});

/** Snapshots a customer may keep when the package does not say: a few, so keeps cannot outgrow quotas. */
export const DEFAULT_KEEP_LIMIT = 3;

export const mailboxSchema = z.object({
  address: z
    .string()
    .refine(...noControlCharacters('The e-mail address'))
    .email('Enter a valid e-mail address.')
    .max(320),
  maildir: serverPath,
  sieveDir: serverPath.optional(),
});

/** A hosting server's name: one NATS subject token (src/fleet/subjects.ts says why). */
export const serverName = z.string().superRefine((name, ctx) => {
  try {
    validateServerId(name);
  } catch (error) {
    if (!(error instanceof InvalidServerIdError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
});

export const customerSchema = z.object({
  id: customerId,
  /**
   * The hosting server the customer lives on, whose agent runs its backups and restores; absent:
   * the implicit server `local` (that of `hostvault serve`, or a controller's default server).
   */
  server: serverName.optional(),
  /** Reaches notification e-mails' subject lines. */
  name: singleLine('The customer name').min(1).max(200),
  /** The Linux account that owns the customer's files. */
  linuxUser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'Enter a valid Linux user name.'),
  uid: z.number().int().min(0).max(4_294_967_294),
  gid: z.number().int().min(0).max(4_294_967_294),
  packageId: singleLine('The package id').min(1),
  webRoot: serverPath,
  databases: z.array(databaseName).default([]),
  /**
   * The MariaDB account (at localhost) that owns the customer's databases and is the definer of
   * their views, triggers and routines; absent when the panel does not say.
   */
  databaseUser: databaseUser.optional(),
  mailboxes: z.array(mailboxSchema).default([]),
  /** Certificate and key files (PEM). */
  sslFiles: z.array(serverPath).default([]),
  /** Nginx vhosts, PHP-FPM pools and similar files that belong to this customer. */
  configFiles: z.array(serverPath).default([]),
  /** Where the customer is told about a backup the mass-change guard flagged; absent: nobody. */
  contactEmail: z
    .string()
    .refine(...noControlCharacters('The contact e-mail address'))
    .email('Enter a valid e-mail address.')
    .max(320)
    .optional(),
});

export const inventorySchema = z.object({
  packages: z.array(packageSchema).default([]),
  customers: z.array(customerSchema).default([]),
});

export type Package = z.infer<typeof packageSchema>;
export type Mailbox = z.infer<typeof mailboxSchema>;
export type Customer = z.infer<typeof customerSchema>;
export type Inventory = z.infer<typeof inventorySchema>;
