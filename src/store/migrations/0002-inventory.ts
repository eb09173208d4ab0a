import { sql, type Kysely } from 'kysely';

/**
 * The hosting inventory: packages and customers. A customer's list fields (databases, mailboxes,
 * SSL files, configuration files) are JSON arrays in text columns: they are always read and
 * written with their customer, never queried on their own, and the service checks what must be
 * unique across customers (a database, a mailbox, a path) before it writes.
 *
 * uid, gid and the quota are bigint: they go beyond PostgreSQL's 32-bit integer.
 */
// Kysely<unknown>: a migration describes the schema as it was when written, not today's types.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('packages')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('frequencies', 'text', (col) => col.notNull())
    .addColumn('max_retention', 'integer', (col) => col.notNull())
    .addColumn('max_schedules', 'integer', (col) => col.notNull())
    .addColumn('storage_quota_bytes', 'bigint')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addCheckConstraint('packages_max_retention_check', sql`max_retention >= 0`)
    .addCheckConstraint('packages_max_schedules_check', sql`max_schedules >= 0`)
    .execute();

  await db.schema
    .createTable('customers')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('linux_user', 'text', (col) => col.notNull())
    .addColumn('uid', 'bigint', (col) => col.notNull())
    .addColumn('gid', 'bigint', (col) => col.notNull())
    // A package in use cannot be deleted: its customers would lose their limits.
    .addColumn('package_id', 'text', (col) =>
      col.notNull().references('packages.id').onDelete('restrict'),
    )
    .addColumn('web_root', 'text', (col) => col.notNull())
    .addColumn('database_user', 'text')
    .addColumn('databases', 'text', (col) => col.notNull())
    .addColumn('mailboxes', 'text', (col) => col.notNull())
    .addColumn('ssl_files', 'text', (col) => col.notNull())
    .addColumn('config_files', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();

  await db.schema
    .createIndex('customers_package_id_idx')
    .on('customers')
    .column('package_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('customers').execute();
  await db.schema.dropTable('packages').execute();
}
