import type { Kysely } from 'kysely';
import { withIdColumn } from './portable.js';

// Restore drills (src/drill): one row per drill run on a snapshot, owned by
// src/drill/drill-records.ts. A table rather than a column of `snapshots`, because a snapshot is
// drilled again (weekly) and the coverage view and the Restore tab want the latest verified one
// per customer, while a failed drill's difference is kept beside it. `snapshot_id` is no foreign
// key: retention forgets snapshots and their rows, and the record that one was verified stays
// true of the date it names. No dependency on 0012/0013 (other work numbered in parallel).
export async function up(db: Kysely<unknown>): Promise<void> {
  await withIdColumn(db, db.schema.createTable('drills'))
    .addColumn('job_id', 'integer')
    .addColumn('snapshot_id', 'text', (col) => col.notNull())
    .addColumn('repository_id', 'integer', (col) => col.notNull())
    .addColumn('customer_id', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('finished_at', 'text', (col) => col.notNull())
    .addColumn('files_compared', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('databases_compared', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('difference', 'text')
    .execute();
  await db.schema
    .createIndex('drills_customer_finished')
    .on('drills')
    .columns(['customer_id', 'status', 'finished_at'])
    .execute();
  await db.schema.createIndex('drills_snapshot').on('drills').column('snapshot_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('drills').execute();
}
