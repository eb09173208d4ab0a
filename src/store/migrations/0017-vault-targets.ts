import { sql, type Kysely } from 'kysely';
import { isSqlite } from './portable.js';

// A schedule may back up to a vault (`hostvault vault`, src/target/schema.ts): the kind checks
// of `targets` (0010) and `repositories` (0001) take 'vault' beside local, s3 and ftp.
//
// PostgreSQL changes a check constraint in place. SQLite cannot alter one, so each table is
// rebuilt from its own CREATE text with only the check changed: every column (those later
// migrations added included), default, foreign key and index stays as it was, and the AUTOINCREMENT
// counter is carried over, so an id that was handed out once is never handed out again.
//
// The migration runs inside the store's transaction with foreign keys on (store.ts), where
// `PRAGMA foreign_keys` cannot be switched off. Foreign keys are deferred instead: dropping a
// table counts its children (schedules, repositories → targets) as violations, and putting the
// same rows back into the table of the same name counts them off again before the commit checks.
const changes = [
  {
    table: 'targets',
    constraint: 'targets_kind_check',
    before: `kind in ('local', 's3', 'ftp')`,
    after: `kind in ('local', 's3', 'ftp', 'vault')`,
  },
  {
    table: 'repositories',
    constraint: 'repositories_target_kind_check',
    before: `target_kind in ('local', 's3', 'ftp')`,
    after: `target_kind in ('local', 's3', 'ftp', 'vault')`,
  },
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  if (!isSqlite(db)) {
    for (const c of changes)
      await sql`alter table ${sql.table(c.table)} drop constraint ${sql.id(c.constraint)},
        add constraint ${sql.id(c.constraint)} check (${sql.raw(c.after)})`.execute(db);
    return;
  }
  await sql`pragma defer_foreign_keys = on`.execute(db);
  for (const c of changes) await rebuildSqliteTable(db, c.table, c.before, c.after);
}

async function rebuildSqliteTable(
  db: Kysely<unknown>,
  table: string,
  before: string,
  after: string,
): Promise<void> {
  const { rows } = await sql<{ type: string; sql: string | null }>`
    select type, sql from sqlite_master where tbl_name = ${table}`.execute(db);
  const create = rows.find((r) => r.type === 'table')?.sql;
  // A store whose check reads otherwise was not built by these migrations: stop rather than
  // guess (the transaction takes back everything).
  if (!create?.includes(before))
    throw new Error(`table ${table} does not have the check "${before}" this migration changes`);
  // Indexes a UNIQUE column makes itself have no text and come back with the table.
  const indexes = rows.filter((r) => r.type === 'index' && r.sql).map((r) => r.sql!);
  const sequence = await sql<{ seq: number }>`
    select seq from sqlite_sequence where name = ${table}`.execute(db);

  const hold = `hostvault_0017_${table}`;
  await sql`create temp table ${sql.id(hold)} as select * from ${sql.table(table)}`.execute(db);
  await sql`drop table ${sql.table(table)}`.execute(db);
  await sql.raw(create.replace(before, after)).execute(db);
  // Same CREATE text, so the same columns in the same order.
  await sql`insert into ${sql.table(table)} select * from temp.${sql.id(hold)}`.execute(db);
  await sql`drop table temp.${sql.id(hold)}`.execute(db);
  for (const index of indexes) await sql.raw(index).execute(db);
  await sql`delete from sqlite_sequence where name = ${table}`.execute(db);
  const seq = sequence.rows[0]?.seq;
  if (seq !== undefined)
    await sql`insert into sqlite_sequence (name, seq) values (${table}, ${seq})`.execute(db);
}

// No down: a store may hold vault targets by then, which the narrower check would refuse.
