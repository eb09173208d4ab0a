import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';

/**
 * Kysely's SQLite dialect, with two corrections for a store that several processes share.
 *
 * - Kysely declares SQLite without transactional DDL, so its Migrator runs migrations outside any
 *   transaction: a crash or failure midway leaves half a migration behind. SQLite has
 *   transactional DDL, so say so.
 * - A plain BEGIN is deferred: a transaction that reads, then writes, fails with SQLITE_BUSY at
 *   once (the busy timeout does not help) when another process wrote in between. BEGIN IMMEDIATE
 *   takes the write lock up front, so concurrent writers queue on the busy timeout instead. The
 *   cost, that read-only transactions also queue, is small next to restic's run times.
 */
export class StoreSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
