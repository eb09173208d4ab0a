/**
 * Called by the service on start: finishes or undoes restores that a crash or `kill -9`
 * interrupted, from their journals. Before the commit point a restore is rolled back (its
 * staging directory removed; the live area was never touched); after it, rolled forward (the
 * remaining renames of the swap or merge are done, then the staging directory is removed). The
 * live area thus ends either exactly as before or exactly restored. A replace past its swap
 * whose safety snapshot of the previous tree was not yet made gets it made here; the previous
 * tree is removed only once a safety snapshot holds it.
 */
import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { RepositoryLocation, Restic } from '../engine/index.js';
import { asidePath, saveAsideTree } from './area.js';
import { JournalDir, type AreaJournal, type FileJournal } from './journal.js';
import { Dir, ignoreMissing, sameEntry, withDir } from './safe-fs.js';
import { removeStaging, stopWritersInto } from './staging.js';
import { finishMerge, finishReplace } from './swap.js';
import { finishFile } from './file.js';
import { RestoreError } from './errors.js';

export interface RecoveryOutcome {
  jobId: string;
  kind: 'area' | 'file';
  /** The area or file the interrupted restore was working on. */
  path: string;
  /**
   * rolled-back: the live data is as before the restore. rolled-forward: the restore is complete.
   * failed: nothing could be decided safely; the journal and staging directory are kept.
   */
  action: 'rolled-back' | 'rolled-forward' | 'failed';
  detail: string;
  /** A web root's (replace's) previous content: the safety snapshot recovery made of it. */
  safetySnapshotId?: string;
  /** Where that previous content is kept when no safety snapshot could be made of it. */
  keptIn?: string;
}

/** What a safety snapshot made by recovery needs: its repository and how to record it. */
export interface RecoverySafety {
  restic: Restic;
  repo: RepositoryLocation;
  onSafetySnapshot: (snapshotId: string) => Promise<void>;
}

export interface RecoveryOptions {
  onLog?: (line: string) => void;
  /**
   * Runs `save` with the repository of the journal's restore, for the safety snapshot of the
   * previous tree that a replace interrupted after its swap still owes; throws when that cannot
   * be made (the job or its repository is gone). Absent: such previous trees are kept.
   */
  withSafety?: <T>(
    journal: AreaJournal,
    save: (safety: RecoverySafety) => Promise<T>,
  ) => Promise<T>;
}

/**
 * Rolls every journaled restore back or forward. Call it once when the service starts, before
 * any restore runs (a journal of a restore still running would be taken for an interrupted one).
 */
export async function recoverInterruptedRestores(
  journalDir: string,
  opts: RecoveryOptions = {},
): Promise<RecoveryOutcome[]> {
  if (!existsSync(journalDir)) return [];
  const log = opts.onLog ?? (() => undefined);
  const journals = await JournalDir.open(journalDir);
  const outcomes: RecoveryOutcome[] = [];
  for (const journal of await journals.list()) {
    const path = journal.kind === 'area' ? journal.area : journal.path;
    let outcome: RecoveryOutcome;
    try {
      outcome =
        journal.kind === 'area'
          ? await recoverArea(journals, journal, log, opts)
          : await recoverFile(journals, journal, log);
    } catch (error) {
      outcome = {
        jobId: journal.jobId,
        kind: journal.kind,
        path,
        action: 'failed',
        detail: `${error instanceof Error ? error.message : String(error)} (journal ${journalDir}/${journal.jobId}.json kept)`,
      };
    }
    log(`restore ${outcome.jobId} of ${outcome.path}: ${outcome.action}: ${outcome.detail}`);
    outcomes.push(outcome);
  }
  return outcomes;
}

async function recoverArea(
  journals: JournalDir,
  journal: AreaJournal,
  log: (line: string) => void,
  opts: RecoveryOptions,
): Promise<RecoveryOutcome> {
  const base = { jobId: journal.jobId, kind: 'area' as const, path: journal.area };
  const stopped = await stopWritersInto(journal.staging);
  if (stopped) log(`stopped ${stopped} restic process(es) still writing into ${journal.staging}`);

  if (journal.state === 'staging') {
    await removeStaging(journal.staging, journal.stagingId);
    await journals.remove(journal.jobId);
    return {
      ...base,
      action: 'rolled-back',
      detail: 'interrupted while staging; the live data was not touched',
    };
  }

  if (journal.state === 'committed') {
    const parent = await Dir.open(journal.parent.path);
    await withDir(parent, async (parent) => {
      if (!sameEntry(parent.id, journal.parent))
        throw new RestoreError(
          'changed',
          `${journal.parent.path} is no longer the directory the restore started in; the staged tree is kept in ${journal.staging}`,
        );
      const ctx = { journal, parent, log };
      if (journal.mode === 'replace') await finishReplace(ctx);
      else await finishMerge(ctx);
    });
    // A restore that would have saved the previous tree after the swap still owes that.
    const owesSafety = journal.mode === 'replace' && journal.safety && journal.areaBefore;
    journal.state = owesSafety ? 'swapped' : 'cleanup';
    await journals.write(journal);
  }

  const done = `the restore of snapshot ${journal.snapshotId} was completed`;
  let safetySnapshotId: string | undefined;
  if (journal.state === 'swapped') {
    try {
      if (!opts.withSafety) throw new Error('no repository was given to recovery');
      safetySnapshotId = await opts.withSafety(journal, (safety) =>
        saveAsideTree(
          {
            ...safety,
            snapshotId: journal.snapshotId,
            jobId: journal.jobId,
            safetyTags: journal.safety?.tags,
            onLog: log,
          },
          journal,
        ),
      );
    } catch (error) {
      // Never removed unsaved: the previous tree stays, with its journal, for the next start.
      const keptIn = asidePath(journal);
      return {
        ...base,
        action: 'rolled-forward',
        detail: `${done}; its previous content is kept in ${keptIn}, as no safety snapshot of it could be made: ${error instanceof Error ? error.message : String(error)}`,
        keptIn,
      };
    }
    journal.safetySnapshotId = safetySnapshotId;
    journal.state = 'cleanup';
    await journals.write(journal);
  }

  await removeStaging(journal.staging, journal.stagingId);
  await journals.remove(journal.jobId);
  return {
    ...base,
    action: 'rolled-forward',
    detail: safetySnapshotId
      ? `${done}; safety snapshot ${safetySnapshotId} holds the previous content`
      : done,
    safetySnapshotId,
  };
}

async function recoverFile(
  journals: JournalDir,
  journal: FileJournal,
  log: (line: string) => void,
): Promise<RecoveryOutcome> {
  const base = { jobId: journal.jobId, kind: 'file' as const, path: journal.path };
  const tmpName = journal.tmpName;
  if (journal.state !== 'writing' || !tmpName) return recoverStagedFile(journals, journal, log);
  let detail = 'the file was left as before the restore';
  try {
    await withDir(await Dir.open(journal.parent.path), async (parent) => {
      if (!sameEntry(parent.id, journal.parent)) return;
      const st = await parent.lstat(tmpName);
      if (st?.isFile()) {
        await unlink(parent.at(tmpName)).catch(ignoreMissing);
        await parent.sync();
        detail += '; its temporary file was removed';
      }
    });
  } catch (error) {
    if (!(error instanceof RestoreError)) throw error;
    detail += `; ${error.message}`;
  }
  await journals.remove(journal.jobId);
  return { ...base, action: 'rolled-back', detail };
}

async function recoverStagedFile(
  journals: JournalDir,
  journal: FileJournal,
  log: (line: string) => void,
): Promise<RecoveryOutcome> {
  const base = { jobId: journal.jobId, kind: 'file' as const, path: journal.path };
  const staging = journal.staging!;
  const stopped = await stopWritersInto(staging);
  if (stopped) log(`stopped ${stopped} restic process(es) still writing into ${staging}`);

  if (journal.state === 'staging') {
    await removeStaging(staging, journal.stagingId);
    await journals.remove(journal.jobId);
    return {
      ...base,
      action: 'rolled-back',
      detail: 'interrupted while staging; the file was left as before the restore',
    };
  }

  let action: RecoveryOutcome['action'] = 'rolled-forward';
  let detail = `the restore of ${journal.path} was completed`;
  if (journal.state === 'committed') {
    await withDir(await Dir.open(journal.parent.path), async (parent) => {
      if (!sameEntry(parent.id, journal.parent))
        throw new RestoreError(
          'changed',
          `${journal.parent.path} is no longer the directory the restore started in; the staged file is kept in ${staging}`,
        );
      if ((await finishFile(journal, parent)) === 'directory') {
        action = 'rolled-back';
        detail = `${journal.path} became a directory meanwhile; it was left as it is`;
      }
    });
    journal.state = 'cleanup';
    await journals.write(journal);
  }
  await removeStaging(staging, journal.stagingId);
  await journals.remove(journal.jobId);
  return { ...base, action, detail };
}
