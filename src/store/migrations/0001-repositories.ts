import { sql, type Kysely } from 'kysely';
import { withIdColumn } from './portable.js';

// Kysely<unknown>: a migration describes the schema as it was when written, not today's types.
export async function up(db: Kysely<unknown>): Promise<void> {
  await withIdColumn(db, db.schema.createTable('repositories'))
    .addColumn('url', 'text', (col) => col.notNull().unique())
    .addColumn('owner', 'text', (col) => col.notNull())
    .addColumn('target_kind', 'text', (col) => col.notNull())
    .addColumn('password_sealed', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('initialized_at', 'text')
    .addCheckConstraint(
      'repositories_target_kind_check',
      sql`target_kind in ('local', 's3', 'ftp')`,
    )
    .execute();

  await db.schema
    .createIndex('repositories_owner_idx')
    .on('repositories')
    .column('owner')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('repositories').execute();
}
