import { sql, type Kysely } from 'kysely';
import { isSqlite, withIdColumn } from './portable.js';

// Targets become records of their own: schedules point at the target they back up to,
// repositories at the target they are reached through, so a snapshot finds its target through
// its repository after its schedule was deleted. Each schedule's target moves into a row with
// the schedule's id; that row keeps the sealed text as it was, sealed for the schedule
// (`sealed_as` 'schedule', context `schedule-target:<id>`): a migration has no master key to seal
// it again, and the target records seal it for the target at its next change.
//
// Repositories cannot be linked here: which target a repository lies on is inside the sealed
// text. The repository records link them at the next start, where the keyring is at hand
// (RepositoryService.linkTargets).
export async function up(db: Kysely<unknown>): Promise<void> {
  await withIdColumn(db, db.schema.createTable('targets'))
    /** A customer id, or the literal 'server': the meaning `repositories.owner` has. */
    .addColumn('owner', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    /** The whole target, secrets included, sealed with the keyring. */
    .addColumn('sealed', 'text', (col) => col.notNull())
    /** The context `sealed` was sealed under: 'target' (`target:<id>`) or 'schedule' (above). */
    .addColumn('sealed_as', 'text', (col) => col.notNull().defaultTo('target'))
    /** Who chose the target's server (see src/target/origin.ts). */
    .addColumn('origin', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addCheckConstraint('targets_kind_check', sql`kind in ('local', 's3', 'ftp')`)
    .addCheckConstraint('targets_origin_check', sql`origin in ('provider', 'customer')`)
    .addCheckConstraint('targets_sealed_as_check', sql`sealed_as in ('target', 'schedule')`)
    .execute();

  await sql`insert into targets (id, owner, kind, sealed, sealed_as, origin, created_at, updated_at)
    select id, case when owner_kind = 'server' then 'server' else customer_id end, target_kind,
      target_sealed, 'schedule', target_origin, created_at, updated_at
    from schedules`.execute(db);
  if (!isSqlite(db)) {
    // The rows above took their ids by hand, which PostgreSQL's identity does not count (SQLite's
    // AUTOINCREMENT does): the next target must not be handed one of them.
    await sql`select setval(pg_get_serial_sequence('targets', 'id'),
      (select coalesce(max(id), 0) + 1 from targets), false)`.execute(db);
  }

  // Nullable, as SQLite adds no NOT NULL column without a default; every schedule gets one here
  // and the schedule service never writes one without.
  await db.schema
    .alterTable('schedules')
    .addColumn('target_id', 'integer', (col) => col.references('targets.id'))
    .execute();
  await sql`update schedules set target_id = id`.execute(db);
  await db.schema.createIndex('schedules_target_idx').on('schedules').column('target_id').execute();
  for (const column of ['target_kind', 'target_sealed', 'target_origin'])
    await db.schema.alterTable('schedules').dropColumn(column).execute();

  // Null until linked at the next start, and for repositories no target record knows (those
  // the one-server tools made with a target of their own, or whose schedules were deleted before
  // targets were records).
  await db.schema
    .alterTable('repositories')
    .addColumn('target_id', 'integer', (col) => col.references('targets.id'))
    .execute();
  await db.schema
    .createIndex('repositories_target_idx')
    .on('repositories')
    .column('target_id')
    .execute();
}

// No down: the moved targets may have been sealed again for themselves by then, which only the
// master key could undo.
