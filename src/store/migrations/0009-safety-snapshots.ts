import type { Kysely } from 'kysely';

// Safety snapshots (what a restore saved before it overwrote live data) become rows of their
// own, so the Restore tab, the API and the command line reach them by the id the job log names.
// `kind` tells them from a schedule's backups (retention, "latest" and the schedule's count look
// at backups only); `restore_job_id` is the restore they undo; `undo` the restore request (JSON)
// that puts back what they saved.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('snapshots')
    .addColumn('kind', 'text', (col) => col.notNull().defaultTo('backup'))
    .execute();
  await db.schema.alterTable('snapshots').addColumn('restore_job_id', 'integer').execute();
  await db.schema.alterTable('snapshots').addColumn('undo', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('snapshots').dropColumn('undo').execute();
  await db.schema.alterTable('snapshots').dropColumn('restore_job_id').execute();
  await db.schema.alterTable('snapshots').dropColumn('kind').execute();
}
