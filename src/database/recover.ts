/**
 * Called when the service starts, before any job runs: puts right what a crash left of database
 * restores. Each journaled restore (journal.ts) is rolled back before its commit point (the
 * RENAME of the swap) and rolled forward after it (swap.ts), its staging databases dropped, and
 * the result told in words for the job. Whatever the journals say (a crash can come before the
 * first one is written), every owner account of this instance is locked again under an unknown
 * password with its sessions ended, and option files that dead processes left are removed.
 */
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killSessions, legacyOwnerAccount, lockOwner, type OwnerAccount } from './account.js';
import { quoteIdent, quoteString, runSql, SESSION_PREFIX } from './client.js';
import { DatabaseJournalDir, type DatabaseJournal } from './journal.js';
import { dumpPrevious } from './restore.js';
import { databaseExists, dropAside, renamed, rollBack, rollForward } from './swap.js';
import { DatabaseError, type LogFn, type MariaDbConnection } from './types.js';

export interface DatabaseRecoveryOutcome {
  /** The job that ran the restore. */
  jobId: string;
  database: string;
  /**
   * rolled-back: the database is as before the restore. rolled-forward: it is restored.
   * failed: nothing could be decided safely; the journal and staging databases are kept.
   */
  action: 'rolled-back' | 'rolled-forward' | 'failed';
  /** For the job: the state the database is in, in the customer's words. */
  note: string;
  /** For the service log: what was done, server paths included. */
  detail: string;
}

export interface RecoverOptions {
  journalDir: string;
  connection: MariaDbConnection;
  /**
   * Where the previous content of a database goes when the service stopped after the swap and
   * before its safety snapshot was made (root-only, e.g. `<dataDir>/database-undo`).
   */
  undoDir: string;
  /** Customers of this service, whose accounts of versions before instance ids are locked too. */
  customerIds?: string[];
  onLog?: LogFn;
}

export async function recoverDatabaseRestores(
  options: RecoverOptions,
): Promise<DatabaseRecoveryOutcome[]> {
  const { connection } = options;
  const log = options.onLog ?? (() => undefined);
  const removed = await removeLeftoverSessions(connection.sessionDir);
  if (removed > 0)
    log(`removed ${removed} database client option file(s) left by a stopped process`);
  try {
    const locked = await lockOwnerAccounts(connection, options.customerIds ?? []);
    if (locked.length > 0) {
      log(`locked database account(s) left unlocked: ${locked.map((a) => a.user).join(', ')}`);
    }
  } catch (error) {
    // MariaDB may be down while the service starts: the service starts anyway, and the next
    // start tries again (as it does with each journal kept below).
    log(`database accounts could not be checked: ${(error as Error).message}`);
  }

  const outcomes: DatabaseRecoveryOutcome[] = [];
  const journals = await DatabaseJournalDir.open(options.journalDir);
  for (const journal of await journals.list()) {
    let outcome: DatabaseRecoveryOutcome;
    try {
      outcome = await recoverOne(journals, journal, options);
    } catch (error) {
      outcome = {
        jobId: journal.jobId,
        database: journal.database,
        action: 'failed',
        note: `Database ${journal.database} could not be put right automatically; the administrator was told.`,
        detail: `${(error as Error).message} (journal ${journals.dir}/${journal.jobId}-${journal.database}.json and databases ${journal.shadow}, ${journal.aside} kept)`,
      };
    }
    log(
      `database restore of job ${outcome.jobId}, ${outcome.database}: ${outcome.action}: ${outcome.detail}`,
    );
    outcomes.push(outcome);
  }
  return outcomes;
}

async function recoverOne(
  journals: DatabaseJournalDir,
  journal: DatabaseJournal,
  options: RecoverOptions,
): Promise<DatabaseRecoveryOutcome> {
  const { connection } = options;
  const ctx = { connection, journals, journal, onLog: options.onLog };
  const base = { jobId: journal.jobId, database: journal.database };
  const account: OwnerAccount = {
    ...journal.account,
    sql: `${quoteIdent(journal.account.user)}@${quoteIdent(journal.account.host)}`,
  };
  // An import the crash cut short may still be running on the server.
  await killSessions(connection, account);

  if (
    journal.phase === 'importing' ||
    (journal.phase === 'swapping' && !(await renamed(connection, journal)))
  ) {
    const stage = journal.phase === 'importing' ? 'while the dump was imported' : 'before the swap';
    await rollBack(ctx);
    await journals.remove(journal);
    return {
      ...base,
      action: 'rolled-back',
      note: `Database ${journal.database} was left as it was before the restore.`,
      detail: `interrupted ${stage}; the database was not changed, the staging database was dropped`,
    };
  }
  if (journal.phase === 'swapping' || journal.phase === 'renamed') {
    if (journal.phase === 'swapping') {
      journal.phase = 'renamed';
      await journals.write(journal);
    }
    await rollForward(ctx);
  }
  let detail = 'the restored database was completed';
  let kept = '';
  if (
    journal.phase === 'swapped' &&
    journal.existed &&
    (await databaseExists(connection, journal.aside))
  ) {
    // No safety snapshot holds the previous database: kept as a dump for the administrator.
    const dump = await dumpPrevious(
      connection,
      journal,
      options.undoDir,
      `job-${journal.jobId}-${journal.database}.sql`,
    );
    detail += `; the previous database is kept in ${dump.file}`;
    kept = ' Its previous content was kept by the administrator, as no safety snapshot was made.';
  }
  await dropAside(connection, journal);
  await journals.remove(journal);
  return {
    ...base,
    action: 'rolled-forward',
    note: `Database ${journal.database} was restored completely when the service started again.${kept}`,
    detail,
  };
}

/**
 * Locks every owner account of this instance, and the legacy accounts of its customers, that is
 * not locked (a crash during an import); nothing runs an import while the service starts.
 */
async function lockOwnerAccounts(
  connection: MariaDbConnection,
  customerIds: string[],
): Promise<OwnerAccount[]> {
  const instance = connection.instance;
  const names: string[] = [];
  for (const id of customerIds) {
    try {
      names.push(legacyOwnerAccount(id, connection).user);
    } catch (error) {
      if (!(error instanceof DatabaseError)) throw error;
    }
  }
  const conditions = [
    ...(instance ? [`User LIKE ${quoteString(`hv\\_${instance}\\_%`)}`] : []),
    ...(names.length > 0 ? [`User IN (${names.map(quoteString).join(', ')})`] : []),
  ];
  if (conditions.length === 0) return [];
  const rows = await runSql(
    connection,
    `SELECT User, Host FROM mysql.global_priv
      WHERE (${conditions.join(' OR ')})
        AND IFNULL(JSON_VALUE(Priv, '$.account_locked'), 'false') NOT IN ('true', '1');`,
  );
  const accounts = rows.map(([user, host]) => ({
    user: user!,
    host: host!,
    sql: `${quoteIdent(user!)}@${quoteIdent(host!)}`,
  }));
  for (const account of accounts) await lockOwner(connection, account);
  return accounts;
}

/**
 * Removes option-file directories of processes that are gone: all of `sessionDir` (the
 * service's own, nothing uses it yet at start) and the temp directory's `hostvault-db-<pid>-*`
 * whose process no longer runs.
 */
async function removeLeftoverSessions(sessionDir: string | undefined): Promise<number> {
  let removed = 0;
  for (const dir of [sessionDir, tmpdir()]) {
    if (!dir) continue;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const name of names) {
      if (!name.startsWith(SESSION_PREFIX)) continue;
      const pid = Number(/^\D+(\d+)-/.exec(name)?.[1]);
      if (dir !== sessionDir && (!Number.isInteger(pid) || alive(pid))) continue;
      if (dir === sessionDir && pid === process.pid) continue;
      await rm(join(dir, name), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
