import { type Kysely } from 'kysely';

/**
 * Overdue warnings already sent: one row per schedule that is overdue and was notified, keyed by
 * the start of its episode (the last success, or the schedule's creation when it never
 * succeeded). A new success starts a new episode; a restart does not repeat the warning.
 */
// Kysely<unknown>: a migration describes the schema as it was when written, not today's types.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('overdue_warnings')
    .addColumn('schedule_id', 'integer', (col) =>
      col.primaryKey().references('schedules.id').onDelete('cascade'),
    )
    /** The last success (or creation) the schedule was overdue since when warned. */
    .addColumn('since', 'text', (col) => col.notNull())
    .addColumn('notified_at', 'text', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('overdue_warnings').execute();
}
