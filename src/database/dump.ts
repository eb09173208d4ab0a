/**
 * Dumps customers' databases with `mariadb-dump` into a root-only staging directory at a stable
 * path, so that restic finds its parent snapshot and deduplicates unchanged dumps. Beside each
 * dump go the checksums of its tables (`<db>.checksums.json`, see checksum.ts), which a restore
 * compares before it replaces the live database.
 *
 * With `stream` (restic 0.17+), no dump touches the disk: the caller's restic runs the
 * `mariadb-dump` command line given to it and saves its output straight into the repository;
 * only the checksum records (a few KB) are written to the staging directory.
 */
import { formatBytes } from '../format.js';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { DumpChecksumRecorder, checksumFileFor } from './checksum.js';
import { existsSync } from 'node:fs';
import {
  openSession,
  quoteString,
  runProgram,
  runSql,
  serverMessage,
  type RunResult,
} from './client.js';
import { assertDatabaseName, DatabaseError, type LogFn, type MariaDbConnection } from './types.js';

export interface DumpOptions {
  databases: string[];
  /** Root-only directory at a path that stays the same from run to run; created when missing. */
  stagingDir: string;
  connection: MariaDbConnection;
  signal?: AbortSignal;
  onLog?: LogFn;
  /** Databases dumped at once; default `defaultDumpParallelism()`. */
  parallel?: number;
  /**
   * Tables and rows only, no triggers, routines or events, and no checksums: the safety dump of
   * a restore, which writes the objects itself. Default false.
   */
  tablesOnly?: boolean;
  /**
   * Hands each database's dump command to the caller, who runs it and saves its output (restic
   * `--stdin-from-command`) instead of a file in `stagingDir`. Resolves when the command has
   * ended, with how it ended; rejects only for a failure of the caller's own (its repository).
   */
  stream?: (dump: StreamedDump) => Promise<StreamOutcome>;
}

/** One database's dump, to be run and saved by the `stream` caller. */
export interface StreamedDump {
  database: string;
  /**
   * The full command line: `env -i` with a clean environment (nothing of the caller's, such as
   * a storage key, reaches the dump), then `mariadb-dump` with its option file. The password is
   * only in that 0600 file, which exists until the returned promise settles.
   */
  command: string[];
  signal: AbortSignal;
}

/** How a streamed dump ended, as `runProgram` says it for a dump into a file. */
export interface StreamOutcome {
  exitCode: number | null;
  stderr: string;
  canceled: boolean;
  /** Bytes the dump wrote (what restic read). */
  bytes: number;
  /** Where the caller saved it (a snapshot id). */
  savedAs: string;
}

export interface DumpedDatabase {
  database: string;
  /** `<stagingDir>/<database>.sql`; with `stream`, where it would be (nothing is written there). */
  file: string;
  bytes: number;
  /** `<stagingDir>/<database>.checksums.json` (absent with `tablesOnly`). */
  checksumFile?: string;
  /** With `stream`: where the caller saved the dump. */
  savedAs?: string;
}

/** Options that dump tables and rows so that unchanged data gives a byte-identical file. */
const TABLE_ARGS = [
  '--hex-blob',
  '--default-character-set=utf8mb4',
  '--quick',
  '--skip-dump-date',
  '--add-drop-table',
  '--create-options',
  '--extended-insert',
  '--max-allowed-packet=1G',
];

/**
 * Options that make a dump complete and repeatable: unchanged data gives a byte-identical file
 * (no dump date), so restic stores nothing new for it.
 */
export const DUMP_ARGS = ['--routines', '--triggers', '--events', ...TABLE_ARGS];

/** The safety dump's: tables and rows only (the restore writes the objects itself). */
const TABLES_ONLY_ARGS = ['--skip-triggers', '--skip-routines', '--skip-events', ...TABLE_ARGS];

/**
 * Databases dumped at once by default: two per core, at most 4. A dump is one server thread
 * reading and converting rows plus the client formatting them, and it waits on the disk for about
 * half of its time (InnoDB reads 16 KB pages one at a time, long text columns from pages of
 * their own), so two per core keep the cores busy; measured here (2 cores, 500 MB in four
 * databases) the dump phase took 8-9 s with four at a time, 10-11 s with two, 15 s with one.
 * Capped at 4, so on a big server a backup leaves most cores and connections to the websites.
 */
export function defaultDumpParallelism(): number {
  return Math.min(4, 2 * availableParallelism());
}

export async function dumpDatabases(options: DumpOptions): Promise<{ files: DumpedDatabase[] }> {
  const { databases, stagingDir, connection, onLog } = options;
  for (const database of databases) assertDatabaseName(database);
  if (new Set(databases).size !== databases.length) {
    throw new DatabaseError('invalid', 'A database is listed twice.');
  }
  const parallel = Math.max(1, Math.floor(options.parallel ?? defaultDumpParallelism()));
  await prepareStaging(stagingDir);
  // The checksums' two sessions open while the tables are listed.
  const sessions = new DumpChecksumRecorder(connection, onLog);
  if (!options.tablesOnly) sessions.warm();
  try {
    return await dumpAll(options, parallel, sessions);
  } finally {
    await sessions.close();
  }
}

async function dumpAll(
  options: DumpOptions,
  parallel: number,
  sessions: DumpChecksumRecorder,
): Promise<{ files: DumpedDatabase[] }> {
  const { databases, connection, signal, onLog } = options;
  const tables = await tablesOf(connection, databases, signal);
  const started = Date.now();
  // Largest first: the biggest dump starts at once instead of being left for last, where it
  // would run alone at the end while the other workers idle.
  const queue = [...databases].sort(
    (a, b) => (tables.get(b)?.bytes ?? 0) - (tables.get(a)?.bytes ?? 0),
  );
  // One failure ends the other dumps at once: the backup fails anyway, and a half-made set of
  // dumps is never handed to restic.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) stop.abort();
  const done = new Map<string, DumpedDatabase>();
  let failure: unknown;
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      if (stop.signal.aborted) return;
      try {
        done.set(next, await dumpOne(next, tables.get(next), options, stop.signal, sessions));
      } catch (error) {
        // The first error is the one to report: the dumps stopped because of it end as
        // "canceled", which would hide it.
        failure ??= error;
        stop.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, databases.length) }, worker));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure;
  throwIfCanceled(signal);
  const files = databases.map((database) => done.get(database)!);
  if (files.length > 1) {
    const bytes = files.reduce((sum, f) => sum + f.bytes, 0);
    onLog?.(
      `Dumped ${files.length} databases (${formatBytes(bytes)}) in ${Date.now() - started} ms, ` +
        `up to ${Math.min(parallel, files.length)} at a time`,
    );
  }
  return { files };
}

/**
 * One database into `<stagingDir>/<database>.sql`, through a `.partial` file; or, with
 * `stream`, into the caller's repository without a file.
 */
async function dumpOne(
  database: string,
  info: DatabaseTables | undefined,
  options: DumpOptions,
  signal: AbortSignal,
  sessions: DumpChecksumRecorder,
): Promise<DumpedDatabase> {
  const { stagingDir, connection, onLog } = options;
  const started = Date.now();
  const others = info?.nonTransactional ?? [];
  const file = join(stagingDir, `${database}.sql`);
  const partial = `${file}.partial`;
  // InnoDB: one consistent snapshot without locks. Other engines cannot take part in a
  // transaction, so a database holding such tables is read-locked while it is dumped.
  const consistency =
    others.length === 0
      ? ['--single-transaction', '--skip-lock-tables']
      : ['--lock-tables', '--skip-single-transaction'];
  if (others.length > 0) {
    onLog?.(
      `${database}: ${others.length} table(s) not in InnoDB (${others.slice(0, 5).join(', ')}): the database is locked for reading while it is dumped`,
    );
  }
  // Asked before anything is awaited, so the first dumps of a run join one batch.
  const starting = options.tablesOnly
    ? undefined
    : sessions.beforeDump(database, info?.tables ?? [], others.length === 0);
  if (!options.stream) await rm(partial, { force: true });
  const checksums = await starting;
  let checksumFile: string | undefined;
  let bytes: number | undefined;
  let savedAs: string | undefined;
  try {
    const handle = options.stream
      ? undefined
      : await open(
          partial,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
          0o600,
        );
    let result: RunResult | StreamOutcome;
    try {
      const session = await openSession(connection);
      try {
        const binary = connection.dumpBinary ?? 'mariadb-dump';
        const args = [
          ...session.args,
          ...consistency,
          ...(options.tablesOnly ? TABLES_ONLY_ARGS : DUMP_ARGS),
          database,
        ];
        const dump = options.stream
          ? options.stream({ database, command: streamCommand(binary, args, session.env), signal })
          : runProgram({ binary, args, env: session.env, stdoutFd: handle!.fd, signal });
        // The checksums wait for the dump's transaction; a streamed dump's starts once restic
        // has opened the repository, which the lock on writers then also waits for (bounded
        // by the recorder's wait, past which it takes the checksums before and after instead).
        checksums?.dumpStarted(dump);
        result = await dump;
      } finally {
        await session.dispose();
      }
    } finally {
      await handle?.close();
    }
    if (result.canceled || result.exitCode !== 0) {
      if (result.canceled) {
        throw new DatabaseError('canceled', 'The database dump was canceled.', database);
      }
      const message = serverMessage(result.stderr);
      throw new DatabaseError(
        'dump-failed',
        `Database ${database} could not be dumped: ${message}`,
        database,
        result.stderr.trim(),
      );
    }
    if ('savedAs' in result) ({ bytes, savedAs } = result);
    if (checksums) {
      checksumFile = checksumFileFor(file);
      await checksums.finish(checksumFile);
    }
  } catch (error) {
    if (!options.stream) await rm(partial, { force: true });
    throw error;
  } finally {
    checksums?.close();
  }
  if (!options.stream) {
    await rename(partial, file);
    bytes = (await stat(file)).size;
  }
  const size = bytes ?? 0;
  onLog?.(
    `${database}: dumped ${formatBytes(size)} in ${Date.now() - started} ms${savedAs ? `, streamed into snapshot ${savedAs.slice(0, 8)}` : ''}`,
  );
  return { database, file, bytes: size, checksumFile, ...(savedAs ? { savedAs } : {}) };
}

// The kernel ends the dump if restic dies, so no dump keeps a transaction open for ever.
const SETPRIV = existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : undefined;

/**
 * The command line restic runs for a streamed dump. restic hands the command its own
 * environment (the repository's storage keys among it): `env -i` replaces that with the dump's
 * own (PATH, HOME in the session directory so no ~/.my.cnf is read, LANG).
 */
function streamCommand(binary: string, args: string[], env: Record<string, string>): string[] {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const guard = SETPRIV ? [SETPRIV, '--pdeathsig', 'KILL', '--'] : [];
  return ['env', '-i', ...assignments, ...guard, binary, ...args];
}

/**
 * What the dumps of `databases` will write, roughly: the server's size of their rows (a dump
 * is text, about as large as the data; the free-space preflight keeps a reserve on top).
 */
export async function estimateDumpBytes(
  connection: MariaDbConnection,
  databases: string[],
  signal?: AbortSignal,
): Promise<number> {
  for (const database of databases) assertDatabaseName(database);
  const tables = await tablesOf(connection, databases, signal);
  let total = 0;
  for (const entry of tables.values()) total += entry.bytes;
  return total;
}

/** Removes a staging directory and everything in it; for the caller's `finally`. */
export async function removeStaging(dir: string): Promise<void> {
  if (!dir || dir === '/') throw new DatabaseError('invalid', 'Refusing to remove "/".');
  await rm(dir, { recursive: true, force: true });
}

/** Creates the staging directory 0700, or checks that an existing one is ours and private. */
async function prepareStaging(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await lstat(dir);
  if (!info.isDirectory()) {
    throw new DatabaseError('invalid', `The staging path ${dir} is not a directory.`);
  }
  if (typeof process.getuid === 'function' && info.uid !== process.getuid()) {
    throw new DatabaseError('invalid', `The staging directory ${dir} belongs to another user.`);
  }
  if ((info.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
}

interface DatabaseTables {
  /** Base tables, sorted. */
  tables: string[];
  /** Base tables in engines other than InnoDB. */
  nonTransactional: string[];
  /** The server's estimate of the rows' size: what orders the dumps. */
  bytes: number;
}

/** Per database: which tables cannot join a transaction, and roughly how big it is. */
async function tablesOf(
  connection: MariaDbConnection,
  databases: string[],
  signal?: AbortSignal,
): Promise<Map<string, DatabaseTables>> {
  const result = new Map<string, DatabaseTables>();
  if (databases.length === 0) return result;
  const rows = await runSql(
    connection,
    `SELECT TABLE_SCHEMA, TABLE_NAME, ENGINE, COALESCE(DATA_LENGTH, 0) FROM information_schema.TABLES
      WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA IN (${databases.map(quoteString).join(', ')})
      ORDER BY TABLE_SCHEMA, TABLE_NAME;`,
    { signal },
  );
  for (const [schema, table, engine, bytes] of rows) {
    if (schema === undefined || table === undefined) continue;
    const entry = result.get(schema) ?? { tables: [], nonTransactional: [], bytes: 0 };
    entry.tables.push(table);
    // ENGINE is NULL for a table the server cannot open: mariadb-dump reports that one itself.
    if (engine !== 'InnoDB' && engine !== 'NULL') entry.nonTransactional.push(table);
    entry.bytes += Number(bytes) || 0;
    result.set(schema, entry);
  }
  return result;
}

function throwIfCanceled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new DatabaseError('canceled', 'The database dump was canceled.');
}

export { formatBytes };
