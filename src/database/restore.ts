/**
 * Restores one customer database from a dump, with privileges limited to that customer.
 *
 * DECISION — who runs the import, and who owns the objects (DEFINER):
 *
 * - Every customer has one permanent MariaDB account, `hostvault_<customer>@localhost` (the "owner
 *   account"), with ALL privileges (no GRANT OPTION) on exactly the customer's databases and
 *   nothing else. It is ACCOUNT LOCKed under a password nobody knows, so nobody logs in as it.
 * - A restore unlocks it under a random one-time password (sent to the server as a hash, over
 *   stdin; the client reads it from a 0600 option file in a 0700 temporary directory), imports
 *   the dump as that account, and locks it again under a new unknown password, whatever happens.
 * - Every DEFINER clause in the dump (views, triggers, routines, events; `root@localhost` in a
 *   dump taken by this service) is rewritten to the owner account. Since the importing account
 *   *is* the definer, the import needs neither SUPER nor SET USER — a privilege that would let
 *   a crafted dump create objects running as root.
 * - Why permanent and not a temporary account per restore: a view, routine or trigger with SQL
 *   SECURITY DEFINER runs with its definer's privileges, and fails once the definer is dropped
 *   ("The user specified as a definer does not exist"). A locked account still works as a
 *   definer (MariaDB checks the lock at login only), so the objects keep working after the
 *   restore, with privileges that never reach beyond the customer's databases. The definers the
 *   objects had before are not kept: a dump cannot prove which accounts belong to the customer.
 *
 * What keeps a crafted dump inside the customer's databases is the account's privileges. On
 * top, the dump is checked statement by statement before anything is touched (see sanitize.ts):
 * `USE`/`CREATE DATABASE` of its own database are dropped and statements naming other schemas,
 * accounts, grants, files or client commands are refused; the client runs with `--binary-mode
 * --sandbox --local-infile=0`, so no `\!`, `source` or `LOAD DATA LOCAL` reaches root's shell
 * or files.
 *
 * DECISION — a failed import leaves the database as it was: before the import the current
 * database is dumped (the "safety dump", returned for the undo snapshot) and checked like any
 * dump; then the database is dropped and created empty (so tables added since the backup go),
 * and the dump is imported. If the import fails or is canceled, the owner's sessions are ended,
 * the database is emptied again and the safety dump is imported the same way. A shadow database
 * swapped in atomically would be nicer, but MariaDB cannot rename a database, and views,
 * triggers and routines cannot be moved between databases by RENAME TABLE.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
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
import {
  DumpRejectedError,
  DumpSanitizer,
  SESSION_PRELUDE,
  splitStatements,
  type SanitizeContext,
  type SanitizeStats,
} from './sanitize.js';
import { assertDatabaseName, DatabaseError, type LogFn, type MariaDbConnection } from './types.js';

export interface RestoreOptions {
  /** The database to restore into (one of the owner's databases). */
  database: string;
  /** An SQL dump, as `dumpDatabases` writes it (or any mariadb-dump output of one database). */
  dumpFile: string;
  owner: { customerId: string; allowedDatabases: string[] };
  connection: MariaDbConnection;
  /**
   * Root-only directory for the safety dump of the current database (`<dir>/<database>.sql`).
   * Default: a new private directory under the system temp dir. The caller removes it (with
   * `removeStaging`) once the undo snapshot holds it.
   */
  safetyDir?: string;
  signal?: AbortSignal;
  onLog?: LogFn;
}

export interface RestoreResult {
  database: string;
  /** The database as it was before the restore; absent when the database did not exist. */
  safetyDump?: { file: string; bytes: number; dir: string };
  /** The account that now owns the database's views, triggers, routines and events. */
  definer: string;
  statements: number;
  definersRewritten: number;
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

async function restoreNow(options: RestoreOptions): Promise<RestoreResult> {
  const { database, dumpFile, owner, connection, signal, onLog } = options;
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
    new DatabaseError('canceled', `The restore of database ${database} was canceled.`, database);
  if (signal?.aborted) throw canceled();

  const schemas = await listDatabases(connection);
  const existed = schemas.includes(database);
  const ctx: SanitizeContext = {
    target: database,
    definer: account.sql,
    allowedDatabases: owner.allowedDatabases,
    knownSchemas: schemas,
  };

  // 1. Check the whole dump before touching anything.
  const stats = await checkDump(dumpFile, ctx, database, 'The dump');
  onLog?.(
    `${database}: dump checked: ${stats.statements} statements, ${stats.definersRewritten} DEFINER clauses to rewrite to ${account.user}@${account.host}`,
  );
  if (signal?.aborted) throw canceled();

  await ensureOwner(connection, account, owner.allowedDatabases);

  // The safety dump is removed here unless it is returned or needed to recover by hand.
  let ownDir: string | undefined;
  let keepSafety = false;
  try {
    // 2. Safety dump of the database as it is now, checked the same way, since it is what a
    //    failed import puts back.
    let safetyDump: RestoreResult['safetyDump'];
    let charset: { name: string; collation: string } | undefined;
    if (existed) {
      charset = await databaseCharset(connection, database);
      const dir =
        options.safetyDir ?? (ownDir = await mkdtemp(join(tmpdir(), 'hostvault-safety-')));
      const { files } = await dumpDatabases({
        databases: [database],
        stagingDir: dir,
        connection,
        signal,
      });
      const file = files[0]!;
      safetyDump = { file: file.file, bytes: file.bytes, dir };
      onLog?.(`${database}: safety dump of the current database: ${formatBytes(file.bytes)}`);
      await checkDump(
        file.file,
        ctx,
        database,
        'The current database holds something this restore could not put back, so it was left untouched:',
      );
    }
    if (signal?.aborted) throw canceled();

    // 3. Empty the database and import the dump as the owner account.
    const password = await unlockOwner(connection, account);
    try {
      let failure: DatabaseError | undefined;
      try {
        await recreateDatabase(connection, database, charset);
        const importStarted = Date.now();
        const imported = await importDump(connection, account, password, dumpFile, ctx, signal);
        onLog?.(
          `${database}: imported ${imported.statements} statements in ${Date.now() - importStarted} ms`,
        );
      } catch (error) {
        failure =
          error instanceof DatabaseError
            ? error
            : new DatabaseError('restore-failed', (error as Error).message, database);
      }
      if (!failure) {
        keepSafety = true;
        return {
          database,
          safetyDump,
          definer: `${account.user}@${account.host}`,
          statements: stats.statements,
          definersRewritten: stats.definersRewritten,
          durationMs: Date.now() - started,
        };
      }

      // 4. Put the database back as it was.
      onLog?.(`${database}: import failed (${failure.message}); putting the database back`);
      try {
        await killSessions(connection, account);
        if (safetyDump) {
          await recreateDatabase(connection, database, charset);
          await importDump(connection, account, password, safetyDump.file, ctx);
        } else {
          await runSql(connection, `DROP DATABASE IF EXISTS ${quoteIdent(database)};`);
        }
      } catch (rollbackError) {
        keepSafety = true;
        throw new DatabaseError(
          'restore-failed',
          `Database ${database} could not be restored (${failure.message}), and putting it back as it was failed too (${(rollbackError as Error).message}).${
            safetyDump ? ` Its previous content is in ${safetyDump.file}.` : ''
          }`,
          database,
          failure.detail,
        );
      }
      if (failure.kind === 'canceled') {
        throw new DatabaseError(
          'canceled',
          `The restore of database ${database} was canceled; the database is as it was before.`,
          database,
        );
      }
      throw new DatabaseError(
        'restore-failed',
        `Database ${database} could not be restored: ${failure.message}. The database is as it was before the restore.`,
        database,
        failure.detail,
      );
    } finally {
      try {
        await lockOwner(connection, account);
      } catch (error) {
        // Its password is random and already forgotten; the next restore locks it again.
        onLog?.(
          `${database}: could not lock account ${account.user} again: ${(error as Error).message}`,
        );
      }
    }
  } finally {
    if (ownDir && !keepSafety) await rm(ownDir, { recursive: true, force: true });
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

async function recreateDatabase(
  connection: MariaDbConnection,
  database: string,
  charset: { name: string; collation: string } | undefined,
): Promise<void> {
  const options = charset ? ` CHARACTER SET ${charset.name} COLLATE ${charset.collation}` : '';
  await runSql(
    connection,
    `DROP DATABASE IF EXISTS ${quoteIdent(database)};
     CREATE DATABASE ${quoteIdent(database)}${options};`,
  );
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
): Promise<SanitizeStats> {
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
        `${what.endsWith(':') ? what : `${what} for database ${database} was refused:`} ${error.message}.`,
        database,
      );
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatabaseError('invalid', `The dump file ${file} does not exist.`, database);
    }
    throw error;
  }
  return sanitizer.stats;
}

/** Streams the checked and rewritten dump into `mariadb` running as the owner account. */
async function importDump(
  connection: MariaDbConnection,
  account: OwnerAccount,
  password: string,
  file: string,
  ctx: SanitizeContext,
  signal?: AbortSignal,
): Promise<SanitizeStats> {
  const sanitizer = new DumpSanitizer(ctx);
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
  const database = ctx.target;
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
      `the dump was refused at ${rejected.message}`,
      database,
    );
  }
  if (result.exitCode !== 0) {
    const line = errorLine(result.stderr);
    const at = line === undefined ? undefined : dumpLine(lines, line);
    throw new DatabaseError(
      'restore-failed',
      `${serverMessage(result.stderr)}${at ? ` (statement at line ${at} of the dump)` : ''}`,
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
