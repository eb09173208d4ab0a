/**
 * Table checksums (`CHECKSUM TABLE … EXTENDED`): recorded with each dump at backup time
 * (`<db>.checksums.json` beside `<db>.sql`, so they travel with the snapshot), and compared with
 * the restored tables before a restore replaces the live database.
 *
 * DECISION — checksums that belong to the dumped data: mariadb-dump reads its own
 * `--single-transaction` snapshot, which no other session can join, and a checksum taken in
 * another session at another moment differs on a busy database. So, for a database of InnoDB
 * tables, writes are held off for a moment with `LOCK TABLES … READ` (in a session of our own,
 * `lock_wait_timeout` 1 s), the dump is started, and once its transaction shows in
 * `information_schema.INNODB_TRX` (its session: opened after the lock's, as the dump's account,
 * in the database being dumped) a second session of ours starts a consistent snapshot; then the
 * lock is released. Both snapshots began while nothing could be written, so they hold the same
 * rows, and the checksums, computed in ours while the dump runs, are exact ("same-snapshot").
 * Writers wait about as long as the dump needs to connect (a few milliseconds).
 *
 * When the lock is not granted within the timeout (a long write transaction), or the database
 * holds tables of engines without transactions (dumped under mariadb-dump's own read lock),
 * each table is checksummed in a snapshot taken right before the dump and again right after it
 * ("before-and-after"): a table whose two checksums agree did not change, so the checksum
 * belongs to the dump; the others are recorded as "changed during the dump" and a restore checks
 * them by existence and row count only (and says so). A row changed and changed back during the
 * dump would escape this check, which is why it is only the fallback.
 */
import { constants } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { openConversation, quoteIdent, quoteString, runSql, type Conversation } from './client.js';
import { assertDatabaseName, DatabaseError, type LogFn, type MariaDbConnection } from './types.js';

/** What `<db>.checksums.json` holds. Written so that unchanged data gives an identical file. */
export interface ChecksumRecord {
  format: 1;
  database: string;
  /** The server that computed them (`VERSION()`); CHECKSUM TABLE is only compared on one. */
  server: string;
  taken: 'same-snapshot' | 'before-and-after';
  /** Per base table, the checksum of exactly the rows in the dump. */
  checksums: Record<string, string>;
  /** Tables that changed while they were dumped: no checksum belongs to the dump. */
  changed: string[];
}

/** `<dir>/<db>.sql` → `<dir>/<db>.checksums.json` */
export function checksumFileFor(dumpFile: string): string {
  return `${dumpFile.replace(/\.sql$/, '')}.checksums.json`;
}

/** Checksum per base table (views and sequences are left out), as decimal strings. */
export async function checksumDatabase(
  database: string,
  connection: MariaDbConnection,
): Promise<Record<string, string | null>> {
  assertDatabaseName(database);
  const tables = await baseTables(connection, database);
  const result: Record<string, string | null> = {};
  if (tables.length === 0) return result;
  return parseChecksums(database, await runSql(connection, checksumStatement(database, tables)));
}

/** The base tables of a database, sorted (sequences and views are not base tables). */
export async function baseTables(
  connection: MariaDbConnection,
  database: string,
): Promise<string[]> {
  return (
    await runSql(
      connection,
      `SELECT TABLE_NAME FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = ${quoteString(database)} AND TABLE_TYPE = 'BASE TABLE'
        ORDER BY TABLE_NAME;`,
    )
  ).map((r) => r[0] ?? '');
}

function checksumStatement(database: string, tables: string[]): string {
  return `CHECKSUM TABLE ${tables.map((t) => `${quoteIdent(database)}.${quoteIdent(t)}`).join(', ')} EXTENDED;`;
}

function parseChecksums(database: string, rows: string[][]): Record<string, string | null> {
  const result: Record<string, string | null> = {};
  const prefix = `${database}.`;
  for (const [name, checksum] of rows) {
    if (name === undefined) continue;
    const table = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    result[table] = checksum === undefined || checksum === 'NULL' ? null : checksum;
  }
  return result;
}

export async function readChecksumRecord(file: string): Promise<ChecksumRecord | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const record = JSON.parse(text) as ChecksumRecord;
  if (
    record?.format !== 1 ||
    typeof record.checksums !== 'object' ||
    !Array.isArray(record.changed) ||
    Object.values(record.checksums).some((c) => typeof c !== 'string' || !/^\d+$/.test(c))
  ) {
    throw new DatabaseError('invalid', `The checksum file ${file} is not in a known format.`);
  }
  return record;
}

async function writeRecord(file: string, record: ChecksumRecord): Promise<void> {
  const partial = `${file}.partial`;
  await rm(partial, { force: true });
  const handle = await open(
    partial,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await handle.writeFile(`${JSON.stringify(record, null, 1)}\n`);
  } finally {
    await handle.close();
  }
  await rename(partial, file);
}

const LOCK_WAIT_SECONDS = 1;
/** How long writes may be held off while the dump connects; past it, the fallback is taken. */
const DUMP_START_WAIT_MS = 5000;
const POLL_MS = 5;

/** Only one dump of a database at a time here starts under the lock: tells the dumps apart. */
const startingDumps = new Map<string, Promise<unknown>>();

export interface DumpChecksums {
  /** Call right after the dump process was started; resolves once its snapshot is settled. */
  dumpStarted(dumpDone: Promise<unknown>): Promise<void>;
  /** After a successful dump: computes what is missing and writes `<db>.checksums.json`. */
  finish(file: string): Promise<ChecksumRecord>;
  /** Ends the sessions (releases a lock still held); safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Prepares the checksums of one dump, before the dump process starts: takes the lock (or the
 * "before" snapshot of the fallback).
 */
export async function startDumpChecksums(opts: {
  connection: MariaDbConnection;
  database: string;
  tables: string[];
  /** Every table is InnoDB: the dump runs in its own transaction. */
  transactional: boolean;
  onLog?: LogFn;
}): Promise<DumpChecksums> {
  const { connection, database, tables, transactional, onLog } = opts;
  const sessions: Conversation[] = [];
  let releaseTurn: (() => void) | undefined;
  const close = async (): Promise<void> => {
    releaseTurn?.();
    releaseTurn = undefined;
    await Promise.all(sessions.splice(0).map((s) => s.close()));
  };
  if (tables.length === 0) {
    return {
      dumpStarted: async () => undefined,
      finish: async (file) => {
        const record = await emptyRecord(connection, database);
        await writeRecord(file, record);
        return record;
      },
      close,
    };
  }
  const list = tables.map((t) => `${quoteIdent(database)}.${quoteIdent(t)}`);
  const checksumSql = `CHECKSUM TABLE ${list.join(', ')} EXTENDED;`;
  try {
    const snapshot = await openConversation(connection);
    sessions.push(snapshot);
    const server = (await snapshot.query('SELECT VERSION();'))[0]?.[0] ?? '';
    let lock: Conversation | undefined;
    if (transactional) {
      // One at a time per database, so the dump found below is the one started here.
      const previous = startingDumps.get(database) ?? Promise.resolve();
      const turn = new Promise<void>((resolve) => (releaseTurn = resolve));
      const mine = previous.then(() => turn);
      startingDumps.set(database, mine);
      void mine.then(() => {
        if (startingDumps.get(database) === mine) startingDumps.delete(database);
      });
      await previous;
      lock = await openConversation(connection);
      sessions.push(lock);
      try {
        await lock.query(
          `SET SESSION lock_wait_timeout = ${LOCK_WAIT_SECONDS}; LOCK TABLES ${list.map((t) => `${t} READ`).join(', ')};`,
        );
      } catch (error) {
        onLog?.(
          `${database}: writes could not be held off for a moment (${(error as Error).message}); table checksums are taken before and after the dump instead`,
        );
        sessions.splice(sessions.indexOf(lock), 1);
        await lock.close();
        lock = undefined;
        releaseTurn?.();
        releaseTurn = undefined;
      }
    }
    let taken: ChecksumRecord['taken'] = 'before-and-after';
    let during: Promise<Record<string, string | null>> | undefined;
    if (!lock) {
      await snapshot.query('START TRANSACTION WITH CONSISTENT SNAPSHOT;');
    }

    const dumpStarted = async (dumpDone: Promise<unknown>): Promise<void> => {
      if (lock) {
        let exited = false;
        void dumpDone.finally(() => (exited = true));
        const user = connection.user ?? 'root';
        const deadline = Date.now() + DUMP_START_WAIT_MS;
        let seen = false;
        while (!seen && !exited && Date.now() < deadline) {
          const rows = await snapshot.query(
            `SELECT p.ID FROM information_schema.PROCESSLIST p
               JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID
              WHERE p.ID > ${lock.id} AND p.ID <> ${snapshot.id} AND p.DB = ${quoteString(database)}
                AND p.USER = ${quoteString(user)} LIMIT 1;`,
          );
          seen = rows.length > 0;
          if (!seen) await new Promise((r) => setTimeout(r, POLL_MS));
        }
        // Started while nothing could be written: the same rows as the dump's snapshot, if the
        // dump's began under the lock too (seen, or the dump already over).
        await snapshot.query('START TRANSACTION WITH CONSISTENT SNAPSHOT;');
        await lock.query('UNLOCK TABLES;');
        sessions.splice(sessions.indexOf(lock), 1);
        await lock.close();
        releaseTurn?.();
        releaseTurn = undefined;
        if (seen || exited) taken = 'same-snapshot';
        else
          onLog?.(
            `${database}: the dump did not show its transaction within ${DUMP_START_WAIT_MS / 1000} s; table checksums are taken before and after it instead`,
          );
      }
      // Computed while the dump runs, in the snapshot taken above.
      during = snapshot
        .query(`${checksumSql} COMMIT;`)
        .then((rows) => parseChecksums(database, rows));
      during.catch(() => undefined);
    };

    const finish = async (file: string): Promise<ChecksumRecord> => {
      const first = await during!;
      const checksums: Record<string, string> = {};
      const changed: string[] = [];
      if (taken === 'same-snapshot') {
        for (const table of tables) {
          const value = first[table];
          if (value) checksums[table] = value;
          else changed.push(table);
        }
      } else {
        const after = parseChecksums(
          database,
          await snapshot.query(
            `START TRANSACTION WITH CONSISTENT SNAPSHOT; ${checksumSql} COMMIT;`,
          ),
        );
        for (const table of tables) {
          const value = first[table];
          if (value && value === after[table]) checksums[table] = value;
          else changed.push(table);
        }
        if (changed.length > 0) {
          onLog?.(
            `${database}: ${changed.length} table(s) changed during the dump (${changed.slice(0, 5).join(', ')}): a restore checks them by row count only`,
          );
        }
      }
      const record: ChecksumRecord = {
        format: 1,
        database,
        server,
        taken,
        checksums: sortedObject(checksums),
        changed: changed.sort(),
      };
      await writeRecord(file, record);
      return record;
    };
    return { dumpStarted, finish, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function emptyRecord(
  connection: MariaDbConnection,
  database: string,
): Promise<ChecksumRecord> {
  const server = (await runSql(connection, 'SELECT VERSION();'))[0]?.[0] ?? '';
  return { format: 1, database, server, taken: 'same-snapshot', checksums: {}, changed: [] };
}

function sortedObject(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}
