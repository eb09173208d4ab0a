/**
 * Called by the service on start: finishes or undoes restores that a crash or `kill -9`
 * interrupted, from their journals. Before the commit point a restore is rolled back (its
 * staging directory removed; the live area was never touched); after it, rolled forward (the
 * remaining renames of the swap or merge are done, then the staging directory is removed). The
 * live area thus ends either exactly as before or exactly restored.
 */
import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
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
}

/**
 * Rolls every journaled restore back or forward. Call it once when the service starts, before
 * any restore runs (a journal of a restore still running would be taken for an interrupted one).
 */
export async function recoverInterruptedRestores(
  journalDir: string,
  opts: { onLog?: (line: string) => void } = {},
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
          ? await recoverArea(journals, journal, log)
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
    journal.state = 'cleanup';
    await journals.write(journal);
  }

  await removeStaging(journal.staging, journal.stagingId);
  await journals.remove(journal.jobId);
  return {
    ...base,
    action: 'rolled-forward',
    detail: `the restore of snapshot ${journal.snapshotId} was completed`,
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
