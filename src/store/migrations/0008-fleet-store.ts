import { sql, type Kysely } from 'kysely';
import { isSqlite } from './portable.js';

// Two things the fleet's PostgreSQL store needs, harmless on SQLite:
// - byte counts as 64-bit integers (PostgreSQL's integer has 32 bits; SQLite's has 64 anyway);
// - at most one pending or running backup per schedule as a rule of the database itself. On
//   SQLite the job store's transaction (BEGIN IMMEDIATE) already serialises "Run now" clicks;
//   PostgreSQL's transactions run side by side, and several controllers may queue at once.
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!isSqlite(db)) {
    for (const [table, column] of [
      ['jobs', 'bytes_added'],
      ['jobs', 'bytes_processed'],
      ['snapshots', 'size'],
    ] as const) {
      await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} type bigint`.execute(
        db,
      );
    }
  }
  await db.schema
    .createIndex('jobs_one_active_per_schedule')
    .on('jobs')
    .column('schedule_id')
    .unique()
    .where(sql<boolean>`schedule_id is not null and status in ('pending', 'running')`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('jobs_one_active_per_schedule').execute();
}
