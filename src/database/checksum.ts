/**
 * Table checksums (`CHECKSUM TABLE … EXTENDED`): recorded with each dump at backup time
 * (`<db>.checksums.json` beside `<db>.sql`, so they travel with the snapshot), and compared with
 * the restored tables before a restore replaces the live database.
 *
 * DECISION — checksums that belong to the dumped data: mariadb-dump reads its own
 * `--single-transaction` snapshot, which no other session can join, and a checksum taken in
 * another session at another moment differs on a busy database. So, for a database of InnoDB
 * tables, writes are held off for a moment with `LOCK TABLES … READ` (in a session of our own,
 * `lock_wait_timeout` 1 s), the dump is started, and once its transaction exists (see
 * waitForDumps) a second session of ours starts a consistent snapshot; then the lock is
 * released. Both snapshots began while nothing could be written, so they hold the same rows,
 * and the checksums, computed in ours while the dump runs, are exact ("same-snapshot"). Writers
 * wait as long as the dumps need to connect and start.
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
  /** The server that computed them (`VERSION()`), for whoever compares them by hand. */
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
/** How long writes may be held off while dumps connect; past it, the fallback is taken. */
const DUMP_START_WAIT_MS = 5000;
const POLL_MS = 20;
/** INNODB_TRX is a cache, refreshed only once nobody read it for this long. */
const TRX_CACHE_MS = 110;

/** What one dump's checksums need from the recorder. */
export interface DumpChecksums {
  /** Call right after the dump process started (or failed to); resolves at once. */
  dumpStarted(dumpDone: Promise<unknown>): void;
  /** After a successful dump: computes what is missing and writes `<db>.checksums.json`. */
  finish(file: string): Promise<ChecksumRecord>;
  /** Call once whatever happened; a dump that never started must not hold the others up. */
  close(): void;
}

interface Member {
  database: string;
  tables: string[];
  transactional: boolean;
  /** Resolves when the dump may start (the lock is held). */
  ready: Deferred<void>;
  /** The dump process (its end), once started. */
  started: Deferred<{ done: Promise<unknown> }>;
  /** Checksums in a snapshot taken while writes were held off (or before the dump). */
  first: Deferred<Record<string, string | null>>;
  /** Whether the dump's transaction began under the lock. */
  sameSnapshot: boolean;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * The checksums of one `dumpDatabases` run. Dumps that start together (the first of each worker)
 * form one batch: one `LOCK TABLES` over all their tables in one session, one snapshot for all
 * their checksums in another, so a backup of many small databases starts two extra clients, not
 * two per database (starting a client costs more than a small database's dump here, 100-200 ms).
 */
export class DumpChecksumRecorder {
  private lockSession: Promise<Conversation> | undefined;
  private readonly idle: Conversation[] = [];
  private readonly busy = new Set<Conversation>();
  /** The server's `VERSION()`, recorded with the checksums. */
  private server = '';
  private batch: Member[] | undefined;
  /** Batches hold the lock one after another: they share the lock session. */
  private running: Promise<void> = Promise.resolve();
  /** Checksums of batches whose lock phase is over, still being computed. */
  private readonly computing: Promise<void>[] = [];
  private readonly sessions: Promise<Conversation>[] = [];

  constructor(
    private readonly connection: MariaDbConnection,
    private readonly onLog?: LogFn,
  ) {}

  /** Starts opening the two sessions without waiting for them. */
  warm(): void {
    void this.lock();
    this.sessions.push(this.open());
  }

  /**
   * Registers a dump about to start; resolves when it may start. Calls in the same tick join
   * one batch.
   */
  async beforeDump(
    database: string,
    tables: string[],
    transactional: boolean,
  ): Promise<DumpChecksums> {
    const member: Member = {
      database,
      tables,
      transactional,
      ready: deferred(),
      started: deferred(),
      first: deferred(),
      sameSnapshot: false,
    };
    if (!this.batch) {
      const batch: Member[] = (this.batch = []);
      setImmediate(() => {
        this.batch = undefined;
        // Only the lock phases take turns (they share the lock session); checksums overlap.
        const locked = this.running.then(() => this.runBatch(batch));
        this.running = locked.then(
          ({ computing }) => void this.computing.push(computing),
          () => undefined,
        );
      });
    }
    this.batch.push(member);
    await member.ready.promise;
    return {
      dumpStarted: (dumpDone) => member.started.resolve({ done: dumpDone }),
      finish: (file) => this.finish(member, file),
      close: () => member.started.resolve({ done: Promise.resolve() }),
    };
  }

  async close(): Promise<void> {
    await this.running.catch(() => undefined);
    await Promise.all(this.computing);
    const all = [...this.idle.splice(0), ...this.busy];
    this.busy.clear();
    const pending = this.sessions.splice(0).map((p) =>
      p.then(
        (s) => s.close(),
        () => undefined,
      ),
    );
    const lock = this.lockSession?.then(
      (s) => s.close(),
      () => undefined,
    );
    this.lockSession = undefined;
    await Promise.all([...all.map((s) => s.close()), ...pending, lock]);
  }

  private open(): Promise<Conversation> {
    const opening = openConversation(this.connection);
    opening.catch(() => undefined);
    return opening;
  }

  private lock(): Promise<Conversation> {
    this.lockSession ??= this.open();
    return this.lockSession;
  }

  private async take(): Promise<Conversation> {
    const session = this.idle.pop() ?? (await (this.sessions.shift() ?? this.open()));
    this.busy.add(session);
    this.server ||= session.version;
    return session;
  }

  /** Back for the next batch, if its client still runs (an SQL error ends it). */
  private give(session: Conversation): void {
    this.busy.delete(session);
    if (session.open) this.idle.push(session);
    else void session.close();
  }

  /** The lock phase; resolves with the checksum phase, which goes on beside the dumps. */
  private async runBatch(members: Member[]): Promise<{ computing: Promise<void> }> {
    let snapshot: Conversation | undefined;
    const fail = async (error: unknown): Promise<void> => {
      for (const m of members) {
        m.ready.reject(error);
        m.first.reject(error);
      }
      if (snapshot) {
        this.busy.delete(snapshot);
        await snapshot.close();
      }
    };
    try {
      const taking = this.take();
      taking.catch(() => undefined);
      const locked = members.filter((m) => m.transactional && m.tables.length > 0);
      let lock: Conversation | undefined;
      if (locked.length > 0) {
        lock = await this.lock();
        const list = locked.flatMap((m) =>
          m.tables.map((t) => `${quoteIdent(m.database)}.${quoteIdent(t)} READ`),
        );
        try {
          await lock.query(
            `SET SESSION lock_wait_timeout = ${LOCK_WAIT_SECONDS}; LOCK TABLES ${list.join(', ')};`,
          );
        } catch (error) {
          for (const m of locked) {
            this.onLog?.(
              `${m.database}: writes could not be held off for a moment (${(error as Error).message}); table checksums are taken before and after the dump instead`,
            );
          }
          // The client ends at an SQL error: the next batch opens another.
          this.lockSession = undefined;
          void lock.close();
          lock = undefined;
        }
      }
      snapshot = await taking;
      if (!lock) {
        // Before the dumps: the fallback's first checksums.
        await snapshot.query('START TRANSACTION WITH CONSISTENT SNAPSHOT;');
      }
      for (const m of members) m.ready.resolve();
      const dumps = await Promise.all(members.map((m) => m.started.promise));
      if (lock) {
        const seen = await this.waitForDumps(
          snapshot,
          lock.id,
          locked,
          locked.map((m) => dumps[members.indexOf(m)]!.done),
        );
        // Started while nothing could be written: the same rows as each dump's snapshot that
        // began under the lock too (seen, or already over).
        await snapshot.query('START TRANSACTION WITH CONSISTENT SNAPSHOT;');
        await lock.query('UNLOCK TABLES;');
        for (const m of locked) m.sameSnapshot = seen.has(m);
        for (const m of locked.filter((x) => !seen.has(x))) {
          this.onLog?.(
            `${m.database}: the dump did not show its transaction within ${DUMP_START_WAIT_MS / 1000} s; table checksums are taken before and after it instead`,
          );
        }
      }
      // All checksums of the batch in one snapshot, while the dumps run.
      const tables = members.flatMap((m) =>
        m.tables.map((t) => `${quoteIdent(m.database)}.${quoteIdent(t)}`),
      );
      const session = snapshot;
      const computing = (async () => {
        try {
          const rows =
            tables.length > 0
              ? await session.query(`CHECKSUM TABLE ${tables.join(', ')} EXTENDED; COMMIT;`)
              : (await session.query('COMMIT;'), []);
          for (const m of members) {
            m.first.resolve(
              parseChecksums(
                m.database,
                rows.filter(([name]) => name?.startsWith(`${m.database}.`)),
              ),
            );
          }
          this.give(session);
        } catch (error) {
          await fail(error);
        }
      })();
      return { computing };
    } catch (error) {
      this.lockSession = undefined;
      await fail(error);
      return { computing: Promise.resolve() };
    }
  }

  /**
   * The locked members whose dump's transaction has begun: mariadb-dump starts it and then
   * selects the database, so its session (opened after the lock's, as the dump's account) shows
   * the database once the transaction exists, which INNODB_TRX then confirms. A dump that is
   * already over began under the lock too.
   */
  private async waitForDumps(
    session: Conversation,
    lockId: number,
    members: Member[],
    dumps: Promise<unknown>[],
  ): Promise<Set<Member>> {
    const exited = new Set<Member>();
    members.forEach(
      (m, i) =>
        void dumps[i]!.then(
          () => exited.add(m),
          () => exited.add(m),
        ),
    );
    const user = quoteString(this.connection.user ?? 'root');
    const threads = new Map<Member, number>();
    const deadline = Date.now() + DUMP_START_WAIT_MS;
    const waiting = () => members.filter((m) => !threads.has(m) && !exited.has(m));
    while (waiting().length > 0 && Date.now() < deadline) {
      const rows = await session.query(
        `SELECT ID, DB FROM information_schema.PROCESSLIST
          WHERE ID > ${lockId} AND ID <> ${session.id} AND USER = ${user}
            AND DB IN (${waiting()
              .map((m) => quoteString(m.database))
              .join(', ')});`,
      );
      for (const [id, db] of rows) {
        const m = members.find((x) => x.database === db);
        if (m && !threads.has(m)) threads.set(m, Number(id));
      }
      if (waiting().length > 0) await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const seen = new Set<Member>(members.filter((m) => exited.has(m) && !threads.has(m)));
    for (let attempt = 0; attempt < 4 && threads.size > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, TRX_CACHE_MS));
      const ids = [...threads.values()];
      const rows = await session.query(
        `SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX
          WHERE trx_mysql_thread_id IN (${ids.join(', ')});`,
      );
      const active = new Set(rows.map((r) => Number(r[0])));
      for (const [m, id] of [...threads]) {
        if (active.has(id) || exited.has(m)) {
          seen.add(m);
          threads.delete(m);
        }
      }
    }
    return seen;
  }

  private async finish(member: Member, file: string): Promise<ChecksumRecord> {
    const { database, tables } = member;
    const first = await member.first.promise;
    const checksums: Record<string, string> = {};
    const changed: string[] = [];
    let taken: ChecksumRecord['taken'] = 'same-snapshot';
    if (member.sameSnapshot || tables.length === 0) {
      for (const table of tables) {
        const value = first[table];
        if (value) checksums[table] = value;
        else changed.push(table);
      }
    } else {
      taken = 'before-and-after';
      const session = await this.take();
      let after: Record<string, string | null>;
      try {
        after = parseChecksums(
          database,
          await session.query(
            `START TRANSACTION WITH CONSISTENT SNAPSHOT; ${checksumStatement(database, tables)} COMMIT;`,
          ),
        );
      } finally {
        this.give(session);
      }
      for (const table of tables) {
        const value = first[table];
        if (value && value === after[table]) checksums[table] = value;
        else changed.push(table);
      }
      if (changed.length > 0) {
        this.onLog?.(
          `${database}: ${changed.length} table(s) changed during the dump (${changed.slice(0, 5).join(', ')}): a restore checks them by row count only`,
        );
      }
    }
    const record: ChecksumRecord = {
      format: 1,
      database,
      server: this.server,
      taken,
      checksums: sortedObject(checksums),
      changed: changed.sort(),
    };
    await writeRecord(file, record);
    return record;
  }
}

function sortedObject(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}
