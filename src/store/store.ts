import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { StoreSqliteDialect } from './dialect.js';
import { migrateToLatest } from './migrate.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

export type StoreOptions = (
  | { file: string }
  | { memory: true }
  /**
   * A PostgreSQL database (`postgres://user@host/db`): the fleet's controllers share one. The same
   * migrations build it; see migrations/portable.ts for where the two differ.
   */
  | {
      url: string;
      poolSize?: number;
      /** A schema of its own in that database (created if missing); default `public`. */
      schema?: string;
    }
) & {
  /** How long a statement waits for another connection's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
};

export type StoreDialect = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
  /** The database file's absolute path, ':memory:', or the PostgreSQL URL without its password. */
  readonly location: string;
  /** Closes the database; later calls do nothing. */
  close(): Promise<void>;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating if needed) the metadata store and applies pending migrations before returning.
 *
 * Asynchronous because Kysely's Migrator is; nothing may use the store before its schema is
 * current, so there is no way to get a Store that has not been migrated.
 */
export async function openStore(opts: StoreOptions): Promise<Store> {
  let location: string;
  let db: Kysely<Database>;
  let dialect: StoreDialect;
  let schema: string | undefined;
  if ('url' in opts) {
    location = withoutPassword(opts.url);
    dialect = 'postgres';
    if (opts.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(opts.schema))
      throw new Error(`cannot open store: "${opts.schema}" is not a schema name`);
    schema = opts.schema;
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    // An idle connection that PostgreSQL ends (a restart, a failover, an administrator's
    // pg_terminate_backend) is reported as an 'error' event of the pool; unheard, it ended the
    // whole controller (seen in the fleet drill that restarts PostgreSQL mid-job). pg has already
    // dropped that client from the pool and the next query opens a new connection; a query that
    // fails meanwhile reports its own error to its caller.
    pool.on('error', () => undefined);
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    location = 'memory' in opts ? ':memory:' : resolve(opts.file);
    dialect = 'sqlite';
    const sqlite = openSqlite(location, opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
    db = new Kysely<Database>({ dialect: new StoreSqliteDialect({ database: sqlite }) });
  }
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await db.destroy();
  };
  try {
    if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    for (let attempt = 1; ; attempt++) {
      try {
        await migrateToLatest(db, migrations, { schema });
        break;
      } catch (error) {
        // Kysely's migrator looks for its table among the tables of every schema; a schema that
        // another client drops during that query fails it with 3F000 (tests on one PostgreSQL
        // make and drop schemas beside each other). Nothing was migrated then: try again.
        if (attempt < 4 && schemaDroppedMeanwhile(error)) continue;
        throw error;
      }
    }
  } catch (error) {
    await close();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot open store ${location}: ${message}`, { cause: error });
  }
  return { db, dialect, location, close };
}

// Sizes in bytes are bigint columns; pg hands int8 over as a string unless told otherwise. Byte
// counts stay far below 2^53, where a JavaScript number is exact.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
// sum() of bigint columns is numeric: byte totals, read as numbers as SQLite gives them.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

function schemaDroppedMeanwhile(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause)
    if ((e as { code?: unknown }).code === '3F000') return true;
  return false;
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres';
  }
}

function openSqlite(location: string, busyTimeoutMs: number): BetterSqlite3.Database {
  let sqlite: BetterSqlite3.Database | undefined;
  try {
    if (location !== ':memory:') createPrivateFile(location);
    sqlite = new BetterSqlite3(location, { timeout: busyTimeoutMs });
    // WAL lets readers (API, history pages) proceed while a worker writes progress.
    sqlite.pragma('journal_mode = WAL');
    // WAL's default NORMAL may lose the last commits on power failure. A lost row could be the
    // only copy of a repository's password, written just before `restic init`, so pay for FULL.
    sqlite.pragma('synchronous = FULL');
    // SQLite leaves foreign keys off unless asked, per connection.
    sqlite.pragma('foreign_keys = ON');
    return sqlite;
  } catch (error) {
    sqlite?.close();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot open store ${location}: ${message}`, { cause: error });
  }
}

/**
 * The store holds customer metadata and sealed secrets: create it (and a missing data directory)
 * for root's eyes only. SQLite gives its -wal and -shm files the database file's mode. An
 * existing file or directory keeps whatever mode the operator chose.
 */
function createPrivateFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
