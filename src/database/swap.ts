/**
 * The swap of a checked staging ("shadow") database into the live one, and the ways a crashed
 * swap is finished or undone. Every step can run again after a crash and ends in the same state,
 * and the journal (journal.ts) tells the start of the service which way to go:
 *
 * 1. (phase swapping) the live database's triggers and the shadow's are dropped: RENAME TABLE
 *    refuses tables with triggers. The live triggers' definitions are in the journal.
 * 2. One RENAME TABLE moves every live table into the "aside" database and every shadow table
 *    into the live one. MariaDB makes a multi-table RENAME atomic, also across a crash of the
 *    server, so afterwards either all tables moved or none: the commit point. Until then, the
 *    way back is to create the live triggers again; after it (phase renamed), the way forward.
 * 3. The restored triggers, views, routines and events are created in the live database from
 *    their definitions in the shadow (CREATE OR REPLACE: routines keep their grants), and the
 *    live database's objects that the backup does not have are dropped (phase swapped).
 * 4. The shadow database is dropped. The aside database is the previous database's tables,
 *    which the restore dumps for the safety snapshot and then drops.
 *
 * Writes to the live tables between steps 1 and 3 (milliseconds) run without triggers.
 */
import { grantPattern, quoteIdent, quoteString, runSql } from './client.js';
import type { DatabaseJournal, DatabaseJournalDir } from './journal.js';
import { dropScript, objectScript, type DatabaseObject } from './objects.js';
import { DatabaseError, type LogFn, type MariaDbConnection } from './types.js';

/** Named moments of a database restore, for tests that stop the service at each. */
export type DatabaseRestoreStep =
  | 'prepared'
  | 'importing'
  | 'imported'
  | 'verified'
  | 'triggers-dropped'
  | 'renamed'
  | 'swapped'
  | 'safety-dumped'
  | 'saved'
  | 'cleaned';

export interface SwapContext {
  connection: MariaDbConnection;
  journals: DatabaseJournalDir;
  journal: DatabaseJournal;
  onStep?: (step: DatabaseRestoreStep) => void | Promise<void>;
  onLog?: LogFn;
}

/** How long one DDL statement waits for the sessions using a table, and how often it tries. */
const LOCK_WAIT_SECONDS = 5;
const ATTEMPTS = 6;

/** Tables and sequences (everything RENAME TABLE moves), sorted. */
export async function tablesOf(connection: MariaDbConnection, database: string): Promise<string[]> {
  return (
    await runSql(
      connection,
      `SELECT TABLE_NAME FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = ${quoteString(database)} AND TABLE_TYPE <> 'VIEW'
        ORDER BY TABLE_NAME;`,
    )
  ).map((r) => r[0] ?? '');
}

export async function databaseExists(
  connection: MariaDbConnection,
  database: string,
): Promise<boolean> {
  const rows = await runSql(
    connection,
    `SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${quoteString(database)};`,
  );
  return rows[0]?.[0] === '1';
}

/** DDL that waits for the database's users a few seconds at a time instead of a day. */
async function ddl(connection: MariaDbConnection, sql: string, what: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await runSql(connection, `SET SESSION lock_wait_timeout = ${LOCK_WAIT_SECONDS};\n${sql}`);
      return;
    } catch (error) {
      if (!/Lock wait timeout/i.test((error as Error).message) || attempt === ATTEMPTS) {
        if (/Lock wait timeout/i.test((error as Error).message)) {
          throw new DatabaseError(
            'restore-failed',
            `${what}: other sessions kept using its tables for ${LOCK_WAIT_SECONDS * ATTEMPTS} s`,
          );
        }
        throw error;
      }
    }
  }
}

function createDatabaseSql(name: string, charset: DatabaseJournal['charset']): string {
  const options = charset ? ` CHARACTER SET ${charset.name} COLLATE ${charset.collation}` : '';
  return `CREATE DATABASE IF NOT EXISTS ${quoteIdent(name)}${options};`;
}

async function writePhase(ctx: SwapContext, phase: DatabaseJournal['phase']): Promise<void> {
  ctx.journal.phase = phase;
  await ctx.journals.write(ctx.journal);
}

/** From phase swapping to swapped: the restored tables and objects are live. */
export async function swapIn(ctx: SwapContext): Promise<void> {
  const { connection, journal } = ctx;
  const { database, shadow, aside } = journal;
  const live = quoteIdent(database);
  await runSql(
    connection,
    journal.existed
      ? createDatabaseSql(aside, journal.charset)
      : createDatabaseSql(database, journal.charset),
  );
  const triggers = (objects: DatabaseObject[] | undefined, db: string) =>
    (objects ?? [])
      .filter((o) => o.kind === 'trigger')
      .map((o) => `DROP TRIGGER IF EXISTS ${quoteIdent(db)}.${quoteIdent(o.name)};`)
      .join('\n');
  const drops = `${triggers(journal.oldObjects, database)}\n${triggers(journal.newObjects, shadow)}`;
  if (drops.trim())
    await ddl(connection, drops, `The triggers of database ${database} could not be dropped`);
  await ctx.onStep?.('triggers-dropped');

  const moves = [
    ...(journal.oldTables ?? []).map(
      (t) => `${live}.${quoteIdent(t)} TO ${quoteIdent(aside)}.${quoteIdent(t)}`,
    ),
    ...(journal.newTables ?? []).map(
      (t) => `${quoteIdent(shadow)}.${quoteIdent(t)} TO ${live}.${quoteIdent(t)}`,
    ),
  ];
  if (moves.length > 0) {
    await ddl(connection, `RENAME TABLE ${moves.join(',\n  ')};`, `Database ${database} was busy`);
  }
  await writePhase(ctx, 'renamed');
  await ctx.onStep?.('renamed');
  await rollForward(ctx);
}

/** Whether the RENAME of a journal in phase swapping happened (it is all or nothing). */
export async function renamed(
  connection: MariaDbConnection,
  journal: DatabaseJournal,
): Promise<boolean> {
  const probe = async (database: string, tables: string[]): Promise<number> => {
    if (tables.length === 0) return 0;
    const rows = await runSql(
      connection,
      `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${quoteString(database)}
        AND TABLE_NAME IN (${tables.map(quoteString).join(', ')});`,
    );
    return Number(rows[0]?.[0] ?? 0);
  };
  const newTables = journal.newTables ?? [];
  const oldTables = journal.oldTables ?? [];
  if (newTables.length > 0) return (await probe(journal.shadow, newTables)) === 0;
  if (oldTables.length > 0) return (await probe(journal.database, oldTables)) === 0;
  return false;
}

/** From phase renamed to swapped: the restored objects in place, the shadow gone. */
export async function rollForward(ctx: SwapContext): Promise<void> {
  const { connection, journal } = ctx;
  const newObjects = journal.newObjects ?? [];
  const keep = new Set(newObjects.map((o) => `${o.kind} ${o.name}`));
  const stale = (journal.oldObjects ?? []).filter(
    (o) => o.kind !== 'trigger' && !keep.has(`${o.kind} ${o.name}`),
  );
  const script =
    objectScript(newObjects, { from: { database: journal.shadow, to: journal.database } }) +
    dropScript(stale);
  if (script) {
    await runSql(connection, `SET SESSION lock_wait_timeout = 60;\n${script}`, {
      database: journal.database,
      bytes: true,
    });
  }
  await writePhase(ctx, 'swapped');
  await dropDatabase(connection, journal.shadow, journal.account);
  await ctx.onStep?.('swapped');
}

/**
 * Back to the database as it was, before the commit point (phase importing, or swapping without
 * the RENAME): its triggers created again, the shadow and aside databases dropped.
 */
export async function rollBack(ctx: SwapContext): Promise<void> {
  const { connection, journal } = ctx;
  const oldTriggers = (journal.oldObjects ?? []).filter((o) => o.kind === 'trigger');
  if (journal.phase === 'swapping' && oldTriggers.length > 0) {
    await runSql(connection, `SET SESSION lock_wait_timeout = 60;\n${objectScript(oldTriggers)}`, {
      database: journal.database,
      bytes: true,
    });
  }
  await dropDatabase(connection, journal.shadow, journal.account);
  if (journal.existed) await dropIfEmpty(connection, journal.aside);
  else if (journal.phase === 'swapping') await dropIfEmpty(connection, journal.database);
}

/** Drops the aside database (after its content is saved), and the shadow's grant. */
export async function dropAside(
  connection: MariaDbConnection,
  journal: DatabaseJournal,
): Promise<void> {
  await dropDatabase(connection, journal.aside, journal.account);
  await dropDatabase(connection, journal.shadow, journal.account);
}

/** Drops a database of the restore's own, and any grant the owner account had on it. */
async function dropDatabase(
  connection: MariaDbConnection,
  database: string,
  account: DatabaseJournal['account'],
): Promise<void> {
  await runSql(
    connection,
    `SET SESSION foreign_key_checks = 0; DROP DATABASE IF EXISTS ${quoteIdent(database)};`,
  );
  try {
    await runSql(
      connection,
      `REVOKE ALL PRIVILEGES ON ${grantPattern(database)}.* FROM ${quoteIdent(account.user)}@${quoteIdent(account.host)};`,
    );
  } catch (error) {
    // No grant (it was never given, or already taken back), or no account.
    if (
      !/no such grant|does not exist|Can't find any matching row/i.test((error as Error).message)
    ) {
      throw error;
    }
  }
}

/** A database the restore created, dropped only if nothing was put into it. */
async function dropIfEmpty(connection: MariaDbConnection, database: string): Promise<void> {
  if (!(await databaseExists(connection, database))) return;
  const db = quoteString(database);
  const rows = await runSql(
    connection,
    `SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${db})
          + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ${db})
          + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ${db});`,
  );
  if (rows[0]?.[0] === '0')
    await runSql(connection, `DROP DATABASE IF EXISTS ${quoteIdent(database)};`);
}
