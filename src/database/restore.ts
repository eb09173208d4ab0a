/**
 * Restores one customer database from a dump: imported beside the live database, checked, and
 * swapped in, so that whatever happens (a failed import, a wrong checksum, a `kill -9` at any
 * moment) the database ends either as it was or as in the backup.
 *
 * DECISION — who runs the import, and who owns the objects (DEFINER):
 *
 * - Every customer has one permanent MariaDB account per service instance, the "owner account"
 *   `hv_<instance>_<customer>@localhost` (account.ts), with ALL privileges (no GRANT OPTION) on
 *   exactly the customer's databases and nothing else. It is ACCOUNT LOCKed under a password
 *   nobody knows, so nobody logs in as it.
 * - A restore unlocks it under a random one-time password (sent to the server as a hash, over
 *   stdin; the client reads it from a 0600 option file in a 0700 directory), imports the dump as
 *   that account, and locks it again under a new unknown password right after the import.
 * - Every DEFINER clause in the dump is rewritten to the owner account. Since the importing
 *   account *is* the definer, the import needs neither SUPER nor SET USER — a privilege that would
 *   let a crafted dump create objects running as root.
 * - Why permanent and not a temporary account per restore: a view, routine or trigger with SQL
 *   SECURITY DEFINER runs with its definer's privileges, and fails once the definer is dropped.
 *   A locked account still works as a definer (MariaDB checks the lock at login only).
 *
 * What keeps a crafted dump inside the customer's databases is the account's privileges. On
 * top, the dump is checked statement by statement before anything is touched (sanitize.ts).
 *
 * DECISION — atomic: the dump goes into a new "shadow" database (`hvr_<random>_n_<name>`, which
 * the owner account may use for this restore only), never into the live one. Its tables are
 * compared with the checksums recorded at backup time (checksum.ts); then the swap (swap.ts)
 * moves the live tables into an "aside" database (`hvr_<random>_o_<name>`) and the shadow's into
 * the live database with one atomic RENAME TABLE, and creates the triggers, views, routines and
 * events there. A journal (journal.ts), written before each phase, lets the next start of the
 * service (recover.ts) finish or undo a swap that a crash interrupted. The aside database is the
 * undo: dumped for the safety snapshot after the swap, then dropped; so no safety dump is needed
 * before the import, and the customer's wait does not include one.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  ensureOwner,
  killSessions,
  lockOwner,
  ownerAccount,
  unlockOwner,
  type OwnerAccount,
} from './account.js';
import { checksumFileFor, readChecksumRecord, type ChecksumRecord } from './checksum.js';
import {
  CLIENT_SAFETY_ARGS,
  errorLine,
  openSession,
  quoteIdent,
  quoteString,
  runProgram,
  runSql,
  serverMessage,
} from './client.js';
import { dumpDatabases, formatBytes } from './dump.js';
import { DatabaseJournalDir, type DatabaseJournal } from './journal.js';
import { objectScript, readObjects, type EventStatus } from './objects.js';
import {
  DumpRejectedError,
  DumpSanitizer,
  GUARD_REFUSAL,
  SESSION_PRELUDE,
  splitStatements,
  type SanitizeContext,
  type SanitizeStats,
} from './sanitize/index.js';
import { dropAside, rollBack, swapIn, tablesOf, type DatabaseRestoreStep } from './swap.js';
import { assertDatabaseName, DatabaseError, type LogFn, type MariaDbConnection } from './types.js';

export type { DatabaseRestoreStep } from './swap.js';

export interface RestoreOptions {
  /** The database to restore into (one of the owner's databases). */
  database: string;
  /** An SQL dump, as `dumpDatabases` writes it (or any mariadb-dump output of one database). */
  dumpFile: string;
  /**
   * The checksums recorded with the dump; default `<dump>.checksums.json` beside it. Missing
   * (a backup made before they were recorded): the import's success is the only check.
   */
  checksumFile?: string;
  owner: { customerId: string; allowedDatabases: string[] };
  connection: MariaDbConnection;
  /** Where the restore's journal goes (the service's `<dataDir>/database-restore-journal`). */
  journalDir: string;
  /** Names the journal, so recovery after a crash can tell the job what happened. */
  jobId: string;
  /**
   * Root-only directory for the safety dump of the previous database (`<dir>/<database>.sql`).
   * Default: a new private directory under the system temp dir, removed at the end.
   */
  safetyDir?: string;
  /**
   * Called with the safety dump once the restored database is in place (absent when the database
   * did not exist); the previous database is dropped only after it resolves. If it fails, the
   * restore fails with its error, and the previous database is kept for recovery.
   */
  saveSafety?: (dump: { file: string; bytes: number }) => Promise<void>;
  signal?: AbortSignal;
  onLog?: LogFn;
  /** Called at each named moment (tests stop the service there). */
  onStep?: (step: DatabaseRestoreStep) => void | Promise<void>;
  /**
   * A restore drill (src/drill): import into the throw-away shadow database and compare it with
   * the recorded checksums exactly as a restore does, then drop it instead of swapping it in. The
   * live database is never touched; a crash mid-way leaves a journal in its import phase, which
   * the next start rolls back (drops the shadow) like any interrupted import.
   */
  drill?: boolean;
}

export interface RestoreResult {
  database: string;
  /** The dump of the database as it was before; absent when the database did not exist. */
  safetyDump?: { file: string; bytes: number };
  /** The account that now owns the database's views, triggers, routines and events. */
  definer: string;
  statements: number;
  definersRewritten: number;
  /** How the restored tables were checked against the backup. */
  verified: 'checksums' | 'import-only';
  durationMs: number;
}

/** Restores are serialized per customer: they share the owner account and its password. */
const customerQueue = new Map<string, Promise<unknown>>();

export async function restoreDatabase(options: RestoreOptions): Promise<RestoreResult> {
  const key = options.owner.customerId;
  const previous = customerQueue.get(key) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => restoreNow(options));
  customerQueue.set(key, run);
  try {
    return await run;
  } finally {
    if (customerQueue.get(key) === run) customerQueue.delete(key);
  }
}

/** `hvr_<random>_<n|o>_<database>`, cut to MariaDB's 64 characters. */
function stagingNames(database: string): { shadow: string; aside: string } {
  const id = randomBytes(5).toString('hex');
  return {
    shadow: `hvr_${id}_n_${database}`.slice(0, 64),
    aside: `hvr_${id}_o_${database}`.slice(0, 64),
  };
}

async function restoreNow(options: RestoreOptions): Promise<RestoreResult> {
  const { database, dumpFile, owner, connection, signal, onLog, onStep } = options;
  const started = Date.now();
  assertDatabaseName(database);
  for (const db of owner.allowedDatabases) assertDatabaseName(db);
  if (!owner.allowedDatabases.includes(database)) {
    throw new DatabaseError(
      'not-allowed',
      `Database ${database} does not belong to this customer.`,
      database,
    );
  }
  const account = ownerAccount(owner.customerId, connection);
  const canceled = (): DatabaseError =>
    new DatabaseError(
      'canceled',
      `The restore of database ${database} was canceled; the database is as it was before.`,
      database,
    );
  if (signal?.aborted) throw canceled();

  const record = await readChecksumRecord(options.checksumFile ?? checksumFileFor(dumpFile));
  const schemas = await listDatabases(connection);
  const existed = schemas.includes(database);
  const { shadow, aside } = stagingNames(database);
  const ctx: SanitizeContext = {
    target: shadow,
    alias: database,
    definer: account.sql,
    allowedDatabases: [...owner.allowedDatabases, shadow],
    knownSchemas: schemas,
    disableEvents: true,
    countRowsOf: record?.changed,
  };

  // 1. Check the whole dump before touching anything.
  const check = await checkDump(dumpFile, ctx, database, 'The dump');
  const stats = check.stats;
  onLog?.(
    `${database}: dump checked: ${stats.statements} statements, ${stats.definersRewritten} DEFINER clauses to rewrite to ${account.user}@${account.host}`,
  );
  await refuseReachableNames(connection, [shadow, aside], database, account);
  if (signal?.aborted) throw canceled();

  const journals = await DatabaseJournalDir.open(options.journalDir);
  const journal: DatabaseJournal = {
    version: 1,
    jobId: options.jobId,
    database,
    shadow,
    aside,
    existed,
    charset: existed ? await databaseCharset(connection, database) : undefined,
    account: { user: account.user, host: account.host },
    phase: 'importing',
    updatedAt: '',
  };
  await journals.write(journal);
  const swap = { connection, journals, journal, onStep, onLog };

  // 2. Import into the shadow database as the owner account, and check it.
  let failure: DatabaseError | undefined;
  try {
    await ensureOwner(connection, account, ctx.allowedDatabases);
    await runSql(connection, createDatabase(shadow, journal.charset));
    const password = await unlockOwner(connection, account);
    try {
      await onStep?.('prepared');
      const importStarted = Date.now();
      const imported = await importDump(connection, account, password, dumpFile, ctx, signal, () =>
        onStep?.('importing'),
      );
      onLog?.(
        `${database}: imported ${imported.statements} statements into a staging database in ${Date.now() - importStarted} ms`,
      );
    } finally {
      await lockOwner(connection, account);
    }
    await onStep?.('imported');
    if (signal?.aborted) throw canceled();
    await verify(connection, database, shadow, record, stats, onLog);
  } catch (error) {
    failure =
      error instanceof DatabaseError
        ? error
        : new DatabaseError('restore-failed', (error as Error).message, database);
  }
  if (failure) {
    try {
      await killSessions(connection, account);
      await rollBack(swap);
      await journals.remove(journal);
    } catch (rollbackError) {
      throw new DatabaseError(
        'restore-failed',
        `Database ${database} could not be restored (${failure.message}); it was not changed, but the staging database ${shadow} could not be removed (${(rollbackError as Error).message}).`,
        database,
        failure.detail,
      );
    }
    if (failure.kind === 'canceled') throw canceled();
    if (failure.kind === 'rejected-dump') throw failure;
    // A drill names what differs, without the restore's promise about the live database.
    if (options.drill)
      throw new DatabaseError(
        'restore-failed',
        stripEnd(failure.message),
        database,
        failure.detail,
      );
    throw new DatabaseError(
      'restore-failed',
      `Database ${database} could not be restored: ${stripEnd(failure.message)}. The database is as it was before the restore.`,
      database,
      failure.detail,
    );
  }

  if (options.drill) {
    await killSessions(connection, account);
    await rollBack(swap);
    await journals.remove(journal);
    onLog?.(`${database}: the drill's throw-away database ${shadow} was dropped`);
    return {
      database,
      definer: `${account.user}@${account.host}`,
      statements: stats.statements,
      definersRewritten: stats.definersRewritten,
      verified: record ? 'checksums' : 'import-only',
      durationMs: Date.now() - started,
    };
  }

  // 3. Swap. From here on the restore is finished, by this run or by recovery.
  const swapStarted = Date.now();
  journal.oldTables = existed ? await tablesOf(connection, database) : [];
  journal.newTables = await tablesOf(connection, shadow);
  journal.oldObjects = existed ? await readObjects(connection, database) : [];
  journal.newObjects = (await readObjects(connection, shadow)).map((o) =>
    o.kind === 'event'
      ? { ...o, status: (check.eventStatus.get(o.name) as EventStatus | undefined) ?? o.status }
      : o,
  );
  journal.phase = 'swapping';
  await journals.write(journal);
  await onStep?.('verified');
  try {
    await swapIn(swap);
  } catch (error) {
    // Before the RENAME: back to the database as it was; after it, recovery finishes.
    if (journal.phase === 'swapping') {
      await rollBack(swap);
      await journals.remove(journal);
      throw new DatabaseError(
        'restore-failed',
        `Database ${database} could not be restored: ${stripEnd((error as Error).message)}. The database is as it was before the restore.`,
        database,
      );
    }
    throw new DatabaseError(
      'restore-failed',
      `Database ${database} was restored, but finishing it failed (${(error as Error).message}); the next start of the service completes it.`,
      database,
    );
  }
  onLog?.(
    `${database}: the restored database is in place (swapped in ${Date.now() - swapStarted} ms)`,
  );

  // 4. The previous database, for the safety snapshot; then it goes.
  let safetyDump: RestoreResult['safetyDump'];
  if (existed) {
    let ownDir: string | undefined;
    const dir = options.safetyDir ?? (ownDir = await mkdtemp(join(tmpdir(), 'hostvault-safety-')));
    try {
      safetyDump = await dumpPrevious(connection, journal, dir, `${database}.sql`);
      onLog?.(
        `${database}: safety dump of the previous database: ${formatBytes(safetyDump.bytes)}`,
      );
      await onStep?.('safety-dumped');
      await options.saveSafety?.(safetyDump);
    } catch (error) {
      throw new DatabaseError(
        'restore-failed',
        `Database ${database} was restored, but the copy of the previous database could not be saved (${(error as Error).message}); it is kept until the service starts again.`,
        database,
      );
    } finally {
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    }
  }
  journal.phase = 'saved';
  await journals.write(journal);
  await onStep?.('saved');
  try {
    await dropAside(connection, journal);
    await onStep?.('cleaned');
    await journals.remove(journal);
  } catch (error) {
    // The database is restored and its copy saved; the journal has the next start finish this.
    onLog?.(
      `${database}: the restore's staging databases could not be removed (${(error as Error).message}); the next start of the service removes them`,
    );
  }
  return {
    database,
    safetyDump,
    definer: `${account.user}@${account.host}`,
    statements: stats.statements,
    definersRewritten: stats.definersRewritten,
    verified: record ? 'checksums' : 'import-only',
    durationMs: Date.now() - started,
  };
}

function stripEnd(message: string): string {
  return message.replace(/\.$/, '');
}

/**
 * The previous database as a dump a restore can read: the aside database's tables and rows,
 * then its views, triggers, routines and events from the journal, written as `<dir>/<name>`.
 */
export async function dumpPrevious(
  connection: MariaDbConnection,
  journal: DatabaseJournal,
  dir: string,
  name: string,
): Promise<{ file: string; bytes: number }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { files } = await dumpDatabases({
    databases: [journal.aside],
    stagingDir: dir,
    connection,
    tablesOnly: true,
  });
  const dumped = files[0]!.file;
  const objects = objectScript(journal.oldObjects ?? []);
  if (objects) await appendFile(dumped, Buffer.from(objects, 'latin1'));
  const file = join(dir, name);
  await rename(dumped, file);
  return { file, bytes: (await stat(file)).size };
}

/** The restored tables against the checksums recorded with the backup. */
async function verify(
  connection: MariaDbConnection,
  database: string,
  shadow: string,
  record: ChecksumRecord | undefined,
  stats: SanitizeStats,
  onLog?: LogFn,
): Promise<void> {
  if (!record) {
    onLog?.(
      `${database}: this backup has no table checksums (it was made before they were recorded); the restored tables are checked by the import's success only`,
    );
    return;
  }
  const tables = await tablesOf(connection, shadow);
  const present = new Set(tables);
  const expected = Object.keys(record.checksums);
  const missing = [...expected, ...record.changed].filter((t) => !present.has(t));
  if (missing.length > 0) {
    throw new DatabaseError(
      'restore-failed',
      `table ${missing[0]} of the backup is missing after the import`,
      database,
    );
  }
  const sums =
    expected.length === 0
      ? []
      : await runSql(
          connection,
          `CHECKSUM TABLE ${expected.map((t) => `${quoteIdent(shadow)}.${quoteIdent(t)}`).join(', ')} EXTENDED;`,
        );
  for (const [name, value] of sums) {
    const table = name!.slice(shadow.length + 1);
    if (value !== record.checksums[table]) {
      throw new DatabaseError(
        'restore-failed',
        `table ${table} does not match the backup (checksum ${value ?? 'none'}, the backup recorded ${record.checksums[table]})`,
        database,
      );
    }
  }
  const notes: string[] = [];
  for (const table of record.changed) {
    if (stats.uncounted.includes(table) || stats.rows[table] === undefined) {
      notes.push(`${table} (changed during the dump; it exists, its rows could not be counted)`);
      continue;
    }
    const rows = await runSql(
      connection,
      `SELECT COUNT(*) FROM ${quoteIdent(shadow)}.${quoteIdent(table)};`,
    );
    const count = Number(rows[0]?.[0]);
    if (count !== stats.rows[table]) {
      throw new DatabaseError(
        'restore-failed',
        `table ${table} has ${count} rows after the import, the dump holds ${stats.rows[table]}`,
        database,
      );
    }
    notes.push(`${table} (changed during the dump; checked by its ${count} rows)`);
  }
  const unrecorded = tables.filter((t) => !(t in record.checksums) && !record.changed.includes(t));
  onLog?.(
    `${database}: ${expected.length} table(s) match the checksums recorded at backup time` +
      (notes.length > 0 ? `; ${notes.join(', ')}` : '') +
      (unrecorded.length > 0 ? `; no checksum was recorded for ${unrecorded.join(', ')}` : ''),
  );
}

/**
 * A database-level grant of some other account whose pattern (`_` and `%` are wildcards) matches
 * the restore's own database names, but not the live database's, would let that account read a
 * copy of data it cannot read now.
 */
async function refuseReachableNames(
  connection: MariaDbConnection,
  names: string[],
  database: string,
  account: OwnerAccount,
): Promise<void> {
  const rows = await runSql(
    connection,
    `SELECT User, Host, Db FROM mysql.db
      WHERE (${names.map((n) => `${quoteString(n)} LIKE Db`).join(' OR ')})
        AND NOT ${quoteString(database)} LIKE Db
        AND NOT (User = ${quoteString(account.user)} AND Host = ${quoteString(account.host)})
      LIMIT 1;`,
  );
  const [user, host, pattern] = rows[0] ?? [];
  if (user !== undefined) {
    throw new DatabaseError(
      'restore-failed',
      `A restore stages the database in ${names[0]}, which the grant of ${user}@${host} on \`${pattern}\` would reach; the administrator must narrow that grant first.`,
    );
  }
}

async function listDatabases(connection: MariaDbConnection): Promise<string[]> {
  const rows = await runSql(connection, 'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA;');
  return rows.map((r) => r[0] ?? '').filter(Boolean);
}

async function databaseCharset(
  connection: MariaDbConnection,
  database: string,
): Promise<{ name: string; collation: string } | undefined> {
  const rows = await runSql(
    connection,
    `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA
      WHERE SCHEMA_NAME = ${quoteString(database)};`,
  );
  const [name, collation] = rows[0] ?? [];
  if (!name || !collation || !/^\w+$/.test(name) || !/^\w+$/.test(collation)) return undefined;
  return { name, collation };
}

function createDatabase(
  database: string,
  charset: { name: string; collation: string } | undefined,
): string {
  const options = charset ? ` CHARACTER SET ${charset.name} COLLATE ${charset.collation}` : '';
  return `CREATE DATABASE ${quoteIdent(database)}${options};`;
}

function latin1Chunks(file: string): AsyncIterable<string> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  return (async function* () {
    for await (const chunk of stream) yield (chunk as Buffer).toString('latin1');
  })();
}

async function checkDump(
  file: string,
  ctx: SanitizeContext,
  database: string,
  what: string,
): Promise<DumpSanitizer> {
  const sanitizer = new DumpSanitizer(ctx);
  try {
    await stat(file);
    for await (const statement of splitStatements(latin1Chunks(file))) {
      sanitizer.process(statement);
    }
  } catch (error) {
    if (error instanceof DumpRejectedError) {
      throw new DatabaseError(
        'rejected-dump',
        `${what} for database ${database} was refused: ${error.message}.`,
        database,
      );
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatabaseError('invalid', `The dump file ${file} does not exist.`, database);
    }
    throw error;
  }
  return sanitizer;
}

/** Streams the checked and rewritten dump into `mariadb` running as the owner account. */
async function importDump(
  connection: MariaDbConnection,
  account: OwnerAccount,
  password: string,
  file: string,
  ctx: SanitizeContext,
  signal: AbortSignal | undefined,
  onFirstBatch: () => void | Promise<void>,
): Promise<SanitizeStats> {
  const sanitizer = new DumpSanitizer(ctx);
  const database = ctx.alias ?? ctx.target;
  // A delimiter that occurs in no statement, so the client can only end statements where we do.
  // The client keeps at most 15 characters of a delimiter; a statement that happens to contain
  // the current one gets a new one first.
  const newDelimiter = (): string => `;;${randomBytes(5).toString('hex')};;`;
  /** Pairs of (first line in the stream sent to the client, first line in the dump file). */
  const lines: number[] = [];
  let rejected: DumpRejectedError | undefined;

  async function* sql(): AsyncGenerator<Buffer> {
    let delimiter = newDelimiter();
    let emitted = 4;
    let batch: string[] = [`DELIMITER ${delimiter}\n${SESSION_PRELUDE}\n${delimiter}\n`];
    let size = 0;
    let first = true;
    try {
      for await (const statement of splitStatements(latin1Chunks(file))) {
        const text = sanitizer.process(statement);
        if (text === null) continue;
        while (text.includes(delimiter)) {
          delimiter = newDelimiter();
          batch.push(`DELIMITER ${delimiter}\n`);
          emitted++;
        }
        lines.push(emitted, statement.line);
        const out = `${text}\n${delimiter}\n`;
        for (let i = 0; i < out.length; i++) if (out.charCodeAt(i) === 10) emitted++;
        batch.push(out);
        size += out.length;
        if (size >= 256 * 1024) {
          yield Buffer.from(batch.join(''), 'latin1');
          batch = [];
          size = 0;
          if (first) {
            first = false;
            await onFirstBatch();
          }
        }
      }
    } catch (error) {
      if (error instanceof DumpRejectedError) rejected = error;
      throw error;
    }
    if (batch.length > 0) yield Buffer.from(batch.join(''), 'latin1');
  }

  const session = await openSession(connection, { user: account.user, password });
  let result;
  try {
    result = await runProgram({
      binary: connection.clientBinary ?? 'mariadb',
      args: [
        ...session.args,
        ...CLIENT_SAFETY_ARGS,
        '--max-allowed-packet=1G',
        `--database=${ctx.target}`,
      ],
      env: session.env,
      stdin: Readable.from(sql()),
      signal,
    });
  } finally {
    await session.dispose();
  }
  if (result.canceled) {
    throw new DatabaseError(
      'canceled',
      `The restore of database ${database} was canceled.`,
      database,
    );
  }
  if (rejected) {
    throw new DatabaseError(
      'rejected-dump',
      `The dump for database ${database} was refused: ${rejected.message}.`,
      database,
    );
  }
  if (result.exitCode !== 0) {
    const line = errorLine(result.stderr);
    const at = line === undefined ? undefined : dumpLine(lines, line);
    if (GUARD_REFUSAL.test(result.stderr)) {
      throw new DatabaseError(
        'rejected-dump',
        `The dump for database ${database} was refused: line ${at ?? '?'}: it restores a session setting from a variable that now holds a value which changes how the dump is read.`,
        database,
        result.stderr.trim(),
      );
    }
    // The customer knows the database by its own name, not the staging one.
    const message = serverMessage(result.stderr).split(ctx.target).join(database);
    throw new DatabaseError(
      'restore-failed',
      `${message}${at ? ` (statement at line ${at} of the dump)` : ''}`,
      database,
      result.stderr.trim(),
    );
  }
  return sanitizer.stats;
}

/** The dump line of the statement that the client reported at `line` of its input. */
function dumpLine(lines: number[], line: number): number | undefined {
  let found: number | undefined;
  for (let i = 0; i < lines.length; i += 2) {
    if (lines[i]! > line) break;
    found = lines[i + 1];
  }
  return found;
}
