/**
 * Single-file restore: the file is replaced atomically at its original place, with everything
 * restic keeps of it. restic restores it into a staging directory (root-only, on the file's
 * filesystem, see staging.ts), where it gets its owner, mode, times to the nanosecond, extended
 * attributes and ACL, and its holes (holes.ts); that very inode is then renamed over the file's
 * name, which replaces whatever entry is there (a symlink included) without following it. The
 * file's directory keeps its mtime: its listing is what it was.
 *
 * Before the rename (the commit point) a crash or cancel leaves the live file untouched and
 * recovery removes the staging directory; after it, recovery completes the rename.
 */
import { join } from 'node:path';
import { reportPhase, stoppable, takeSafetySnapshot, throwIfCanceled, undoHint } from './common.js';
import type { CommonRestoreOptions } from './common.js';
import type { LsNode } from '../engine/index.js';
import { RestoreError, errorCode } from './errors.js';
import { restoreHoles } from './holes.js';
import { JournalDir, type FileJournal } from './journal.js';
import {
  basename,
  checkAbsolute,
  checkJobId,
  confiningRoot,
  dirname,
  escapeGlob,
} from './paths.js';
import { Dir, identity, renameAt, sameEntry, withDir } from './safe-fs.js';
import {
  STAGING_PREFIX,
  chooseStagingParent,
  createStaging,
  removeStaging,
  stopWritersInto,
  syncFilesystem,
} from './staging.js';
import { parentMtimeRecord } from './swap.js';
import { noteMtime, restoreMtime } from './times.js';

export interface RestoreFileOptions extends CommonRestoreOptions {
  /** The file's absolute live path as recorded in the snapshot. */
  path: string;
  /**
   * The file's entry in the snapshot's browse index, when built: restic is then not asked for
   * it (a repository open and a listing of the directory).
   */
  known?: Pick<LsNode, 'type'> & Partial<Pick<LsNode, 'size' | 'mtime' | 'mode' | 'uid' | 'gid'>>;
  /** Further root-only directories to stage in when none is found above the file. */
  stagingDirs?: string[];
}

export interface RestoreFileResult {
  path: string;
  snapshotId: string;
  bytes: number;
  safetySnapshotId?: string;
  undo?: string;
  durationMs: number;
}

export async function restoreFile(opts: RestoreFileOptions): Promise<RestoreFileResult> {
  const started = Date.now();
  const { path, jobId, restic, repo, snapshotId, signal } = opts;
  const log = (line: string): void => opts.onLog?.(line);
  checkJobId(jobId);
  checkAbsolute(path, 'file');
  if (path === '/') throw new RestoreError('invalid-path', 'The root directory is not a file.');
  const dir = dirname(path);
  const name = basename(path);
  // A file can be a customer area by itself (a certificate in /etc/ssl/certs, an Nginx vhost):
  // then it may be replaced where it is, in a directory opened without following any symlink.
  if (!opts.confinement.includes(path)) confiningRoot(dir, opts.confinement, "file's directory");
  reportPhase(opts, 'checking');
  const journals = await JournalDir.open(opts.journalDir);
  if (await journals.exists(jobId))
    throw new RestoreError('busy', `A restore of job ${jobId} is already recorded in the journal.`);

  const parent = await Dir.open(dir); // refuses a symlink anywhere on the way
  try {
    const live = await parent.lstat(name);
    if (live?.isDirectory())
      throw new RestoreError('wrong-type', `${path} is a directory now; restore its directory.`);
    const node =
      opts.known ??
      (await restic.list(repo, snapshotId, dir, { signal })).find((n) => n.name === name);
    if (!node)
      throw new RestoreError('not-in-snapshot', `Snapshot ${snapshotId} does not contain ${path}.`);
    if (node.type !== 'file')
      throw new RestoreError('wrong-type', `${path} is not a regular file in the snapshot.`);

    const stagingParent = await chooseStagingParent(parent, path, opts.stagingDirs ?? []);
    const journal: FileJournal = {
      version: 1,
      kind: 'file',
      jobId,
      path,
      parent: { path: parent.path, ...parent.id },
      state: 'staging',
      staging: join(stagingParent, `${STAGING_PREFIX}${jobId}`),
      staged: null,
      updatedAt: '',
    };
    // Journal first: a crash right after mkdir still finds the staging directory to remove.
    await journals.write(journal);
    await opts.onStep?.('checked');

    let safetySnapshotId: string | undefined;
    let bytes = 0;
    try {
      const staging = await createStaging(journal.staging!);
      journal.stagingId = staging.id;
      await staging.close();
      await journals.write(journal);

      // The safety snapshot of the live file runs while restic stages the new one; both are
      // done before the rename, the only step that changes the live file.
      reportPhase(opts, 'restoring');
      const both = stoppable(signal);
      const inner = { ...opts, signal: both.signal };
      let failure: unknown;
      const failed = (error: unknown): never => {
        failure ??= error;
        both.stop();
        throw error;
      };
      const takeSafety = opts.safetySnapshot !== false && live?.isFile();
      const outcomes = await Promise.allSettled([
        stageFile(inner, journal, node.size).catch(failed),
        takeSafety ? takeSafetySnapshot(inner, path).catch(failed) : Promise.resolve(undefined),
      ]);
      if (outcomes.some((o) => o.status === 'rejected')) throw failure;
      const [staged, safety] = outcomes as [
        PromiseFulfilledResult<{ bytes: number }>,
        PromiseFulfilledResult<string | undefined>,
      ];
      bytes = staged.value.bytes;
      await opts.onStep?.('staged');
      safetySnapshotId = safety.value;
      if (safetySnapshotId) {
        log(`safety snapshot ${safetySnapshotId} holds ${path} as it was`);
        await opts.onStep?.('safety-snapshot');
      }
      throwIfCanceled(signal);
      journal.state = 'committed';
      await journals.write(journal);
    } catch (error) {
      if (journal.stagingId) {
        await stopWritersInto(journal.staging!);
        await removeStaging(journal.staging!, journal.stagingId).catch((e: unknown) =>
          log(`could not remove ${journal.staging}: ${String(e)}`),
        );
      }
      await journals.remove(jobId);
      throw error;
    }
    await opts.onStep?.('committed');

    // Past the commit point: no more cancel.
    reportPhase(opts, 'swapping');
    const outcome = await finishFile(journal, parent);
    if (outcome === 'directory') {
      await removeStaging(journal.staging!, journal.stagingId).catch(() => undefined);
      await journals.remove(jobId);
      throw new RestoreError(
        'changed',
        `${path} became a directory during the restore; nothing was overwritten.`,
      );
    }
    await opts.onStep?.('swapped');
    reportPhase(opts, 'cleanup');
    journal.state = 'cleanup';
    await journals.write(journal);
    await removeStaging(journal.staging!, journal.stagingId);
    await journals.remove(jobId);
    await opts.onStep?.('cleaned');
    opts.onProgress?.({ phase: 'done', percentDone: 1 });
    return {
      path,
      snapshotId,
      bytes,
      safetySnapshotId,
      undo: safetySnapshotId ? undoHint(safetySnapshotId, path) : undefined,
      durationMs: Date.now() - started,
    };
  } finally {
    await parent.close();
  }
}

export function stagedFilePath(journal: FileJournal): string {
  return `${journal.staging}/tree${journal.path}`;
}

/** restic restores the one file into the staging directory, holes and all, flushed to disk. */
async function stageFile(
  opts: RestoreFileOptions,
  journal: FileJournal,
  expectedSize: number | undefined,
): Promise<{ bytes: number }> {
  const result = await opts.restic.restore(opts.repo, opts.snapshotId, {
    target: join(journal.staging!, 'tree'),
    include: [escapeGlob(journal.path)],
    signal: opts.signal,
    onLog: opts.onLog,
  });
  if (result.errors.length)
    throw new RestoreError(
      'failed',
      `restic could not restore ${journal.path}: ${result.errors.slice(0, 5).join('; ')}`,
    );
  const file = stagedFilePath(journal);
  const st = await withDir(await Dir.open(dirname(file)), (dir) => dir.lstat(basename(file)));
  if (!st?.isFile())
    throw new RestoreError('failed', `restic did not restore ${journal.path} as a file.`);
  if (expectedSize !== undefined && st.size !== expectedSize)
    throw new RestoreError(
      'failed',
      `restic delivered ${st.size} bytes of ${journal.path}, the snapshot lists ${expectedSize}.`,
    );
  await restoreHoles(opts.restic, file, opts.onLog);
  journal.staged = identity(st);
  await syncFilesystem(journal.staging!);
  return { bytes: st.size };
}

/**
 * The step after the commit point, shared with recovery: the staged file is renamed over the
 * file's name. Repeatable: a staged file no longer in staging was renamed before. 'directory':
 * a directory has taken the file's name meanwhile, and nothing was changed.
 */
export async function finishFile(
  journal: FileJournal,
  parent: Dir,
): Promise<'replaced' | 'directory'> {
  const name = basename(journal.path);
  const file = stagedFilePath(journal);
  const parentMtime = await noteMtime(parent, parentMtimeRecord(journal.staging!));
  const outcome = await withDir(await Dir.open(dirname(file)), async (staged) => {
    const st = await staged.lstat(name);
    if (!st || !sameEntry(st, journal.staged)) return 'replaced' as const;
    try {
      await renameAt(staged, name, parent, name);
    } catch (error) {
      if (['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(errorCode(error) ?? ''))
        return 'directory' as const;
      throw error;
    }
    return 'replaced' as const;
  });
  await restoreMtime(parent, parentMtime);
  await parent.sync();
  return outcome;
}
