import type { Kysely } from 'kysely';
import { withIdColumn } from './portable.js';

// Snapshot holds and the mass-change guard (issue 13). Numbered 0013 and independent of 0012.
// - snapshot_holds: one row per hold on one snapshot (src/repository/snapshot-holds.ts owns it).
//   kind 'legal' (the provider's hold on any snapshot), 'keep' (a customer's own, within the
//   package's keep_limit) or 'guard' (set by the mass-change guard on the snapshots before a
//   flagged backup). expires_at null: until released. Retention and deletion skip a snapshot
//   while one of its holds has not expired.
// - packages.keep_limit: how many snapshots a customer of the package may mark "keep".
// - customers.contact_email: where the customer is told about a flagged backup (optional).
// - snapshots.files: the files a backup read (restic's total_files_processed); the guard counts
//   the files deleted since the previous backup from it.
// - snapshots.change_share: the share of the previous backup's files this one found changed or
//   deleted; the customer's own history that the guard compares a backup against. Null for a
//   flagged backup, so an attack never raises the level the next one is measured against.
// - snapshots.random_share: the estimated share of files whose new content reads as random bytes
//   (src/host/change-sample.ts); history of the guard's second signal, null when flagged.
// - jobs.flag: 'mass_change' when the guard flagged the backup; History shows it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await withIdColumn(db, db.schema.createTable('snapshot_holds'))
    .addColumn('repository_id', 'integer', (col) => col.notNull())
    .addColumn('snapshot_id', 'text', (col) => col.notNull())
    .addColumn('customer_id', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('created_by', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('job_id', 'integer')
    .execute();
  await db.schema
    .createIndex('snapshot_holds_snapshot')
    .on('snapshot_holds')
    .columns(['repository_id', 'snapshot_id'])
    .execute();
  await db.schema
    .createIndex('snapshot_holds_one_kind')
    .on('snapshot_holds')
    .columns(['repository_id', 'snapshot_id', 'kind'])
    .unique()
    .execute();
  await db.schema
    .alterTable('packages')
    .addColumn('keep_limit', 'integer', (col) => col.notNull().defaultTo(3))
    .execute();
  await db.schema.alterTable('customers').addColumn('contact_email', 'text').execute();
  await db.schema.alterTable('snapshots').addColumn('files', 'integer').execute();
  await db.schema.alterTable('snapshots').addColumn('change_share', 'real').execute();
  await db.schema.alterTable('snapshots').addColumn('random_share', 'real').execute();
  await db.schema.alterTable('jobs').addColumn('flag', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('flag').execute();
  await db.schema.alterTable('snapshots').dropColumn('random_share').execute();
  await db.schema.alterTable('snapshots').dropColumn('change_share').execute();
  await db.schema.alterTable('snapshots').dropColumn('files').execute();
  await db.schema.alterTable('customers').dropColumn('contact_email').execute();
  await db.schema.alterTable('packages').dropColumn('keep_limit').execute();
  await db.schema.dropTable('snapshot_holds').execute();
}
