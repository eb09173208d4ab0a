/**
 * Single-file restore: the file is replaced atomically at its original place. restic dumps it
 * into a temporary file created in the same directory with O_CREAT|O_EXCL|O_NOFOLLOW (through
 * the directory's descriptor, see safe-fs.ts); owner, group, mode and mtime from the snapshot
 * are set on the descriptor; after fsync the temporary file is renamed over the target, which
 * replaces whatever entry is there (a symlink included) without following it.
 *
 * Remaining limit: the customer owns the directory, so they can rename or delete the temporary
 * file while it is written. Its data only ever goes through our descriptor, and before the final
 * rename the entry is checked by inode to be the file we created; if they swap it in the short
 * window after that check, the rename moves their own entry within their own directory.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  reportPhase,
  stoppable,
  takeSafetySnapshot,
  throwIfCanceled,
  undoHint,
  type CommonRestoreOptions,
} from './common.js';
import type { LsNode } from '../engine/index.js';
import { RestoreError } from './errors.js';
import { JournalDir, type FileJournal } from './journal.js';
import {
  basename,
  checkAbsolute,
  checkJobId,
  confiningRoot,
  dirname,
  parseGoTime,
} from './paths.js';
import {
  Dir,
  NEW_FILE_FLAGS,
  identity,
  ignoreMissing,
  sameEntry,
  type Identity,
} from './safe-fs.js';

export interface RestoreFileOptions extends CommonRestoreOptions {
  /** The file's absolute live path as recorded in the snapshot. */
  path: string;
  /**
   * The file's entry in the snapshot's browse index, when built: restic is then not asked for
   * it (a repository open and a listing of the directory).
   */
  known?: Pick<LsNode, 'type'> & Partial<Pick<LsNode, 'size' | 'mtime' | 'mode' | 'uid' | 'gid'>>;
}

export interface RestoreFileResult {
  path: string;
  snapshotId: string;
  bytes: number;
  safetySnapshotId?: string;
  undo?: string;
  durationMs: number;
}

export const TEMP_PREFIX = '.hostvault-restore-';

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
  // then it may be replaced where it is, the temporary file beside it created O_EXCL|O_NOFOLLOW
  // in a directory opened without following any symlink.
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

    // The safety snapshot of the live file runs while restic writes the temporary file beside
    // it; it must be done before the rename, the only step that changes the live file.
    let safetySnapshotId: string | undefined;
    const safety =
      opts.safetySnapshot !== false && live?.isFile()
        ? takeSafetySnapshot(opts, path)
        : Promise.resolve(undefined);
    safety.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    throwIfCanceled(signal);

    const tmpName = `${TEMP_PREFIX}${jobId}-${randomBytes(6).toString('hex')}.tmp`;
    const journal: FileJournal = {
      version: 1,
      kind: 'file',
      jobId,
      path,
      parent: { path: parent.path, ...parent.id },
      tmpName,
      state: 'writing',
      updatedAt: '',
    };
    await journals.write(journal);
    await opts.onStep?.('checked');

    reportPhase(opts, 'restoring');
    let tmpId: Identity | undefined;
    let bytes = 0;
    try {
      const handle = await open(parent.at(tmpName), NEW_FILE_FLAGS, 0o600);
      try {
        tmpId = identity(await handle.stat());
        bytes = await dumpInto(opts, path, handle);
        if (node.size !== undefined && bytes !== node.size)
          throw new RestoreError(
            'failed',
            `restic delivered ${bytes} bytes of ${path}, the snapshot lists ${node.size}.`,
          );
        // chown first: it clears setuid/setgid bits, which chmod then sets as in the snapshot.
        await handle.chown(node.uid ?? 0, node.gid ?? 0);
        await handle.chmod(node.mode ?? 0o644);
        const mtime = node.mtime ? parseGoTime(node.mtime) : Date.now() / 1000;
        await handle.utimes(mtime, mtime);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await opts.onStep?.('temp-written');
      safetySnapshotId = await safety;
      if (safetySnapshotId) {
        log(`safety snapshot ${safetySnapshotId} holds ${path} as it was`);
        await opts.onStep?.('safety-snapshot');
      }
      throwIfCanceled(signal);

      reportPhase(opts, 'swapping');
      const st = await parent.lstat(tmpName);
      if (!st || !sameEntry(st, tmpId))
        throw new RestoreError(
          'changed',
          `The temporary file for ${path} was moved or replaced during the restore; nothing was overwritten.`,
        );
      await rename(parent.at(tmpName), parent.at(name));
      await parent.sync();
    } catch (error) {
      await safety.catch(() => undefined); // no restic of this job outlives it
      if (tmpId) {
        const st = await parent.lstat(tmpName).catch(() => undefined);
        if (st && sameEntry(st, tmpId)) await unlink(parent.at(tmpName)).catch(ignoreMissing);
      }
      await journals.remove(jobId);
      throw error;
    }
    await journals.remove(jobId);
    await opts.onStep?.('cleaned');
    opts.onProgress?.({ phase: 'done', percentDone: 1 });
    return {
      path,
      snapshotId,
      bytes,
      safetySnapshotId,
      undo: safetySnapshotId ? undoHint(safetySnapshotId, path, jobId) : undefined,
      durationMs: Date.now() - started,
    };
  } finally {
    await parent.close();
  }
}

/** Streams the file from restic into the descriptor; returns the bytes written. */
async function dumpInto(
  opts: RestoreFileOptions,
  path: string,
  handle: FileHandle,
): Promise<number> {
  let position = 0;
  const writeAll = async (chunk: Buffer): Promise<void> => {
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset, position);
      offset += bytesWritten;
      position += bytesWritten;
    }
  };
  // A failing write must end restic too, or it would block on a pipe nobody reads.
  const { signal, stop } = stoppable(opts.signal);
  const settle =
    (callback: (error?: Error | null) => void) =>
    (error?: unknown): void => {
      if (error) stop();
      callback(error as Error | undefined);
    };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writeAll(chunk).then(() => callback(), settle(callback));
    },
  });
  const done = finished(sink);
  done.catch(() => undefined);
  await opts.restic.dump(opts.repo, opts.snapshotId, path, sink, { signal, onLog: opts.onLog });
  await done;
  return position;
}
