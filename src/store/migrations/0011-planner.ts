import { sql, type Kysely } from 'kysely';

// The planner of a fleet (src/schedule/planner-lease.ts): several controllers share one store and
// exactly one plans schedules and maintenance at a time.
// - planner_leases: one row per lease name; who holds it and until when (ISO 8601 UTC, as every
//   time in the store), and its term, counted up at every change of holder.
// - jobs.slot: the schedule slot (its next run, ISO 8601) a scheduled backup was started for;
//   unique per schedule, so a slot is started once even by two planners at once or after a
//   handover, also when its first job has long finished (the rule of 0008 covers only jobs still
//   pending or running). Manual and maintenance jobs have none.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('planner_leases')
    .addColumn('name', 'text', (col) => col.primaryKey())
    .addColumn('holder', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addColumn('term', 'integer', (col) => col.notNull())
    .addColumn('acquired_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.alterTable('jobs').addColumn('slot', 'text').execute();
  await db.schema
    .createIndex('jobs_one_per_schedule_slot')
    .on('jobs')
    .columns(['schedule_id', 'slot'])
    .unique()
    .where(sql<boolean>`slot is not null`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('jobs_one_per_schedule_slot').execute();
  await db.schema.alterTable('jobs').dropColumn('slot').execute();
  await db.schema.dropTable('planner_leases').execute();
}
