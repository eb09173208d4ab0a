import { type Kysely } from 'kysely';
import { withIdColumn } from './portable.js';

// Schedules, jobs and the snapshot list the Restore tab shows. Kysely<unknown>: a migration
// describes the schema as it was when written.
export async function up(db: Kysely<unknown>): Promise<void> {
  await withIdColumn(db, db.schema.createTable('schedules'))
    /** 'customer': a customer's own; 'server': every customer into the server repository. */
    .addColumn('owner_kind', 'text', (col) => col.notNull())
    /** The customer a schedule belongs to or covers; null for the entire server. */
    .addColumn('customer_id', 'text')
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('frequency', 'text', (col) => col.notNull())
    .addColumn('hour', 'integer', (col) => col.notNull())
    .addColumn('day', 'integer')
    .addColumn('retention', 'integer', (col) => col.notNull())
    .addColumn('target_kind', 'text', (col) => col.notNull())
    /** The whole target, secrets included, sealed with the keyring. */
    .addColumn('target_sealed', 'text', (col) => col.notNull())
    .addColumn('enabled', 'integer', (col) => col.notNull())
    .addColumn('next_run_at', 'text')
    .addColumn('last_job_id', 'integer')
    .addColumn('last_status', 'text')
    .addColumn('last_success_at', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('schedules_due_idx')
    .on('schedules')
    .columns(['enabled', 'next_run_at'])
    .execute();
  await db.schema
    .createIndex('schedules_customer_idx')
    .on('schedules')
    .column('customer_id')
    .execute();

  await withIdColumn(db, db.schema.createTable('jobs'))
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('schedule_id', 'integer')
    .addColumn('customer_id', 'text')
    /** Copied from the schedule at creation, so history stays readable after edits and deletes. */
    .addColumn('schedule_name', 'text')
    .addColumn('scope', 'text')
    .addColumn('trigger', 'text', (col) => col.notNull())
    .addColumn('params', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('progress', 'text')
    .addColumn('log', 'text')
    .addColumn('error', 'text')
    .addColumn('snapshot_id', 'text')
    .addColumn('bytes_added', 'integer')
    .addColumn('bytes_processed', 'integer')
    .addColumn('stats', 'text')
    .execute();
  await db.schema
    .createIndex('jobs_status_idx')
    .on('jobs')
    .columns(['status', 'created_at'])
    .execute();
  await db.schema
    .createIndex('jobs_customer_idx')
    .on('jobs')
    .columns(['customer_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('jobs_schedule_idx')
    .on('jobs')
    .columns(['schedule_id', 'status'])
    .execute();

  await db.schema
    .createTable('snapshots')
    /** As restic reported it: a short id from a backup summary, a full one elsewhere. */
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('repository_id', 'integer', (col) => col.notNull())
    .addColumn('schedule_id', 'integer')
    .addColumn('customer_id', 'text', (col) => col.notNull())
    .addColumn('time', 'text', (col) => col.notNull())
    .addColumn('scope', 'text')
    .addColumn('contents', 'text', (col) => col.notNull())
    /** Content → absolute paths in the snapshot, for browse and restore. */
    .addColumn('roots', 'text')
    .addColumn('size', 'integer')
    .addColumn('tags', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('snapshots_pk', ['repository_id', 'id'])
    .execute();
  await db.schema
    .createIndex('snapshots_schedule_idx')
    .on('snapshots')
    .columns(['schedule_id', 'time'])
    .execute();
  await db.schema
    .createIndex('snapshots_customer_idx')
    .on('snapshots')
    .columns(['customer_id', 'time'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('snapshots').execute();
  await db.schema.dropTable('jobs').execute();
  await db.schema.dropTable('schedules').execute();
}
