import type { Generated, Insertable, Selectable } from 'kysely';

/** Backup packages (migration 0002). */
export interface PackagesTable {
  id: string;
  name: string;
  /** JSON array of frequencies, e.g. `["daily","weekly"]`. */
  frequencies: string;
  /** 0 = unlimited. */
  max_retention: number;
  /** 0 = unlimited. */
  max_schedules: number;
  storage_quota_bytes: number | null;
  /** Snapshots a customer may mark "keep" (migration 0013). */
  keep_limit: Generated<number>;
  /** ISO 8601 timestamps in UTC. */
  created_at: string;
  updated_at: string;
}

/** Hosting customers (migration 0002). List fields are JSON arrays in text columns. */
export interface CustomersTable {
  id: string;
  name: string;
  linux_user: string;
  uid: number;
  gid: number;
  package_id: string;
  web_root: string;
  /** The MariaDB account (at localhost) that owns the customer's databases. */
  database_user: string | null;
  /** JSON array of database names. */
  databases: string;
  /** JSON array of `{ address, maildir, sieveDir? }`. */
  mailboxes: string;
  /** JSON array of absolute paths. */
  ssl_files: string;
  /** JSON array of absolute paths. */
  config_files: string;
  /** Where the customer hears of a flagged backup (migration 0013). */
  contact_email: Generated<string | null>;
  created_at: string;
  updated_at: string;
  /** The hosting server the customer lives on (migration 0015); `local` in `hostvault serve`. */
  server_id: Generated<string>;
}

export type PackageRow = Selectable<PackagesTable>;
export type NewPackageRow = Insertable<PackagesTable>;
export type CustomerRow = Selectable<CustomersTable>;
export type NewCustomerRow = Insertable<CustomersTable>;
