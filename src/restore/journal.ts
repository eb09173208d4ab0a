/**
 * The restore journal: one small JSON file per running restore, in a root-only directory of the
 * service (e.g. `<dataDir>/restore-journal`). It is replaced atomically (write to a temporary
 * file, fsync, rename, fsync the directory), so after a crash it holds either the previous or
 * the next state, never a torn one. recoverInterruptedRestores() reads it on start.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RestoreError } from './errors.js';
import { checkAbsolute, checkJobId } from './paths.js';
import { ignoreMissing, isRootControlled, type Identity } from './safe-fs.js';

export interface AreaJournal {
  version: 1;
  kind: 'area';
  jobId: string;
  mode: 'replace' | 'keep-newer';
  maildir: boolean;
  area: string;
  snapshotId: string;
  /**
   * staging: restic is filling the staging directory; recovery rolls back (removes it).
   * committed: the staged tree is complete; recovery rolls forward (finishes the swap or merge).
   * swapped: replace only; the live area is restored, the previous tree waits in the staging
   *   directory for its safety snapshot; recovery makes it, or keeps the tree if it cannot.
   * cleanup: the live area is restored; only the staging directory remains to be removed.
   */
  state: 'staging' | 'committed' | 'swapped' | 'cleanup';
  /** The area's parent directory, as opened before the restore. */
  parent: Identity & { path: string };
  /** The root-only staging directory; `stagingId` once it exists. */
  staging: string;
  stagingId?: Identity;
  /** The live area before the swap (null when it did not exist). */
  areaBefore: Identity | null;
  /** The staged area, recorded at commit. */
  staged: Identity | null;
  safetySnapshotId?: string;
  /** From `swapped` on: the safety snapshot's tags, and the caller's record (RestoreAreaOptions). */
  safety?: { tags: string[]; record?: unknown };
  updatedAt: string;
}

export interface FileJournal {
  version: 1;
  kind: 'file';
  jobId: string;
  path: string;
  parent: Identity & { path: string };
  /**
   * staging: restic is restoring the file into the staging directory; recovery rolls back.
   * committed: the staged file is complete; recovery rolls forward (renames it into place).
   * cleanup: the file is restored; only the staging directory remains to be removed.
   * writing: a journal of an earlier version, which dumped the file into `tmpName` beside it.
   */
  state: 'staging' | 'committed' | 'cleanup' | 'writing';
  /** The root-only staging directory; `stagingId` once it exists. */
  staging?: string;
  stagingId?: Identity;
  /** The staged file, recorded at commit. */
  staged?: Identity | null;
  /** Earlier versions: the temporary file in the parent directory a crash may leave behind. */
  tmpName?: string;
  updatedAt: string;
}

export type Journal = AreaJournal | FileJournal;

export class JournalDir {
  private constructor(readonly dir: string) {}

  /** Creates the directory if needed and checks that only root can change it. */
  static async open(dir: string): Promise<JournalDir> {
    checkAbsolute(dir, 'journal directory');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await lstat(dir);
    if (!(await isRootControlled(dir)) || (st.mode & 0o077) !== 0)
      throw new RestoreError(
        'failed',
        `The restore journal directory ${dir} must be a real directory owned by root with mode 0700, inside root-owned directories.`,
      );
    return new JournalDir(dir);
  }

  private file(jobId: string): string {
    checkJobId(jobId);
    return join(this.dir, `${jobId}.json`);
  }

  async write(journal: Journal): Promise<void> {
    journal.updatedAt = new Date().toISOString();
    const target = this.file(journal.jobId);
    const tmp = `${target}.tmp`;
    const handle = await open(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      await handle.writeFile(`${JSON.stringify(journal, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
    await this.syncDir();
  }

  async exists(jobId: string): Promise<boolean> {
    try {
      await lstat(this.file(jobId));
      return true;
    } catch {
      return false;
    }
  }

  async remove(jobId: string): Promise<void> {
    await unlink(this.file(jobId)).catch(ignoreMissing);
    await this.syncDir();
  }

  /** Every complete journal; half-written temporary files of a crashed write are removed. */
  async list(): Promise<Journal[]> {
    const out: Journal[] = [];
    for (const name of (await readdir(this.dir)).sort()) {
      const full = join(this.dir, name);
      if (name.endsWith('.json.tmp')) await unlink(full).catch(ignoreMissing);
      if (!name.endsWith('.json')) continue;
      const parsed = JSON.parse(await readFile(full, 'utf8')) as Journal;
      if (parsed.version !== 1 || (parsed.kind !== 'area' && parsed.kind !== 'file'))
        throw new RestoreError('failed', `Unknown restore journal format in ${full}.`);
      out.push(parsed);
    }
    return out;
  }

  private async syncDir(): Promise<void> {
    const handle = await open(this.dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
