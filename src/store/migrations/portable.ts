import { SqliteAdapter, type CreateTableBuilder, type Kysely } from 'kysely';

/**
 * Adds an `id` integer primary key that the database generates and never reuses.
 *
 * SQLite needs AUTOINCREMENT to avoid handing a deleted row's id to the next row (job history
 * refers to these ids); PostgreSQL spells the same thing as an identity column.
 */
/** Whether a migration runs on SQLite (the embedded store) rather than PostgreSQL (the fleet's). */
export function isSqlite(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}

export function withIdColumn<T extends string>(
  db: Kysely<unknown>,
  table: CreateTableBuilder<T, never>,
): CreateTableBuilder<T, 'id'> {
  if (isSqlite(db)) {
    return table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());
  }
  return table.addColumn('id', 'integer', (col) => col.primaryKey().generatedByDefaultAsIdentity());
}
