/**
 * Restore of one area (a web root, a Maildir) so that it equals the snapshot.
 *
 * Never in place: restic restores into a fresh staging directory (mode 0700, owned by root, in a
 * root-controlled directory on the area's filesystem), then
 *  - replace:    rename(area -> <staging>/old/area), rename(<staging>/tree<area> -> area);
 *  - keep-newer: each staged entry is renamed over the live entry of the same name (mail that
 *                arrived after the snapshot stays);
 * and the staging directory, now holding the old tree, is removed. The safety snapshot of what
 * was there before: keep-newer takes it of the live area while restic stages; replace takes it
 * after the swap, of the previous tree where the swap moved it (the customer's files are in
 * place by then), and removes that tree only once the snapshot is recorded. A journal written
 * with fsync before each phase lets recoverInterruptedRestores() roll back (before the commit
 * point: the staging directory is removed, the live area was never touched) or forward (after
 * it: the remaining renames are done, and a safety snapshot still owed is made) after a crash or
 * `kill -9`.
 *
 * Confinement: the area must lie inside the customer's areas, as a canonical path whose every
 * component is a real directory (opened one by one with O_NOFOLLOW); every live-side operation
 * goes through the descriptor of the area's parent directory (see safe-fs.ts), so a symlink the
 * customer plants anywhere, before or during the restore, is moved or removed as an entry and
 * never followed.
 *
 * Remaining limits (TOCTOU): the customer who owns the area's parent can rename the area or
 * swap in a directory of their own between our lstat and a rename; the worst outcome is that
 * their own entry is moved into the staging directory and removed, or that the restore fails and
 * leaves the previous tree in place — nothing outside the customer's areas is read, written or
 * removed. A customer who moves the parent directory itself elsewhere on the same filesystem
 * (e.g. into /tmp) gets the restore there: it is still their own directory. Bind mounts share a
 * device number, so a staging directory on another mount of the same device is detected only
 * by the first rename failing with EXDEV, which happens before anything has changed.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  PHASE_START,
  reportPhase,
  measureTree,
  snapshotTotals,
  stoppable,
  safetyTagsOf,
  takeSafetySnapshot,
  throwIfCanceled,
  undoHint,
  StagingProgress,
  type CommonRestoreOptions,
  type SafetySnapshotOptions,
} from './common.js';
import { RestoreError } from './errors.js';
import { restoreHoles } from './holes.js';
import { JournalDir, type AreaJournal } from './journal.js';
import {
  basename,
  checkAbsolute,
  checkJobId,
  confiningRoot,
  dirname,
  escapeGlob,
} from './paths.js';
import { resticRestoreProgress } from './restic-progress.js';
import { Dir, identity, ignoreMissing, sameEntry } from './safe-fs.js';
import {
  STAGING_PREFIX,
  chooseStagingParent,
  createStaging,
  removeStaging,
  stopWritersInto,
  syncFilesystem,
} from './staging.js';
import {
  finishMerge,
  finishReplace,
  saveDirMetadata,
  stagedPath,
  undoReplace,
  type MergeStats,
} from './swap.js';

export interface RestoreAreaOptions extends CommonRestoreOptions {
  /** The area's absolute live path as recorded in the snapshot. */
  area: string;
  /** replace: the area equals the snapshot afterwards. keep-newer: nothing not in it is removed. */
  mode: 'replace' | 'keep-newer';
  /**
   * keep-newer on a Maildir: a message the mailbox still has under other flags (moved from new/
   * to cur/, marked read) is not restored a second time.
   */
  maildir?: boolean;
  /** Further root-only directories to stage in when none is found above the area. */
  stagingDirs?: string[];
  /**
   * What the snapshot's browse index says: the area is a directory in it, with these files and
   * bytes below it. restic is then not asked (each question is a repository open and a listing).
   */
  known?: { files: number; bytes: number };
  /**
   * Takes over the removal of the previous content (the staging directory, which holds the old
   * tree after the swap), so the caller can report the restore done before it: the customer's
   * files are in place by then, and removing a 50,000-file web root took 11.6 s here. Until the
   * removal is done the journal stays in its cleanup state, so after a crash meanwhile recovery
   * finishes it at the next start. Absent: removed before restoreArea returns.
   */
  removeLater?: (removal: () => Promise<void>) => void;
  /**
   * replace: kept in the journal beside the safety snapshot's tags, for the caller to record a
   * safety snapshot that recovery makes after a crash (see RecoveryOptions.withSafety). JSON.
   */
  safetyRecord?: unknown;
}

export interface RestoreAreaResult {
  area: string;
  mode: 'replace' | 'keep-newer';
  snapshotId: string;
  /** The snapshot of the area as it was before (absent when disabled or the area was missing). */
  safetySnapshotId?: string;
  /** For the job detail: how to undo this restore. */
  undo?: string;
  merge?: MergeStats;
  durationMs: number;
}

/**
 * restic restores the snapshot's area into the staging directory, fsynced, while progress
 * comes from restic (0.16+) or from the bytes it has written (0.14; the totals are listed beside
 * the restore, not before it, when the browse index does not know them).
 */
async function stageTree(
  opts: RestoreAreaOptions,
  journal: AreaJournal,
  area: string,
): Promise<void> {
  const { restic, repo, snapshotId, signal } = opts;
  const listing = stoppable(signal);
  // restic 0.16+ reports progress itself; 0.14's is measured beside it.
  const fromRestic = resticRestoreProgress(restic, opts.onProgress);
  const polled = fromRestic ? undefined : opts.onProgress;
  const measured = polled && new StagingProgress(stagedPath(journal), polled);
  let listed: { files: number; bytes: number } | undefined;
  const totals = measured
    ? (opts.known
        ? Promise.resolve(opts.known)
        : snapshotTotals({ ...opts, signal: listing.signal }, area)
      )
        .then((t) => {
          listed = t;
          measured.setTotals(t);
        })
        .catch(() => undefined) // progress is a nicety; the restore goes on without it
    : undefined;
  const started = performance.now();
  let result;
  try {
    result = await restic.restore(repo, snapshotId, {
      target: join(journal.staging, 'tree'),
      include: [escapeGlob(area)],
      signal,
      onLog: opts.onLog,
      onProgress: fromRestic,
      onWritten: measured?.written,
    });
  } finally {
    listing.stop();
    await totals;
    await measured?.stop();
  }
  const fetched = performance.now();
  if (result.errors.length)
    throw new RestoreError(
      'failed',
      `restic could not restore everything: ${result.errors.slice(0, 5).join('; ')}`,
    );
  if (polled) {
    // The area's counts for the job's bar, also when the restore beat the first poll (or the
    // listing, which then was stopped: the staged tree is all of the area).
    const staged = listed ?? (await measureTree(stagedPath(journal)));
    polled({
      phase: 'restoring',
      percentDone: PHASE_START['safety-snapshot'],
      filesDone: staged.files,
      totalFiles: staged.files,
      bytesDone: staged.bytes,
      totalBytes: staged.bytes,
    });
  }
  await restoreHoles(restic, stagedPath(journal), opts.onLog);
  const stagedDir = await Dir.open(stagedPath(journal));
  journal.staged = stagedDir.id;
  await stagedDir.close();
  if (journal.mode === 'keep-newer') await saveDirMetadata(journal);
  const restored = performance.now();
  await syncFilesystem(journal.staging);
  opts.onLog?.(
    `staged in ${seconds(started, restored)} s (restic ${seconds(started, fetched)} s), written to disk in ${seconds(restored)} s more`,
  );
}

/** Seconds since `from` (until `to`), one decimal: for the job log's account of a restore. */
function seconds(from: number, to = performance.now()): string {
  return ((to - from) / 1000).toFixed(1);
}

/** replace: where the swap puts the previous tree (inside the root-only staging directory). */
export function asidePath(journal: AreaJournal): string {
  return join(journal.staging, 'old', 'area');
}

/**
 * replace, after the swap: the safety snapshot of the previous tree, read where the swap moved it
 * and saved under the area's path (restic reads it through a bind mount at that path, in a mount
 * namespace of its own that ends with it), so restoring the snapshot puts it back where it was.
 * Only the directory the restore moved aside is read: the staging directory is root-only, so
 * nobody else can put anything at its name. Undefined when there was none (the area was
 * missing). Limit: the bind mount resolves the live path when restic starts; a customer who
 * replaces their restored area by a symbolic link at that moment gets a safety snapshot holding
 * that link (in a namespace of restic's own: nothing else sees the mount).
 */
export async function saveAsideTree(
  opts: SafetySnapshotOptions,
  journal: AreaJournal,
): Promise<string | undefined> {
  const aside = asidePath(journal);
  const st = await lstat(aside).catch((error: unknown) => ignoreMissing(error));
  if (!st) {
    opts.onLog?.(`no previous content of ${journal.area} was moved aside; no safety snapshot`);
    return undefined;
  }
  if (!st.isDirectory() || !sameEntry(st, journal.areaBefore))
    throw new RestoreError(
      'changed',
      `${aside} is not the previous content of ${journal.area}; it is kept for the administrator.`,
    );
  return takeSafetySnapshot(opts, journal.area, aside);
}

export async function restoreArea(opts: RestoreAreaOptions): Promise<RestoreAreaResult> {
  const started = Date.now();
  const restoreStarted = performance.now();
  const log = (line: string): void => opts.onLog?.(line);
  const { area, jobId, restic, repo, snapshotId, signal } = opts;

  // 1. Refusals, before anything changes.
  checkJobId(jobId);
  checkAbsolute(area, 'area');
  if (area === '/') throw new RestoreError('invalid-path', 'The root directory is not an area.');
  confiningRoot(area, opts.confinement, 'area');
  if (opts.mode !== 'replace' && opts.mode !== 'keep-newer')
    throw new RestoreError('failed', `Unknown restore mode ${String(opts.mode)}.`);
  reportPhase(opts, 'checking');
  const journals = await JournalDir.open(opts.journalDir);
  if (await journals.exists(jobId))
    throw new RestoreError('busy', `A restore of job ${jobId} is already recorded in the journal.`);

  const name = basename(area);
  const parent = await Dir.open(dirname(area)); // refuses a symlink anywhere on the way
  try {
    const live = await parent.lstat(name);
    if (live?.isSymbolicLink())
      throw new RestoreError(
        'symlink',
        `${area} is a symbolic link; restores never follow symbolic links, so the restore was refused.`,
      );
    if (live && !live.isDirectory())
      throw new RestoreError('wrong-type', `${area} is not a directory.`);
    if (live && live.dev !== parent.stats.dev)
      throw new RestoreError('wrong-type', `${area} is a mount point and cannot be swapped.`);

    if (!opts.known) {
      const node = (await restic.list(repo, snapshotId, dirname(area), { signal })).find(
        (n) => n.name === name,
      );
      if (!node)
        throw new RestoreError(
          'not-in-snapshot',
          `Snapshot ${snapshotId} does not contain ${area}.`,
        );
      if (node.type !== 'dir')
        throw new RestoreError(
          'wrong-type',
          `${area} is not a directory in snapshot ${snapshotId}.`,
        );
    }

    const stagingParent = await chooseStagingParent(parent, area, opts.stagingDirs ?? []);
    const journal: AreaJournal = {
      version: 1,
      kind: 'area',
      jobId,
      mode: opts.mode,
      maildir: opts.maildir ?? false,
      area,
      snapshotId,
      state: 'staging',
      parent: { path: parent.path, ...parent.id },
      staging: join(stagingParent, `${STAGING_PREFIX}${jobId}`),
      areaBefore: live ? identity(live) : null,
      staged: null,
      // replace saves the previous tree after the swap; recovery needs these to do it.
      safety:
        opts.mode === 'replace' && opts.safetySnapshot !== false && live
          ? { tags: safetyTagsOf(opts), record: opts.safetyRecord }
          : undefined,
      updatedAt: '',
    };
    // Journal first: a crash right after mkdir still finds the staging directory to remove.
    await journals.write(journal);
    await opts.onStep?.('checked');
    log(`staging the restore of ${area} in ${journal.staging}`);

    // 2. Stage and commit; any failure up to the commit removes the staging directory.
    let staging: Dir | undefined;
    try {
      staging = await createStaging(journal.staging);
      journal.stagingId = staging.id;
      await journals.write(journal);

      // keep-newer: the safety snapshot reads the live tree while restic writes the staged one
      // (different files; restic's shared locks let both run), since a merge leaves no complete
      // previous tree behind. replace: the swap moves the previous tree aside whole, so its
      // safety snapshot is taken from there after the swap, and the customer waits only for
      // restic's restore (both at once cost 1.8 times a plain restore).
      reportPhase(opts, 'restoring');
      const both = stoppable(signal);
      const inner = { ...opts, signal: both.signal };
      let failure: unknown;
      const failed = (error: unknown): never => {
        failure ??= error;
        both.stop();
        throw error;
      };
      const takeSafety = opts.safetySnapshot !== false && live && journal.mode === 'keep-newer';
      const stagingStarted = performance.now();
      const outcomes = await Promise.allSettled([
        stageTree(inner, journal, area).catch(failed),
        takeSafety ? takeSafetySnapshot(inner, area).catch(failed) : Promise.resolve(undefined),
      ]);
      if (outcomes.some((o) => o.status === 'rejected')) throw failure;
      await opts.onStep?.('staged');
      if (takeSafety) {
        const [, safety] = outcomes as PromiseFulfilledResult<string | undefined>[];
        journal.safetySnapshotId = safety!.value;
        log(
          `safety snapshot ${journal.safetySnapshotId} holds ${area} as it was (both done after ${seconds(stagingStarted)} s)`,
        );
        await opts.onStep?.('safety-snapshot');
      }
      throwIfCanceled(signal);
      journal.state = 'committed';
      await journals.write(journal);
    } catch (error) {
      await staging?.close();
      // Only a staging directory this run created (one found in place belongs to someone else).
      if (journal.stagingId) {
        await stopWritersInto(journal.staging);
        await removeStaging(journal.staging, journal.stagingId).catch((e: unknown) =>
          log(`could not remove ${journal.staging}: ${String(e)}`),
        );
      }
      await journals.remove(jobId);
      throw error;
    }
    await staging.close();
    await opts.onStep?.('committed');

    // 3. Past the commit point: the swap completes whatever happens (no more cancel).
    reportPhase(opts, 'swapping');
    const swapStarted = performance.now();
    const ctx = {
      journal,
      parent,
      log,
      step: async (s: 'moved-old' | 'swapped' | 'merge-entry') => {
        await opts.onStep?.(s);
      },
    };
    let merge: MergeStats | undefined;
    if (journal.mode === 'replace') {
      try {
        await finishReplace(ctx);
      } catch (error) {
        // Most likely the customer raced us at the area's name; put the old tree back if we can.
        if (await undoReplace(ctx).catch(() => false)) {
          await removeStaging(journal.staging, journal.stagingId).catch(() => undefined);
          await journals.remove(jobId);
          throw new RestoreError(
            'changed',
            `${area} changed during the restore; the previous content was kept.`,
            { cause: error },
          );
        }
        throw error; // the journal stays: recovery finishes the swap
      }
    } else {
      merge = await finishMerge(ctx);
      log(
        `merged into ${area}: ${merge.restored} entries restored, ${merge.skipped} messages already present, ${merge.displaced} moved aside`,
      );
      await opts.onStep?.('merged');
    }

    log(`swapped in ${seconds(swapStarted)} s`);
    if (journal.mode === 'replace' && journal.safety) {
      // The customer's files are in place; the previous tree waits in the staging directory
      // until a safety snapshot holds it (recovery makes it after a crash meanwhile).
      journal.state = 'swapped';
      await journals.write(journal);
      log(
        `${area} is restored (${seconds(restoreStarted)} s after its restore began); saving its previous content as a safety snapshot`,
      );
      opts.onProgress?.({ phase: 'safety-snapshot', percentDone: PHASE_START.swapping });
      const safetyStarted = performance.now();
      try {
        // Past the commit point: not canceled, so the previous tree is never removed unsaved.
        journal.safetySnapshotId = await saveAsideTree({ ...opts, signal: undefined }, journal);
      } catch (error) {
        // The journal stays in `swapped`: the next start of the service tries again.
        throw new RestoreError(
          'failed',
          `${area} is restored, but its previous content could not be saved as a safety snapshot (${error instanceof Error ? error.message : String(error)}); it is kept in ${asidePath(journal)} until the service saves it at its next start.`,
          { cause: error },
        );
      }
      if (journal.safetySnapshotId)
        log(
          `safety snapshot ${journal.safetySnapshotId} holds ${area} as it was, saved in ${seconds(safetyStarted)} s after the swap`,
        );
    }

    reportPhase(opts, 'cleanup');
    journal.state = 'cleanup';
    await journals.write(journal);
    if (journal.mode === 'replace' && journal.safetySnapshotId)
      await opts.onStep?.('safety-snapshot');
    const removal = async (): Promise<void> => {
      await removeStaging(journal.staging, journal.stagingId);
      await journals.remove(jobId);
    };
    if (opts.removeLater) {
      opts.removeLater(removal);
    } else {
      const cleanupStarted = performance.now();
      await removal();
      log(`previous content removed in ${seconds(cleanupStarted)} s`);
    }
    await opts.onStep?.('cleaned');
    opts.onProgress?.({ phase: 'done', percentDone: PHASE_START.done });

    return {
      area,
      mode: opts.mode,
      snapshotId,
      safetySnapshotId: journal.safetySnapshotId,
      undo: journal.safetySnapshotId ? undoHint(journal.safetySnapshotId, area) : undefined,
      merge,
      durationMs: Date.now() - started,
    };
  } finally {
    await parent.close();
  }
}
