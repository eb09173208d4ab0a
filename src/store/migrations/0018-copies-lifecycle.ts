import type { Kysely } from 'kysely';
import { withIdColumn } from './portable.js';

// Second copies and the customer life cycle (issue 14). Numbered 0018 and independent of
// 0016/0017 (other work numbered in parallel).
// - schedules.copy_target_id: the target record of the schedule's second copy (3-2-1); null: no
//   second copy. schedules.copy_retention: the snapshots the second copy keeps (its own number).
//   schedules.copy_status / copy_at: the last copy's outcome, shown beside the backup's.
// - snapshots.copy_of: on a row of the second repository, the id of the snapshot in the first
//   repository it copies; null on every other row. Restore reaches a copy like any snapshot, by
//   (repository, id), so restore from either needs nothing else.
// - customer_lifecycle: one row per suspended or terminated customer (src/lifecycle owns it);
//   purge_after: when a terminated customer's backups go (terminated_at + the provider's days).
// - lifecycle_audit: what the life cycle did (final backups queued, purges, paths removed), kept
//   after the customer and their repositories are gone.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('schedules').addColumn('copy_target_id', 'integer').execute();
  await db.schema.alterTable('schedules').addColumn('copy_retention', 'integer').execute();
  await db.schema.alterTable('schedules').addColumn('copy_status', 'text').execute();
  await db.schema.alterTable('schedules').addColumn('copy_at', 'text').execute();
  await db.schema.alterTable('snapshots').addColumn('copy_of', 'text').execute();
  await db.schema
    .createTable('customer_lifecycle')
    .addColumn('customer_id', 'text', (col) => col.primaryKey())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('changed_at', 'text', (col) => col.notNull())
    .addColumn('purge_after', 'text')
    .addColumn('purged_at', 'text')
    .execute();
  await withIdColumn(db, db.schema.createTable('lifecycle_audit'))
    .addColumn('customer_id', 'text', (col) => col.notNull())
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('at', 'text', (col) => col.notNull())
    .addColumn('actor', 'text', (col) => col.notNull())
    .addColumn('detail', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('lifecycle_audit_customer')
    .on('lifecycle_audit')
    .columns(['customer_id', 'at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('lifecycle_audit').execute();
  await db.schema.dropTable('customer_lifecycle').execute();
  await db.schema.alterTable('snapshots').dropColumn('copy_of').execute();
  for (const column of ['copy_at', 'copy_status', 'copy_retention', 'copy_target_id'])
    await db.schema.alterTable('schedules').dropColumn(column).execute();
}
