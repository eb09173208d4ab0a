/**
 * Dumps customers' databases with `mariadb-dump` into a root-only staging directory at a stable
 * path, so that restic finds its parent snapshot and deduplicates unchanged dumps.
 */
import { formatBytes } from '../format.js';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openSession, quoteString, runProgram, runSql, serverMessage } from './client.js';
import { assertDatabaseName, DatabaseError, type LogFn, type MariaDbConnection } from './types.js';

export interface DumpOptions {
  databases: string[];
  /** Root-only directory at a path that stays the same from run to run; created when missing. */
  stagingDir: string;
  connection: MariaDbConnection;
  signal?: AbortSignal;
  onLog?: LogFn;
}

export interface DumpedDatabase {
  database: string;
  /** `<stagingDir>/<database>.sql` */
  file: string;
  bytes: number;
}

/**
 * Options that make a dump consistent, complete and repeatable: unchanged data gives a
 * byte-identical file (no dump date), so restic stores nothing new for it.
 */
const DUMP_ARGS = [
  '--routines',
  '--triggers',
  '--events',
  '--hex-blob',
  '--default-character-set=utf8mb4',
  '--quick',
  '--skip-dump-date',
  '--add-drop-table',
  '--create-options',
  '--extended-insert',
  '--max-allowed-packet=1G',
];

export async function dumpDatabases(options: DumpOptions): Promise<{ files: DumpedDatabase[] }> {
  const { databases, stagingDir, connection, signal, onLog } = options;
  for (const database of databases) assertDatabaseName(database);
  if (new Set(databases).size !== databases.length) {
    throw new DatabaseError('invalid', 'A database is listed twice.');
  }
  await prepareStaging(stagingDir);
  const engines = await nonTransactionalTables(connection, databases, signal);
  const files: DumpedDatabase[] = [];
  for (const database of databases) {
    throwIfCanceled(signal);
    const started = Date.now();
    const others = engines.get(database) ?? [];
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
    await rm(partial, { force: true });
    const handle = await open(
      partial,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    const session = await openSession(connection);
    let result;
    try {
      result = await runProgram({
        binary: connection.dumpBinary ?? 'mariadb-dump',
        args: [...session.args, ...consistency, ...DUMP_ARGS, database],
        env: session.env,
        stdoutFd: handle.fd,
        signal,
      });
    } finally {
      await handle.close();
      await session.dispose();
    }
    if (result.canceled || result.exitCode !== 0) {
      await rm(partial, { force: true });
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
    await rename(partial, file);
    const { size } = await stat(file);
    files.push({ database, file, bytes: size });
    onLog?.(`${database}: dumped ${formatBytes(size)} in ${Date.now() - started} ms`);
  }
  return { files };
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

async function nonTransactionalTables(
  connection: MariaDbConnection,
  databases: string[],
  signal?: AbortSignal,
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  if (databases.length === 0) return result;
  const rows = await runSql(
    connection,
    `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
      WHERE TABLE_TYPE = 'BASE TABLE' AND ENGINE IS NOT NULL AND ENGINE <> 'InnoDB'
        AND TABLE_SCHEMA IN (${databases.map(quoteString).join(', ')})
      ORDER BY TABLE_SCHEMA, TABLE_NAME;`,
    { signal },
  );
  for (const [schema, table] of rows) {
    if (schema === undefined || table === undefined) continue;
    const list = result.get(schema) ?? [];
    list.push(table);
    result.set(schema, list);
  }
  return result;
}

function throwIfCanceled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new DatabaseError('canceled', 'The database dump was canceled.');
}

export { formatBytes };
