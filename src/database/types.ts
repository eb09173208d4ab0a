/**
 * Shared types of the database module: how to reach the MariaDB server, and the errors a caller
 * can show to a customer as they are.
 */

/** How to reach the MariaDB server as an administrator (root by default, over the socket). */
export interface MariaDbConnection {
  /** Unix socket path. Default: the client's configured socket when no host is given. */
  socket?: string;
  /** TCP host; when set (and no socket), the clients connect over TCP. */
  host?: string;
  port?: number;
  /** Administrative account; default `root` (unix_socket authentication over the socket). */
  user?: string;
  /** Password of the administrative account; written only to a 0600 option file, never argv. */
  password?: string;
  /**
   * Host part of the per-customer owner accounts (`hv_<instance>_<customer>@<accountHost>`), which
   * must be the host the server sees our connections come from. Default `localhost` (socket).
   */
  accountHost?: string;
  /**
   * This service's instance id (see instance.ts): part of every owner account's name, so two
   * services sharing one MariaDB server never share an account. Needed for restores.
   */
  instance?: string;
  /**
   * Root-only directory for the clients' option files (passwords). The service uses one in its
   * data directory, which a start after a crash empties; default: the system temp directory.
   */
  sessionDir?: string;
  /** Client programs; default `mariadb` and `mariadb-dump` from PATH. */
  clientBinary?: string;
  dumpBinary?: string;
}

export type LogFn = (line: string) => void;

export type DatabaseErrorKind =
  | 'dump-failed'
  | 'restore-failed'
  | 'rejected-dump'
  | 'not-allowed'
  | 'invalid'
  | 'canceled'
  | 'server';

/** A failure with a message in plain words, safe to show (never contains a secret). */
export class DatabaseError extends Error {
  readonly kind: DatabaseErrorKind;
  /** The database concerned, when there is one. */
  readonly database: string | undefined;
  /** The server's or client's own words, for the execution log. */
  readonly detail: string;

  constructor(kind: DatabaseErrorKind, message: string, database?: string, detail = '') {
    super(message);
    this.name = 'DatabaseError';
    this.kind = kind;
    this.database = database;
    this.detail = detail;
  }
}

/** Database names as hosting panels make them (the inventory's rule). */
export const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;
/** Customer ids (the inventory's rule). */
export const CUSTOMER_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Instance ids: short, and without `_`, so no account name of one instance starts another's. */
export const INSTANCE_ID = /^[a-z0-9]{1,16}$/;

export function assertDatabaseName(name: string): void {
  if (!DATABASE_NAME.test(name)) {
    throw new DatabaseError(
      'invalid',
      `"${name.slice(0, 80)}" is not a valid database name (letters, digits and underscores, up to 64).`,
    );
  }
}
