/**
 * The journal of database restores: one JSON file per restore of one database, in a root-only
 * directory of the service (`<dataDir>/database-restore-journal`), replaced atomically (written
 * to a temporary file, fsynced, renamed, directory fsynced) as the restore passes each phase, so
 * that after a crash it holds the last phase reached, never a torn one. The start of the service
 * reads it (recover.ts) and finishes or undoes what it finds.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseObject } from './objects.js';
import { DatabaseError } from './types.js';

/**
 * importing: the staging ("shadow") database is being filled; the live database is untouched.
 * swapping: the shadow is checked; the live database's triggers may be gone (the other objects
 *   and all tables are as before) until the one RENAME TABLE moves the tables.
 * renamed: the restored tables are live (the commit point); their objects may still be missing.
 * swapped: the restored database is complete; the previous one waits in the "aside" database.
 * saved: the safety snapshot holds the previous database; only cleaning up remains.
 */
export type RestorePhase = 'importing' | 'swapping' | 'renamed' | 'swapped' | 'saved';

export interface DatabaseJournal {
  version: 1;
  /** The job that restores; one job may restore several databases. */
  jobId: string;
  database: string;
  /** Where the dump is imported and checked. */
  shadow: string;
  /** Where the previous tables go, kept for the safety snapshot. */
  aside: string;
  /** Whether the database existed before the restore. */
  existed: boolean;
  /** Its default character set, which the shadow and aside databases get too. */
  charset?: { name: string; collation: string };
  /** The owner account that imports: locked again by recovery. */
  account: { user: string; host: string };
  phase: RestorePhase;
  /** From `swapping` on: what the RENAME moves. */
  oldTables?: string[];
  newTables?: string[];
  /** From `swapping` on: the objects to put back (old) or to create (new) in the live database. */
  oldObjects?: DatabaseObject[];
  newObjects?: DatabaseObject[];
  updatedAt: string;
}

const JOB_ID = /^[A-Za-z0-9-]{1,40}$/;

export class DatabaseJournalDir {
  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<DatabaseJournalDir> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await lstat(dir);
    const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
      throw new DatabaseError(
        'invalid',
        `The database restore journal ${dir} must be a directory of this service's user with mode 0700.`,
      );
    }
    return new DatabaseJournalDir(dir);
  }

  private file(journal: Pick<DatabaseJournal, 'jobId' | 'database'>): string {
    if (!JOB_ID.test(journal.jobId)) {
      throw new DatabaseError('invalid', `"${journal.jobId.slice(0, 40)}" is not a valid job id.`);
    }
    return join(this.dir, `${journal.jobId}-${journal.database}.json`);
  }

  async write(journal: DatabaseJournal): Promise<void> {
    journal.updatedAt = new Date().toISOString();
    const target = this.file(journal);
    const tmp = `${target}.tmp`;
    const handle = await open(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      await handle.writeFile(`${JSON.stringify(journal)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
    await this.sync();
  }

  async remove(journal: DatabaseJournal): Promise<void> {
    await unlink(this.file(journal)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await this.sync();
  }

  /** Every complete journal, oldest first; temporary files of a crashed write are removed. */
  async list(): Promise<DatabaseJournal[]> {
    const out: DatabaseJournal[] = [];
    for (const name of (await readdir(this.dir)).sort()) {
      const full = join(this.dir, name);
      if (name.endsWith('.json.tmp')) await unlink(full).catch(() => undefined);
      if (!name.endsWith('.json')) continue;
      const parsed = JSON.parse(await readFile(full, 'utf8')) as DatabaseJournal;
      if (parsed.version !== 1 || typeof parsed.shadow !== 'string') {
        throw new DatabaseError('invalid', `Unknown database restore journal format in ${full}.`);
      }
      out.push(parsed);
    }
    return out.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
  }

  private async sync(): Promise<void> {
    const handle = await open(this.dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
