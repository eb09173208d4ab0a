/** Options, progress and the safety snapshot shared by area and single-file restores. */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PartialBackupError, type RepositoryLocation, type Restic } from '../engine/index.js';
import { tag } from '../scope/scope.js';
import { RestoreError } from './errors.js';
import { isWithin } from './paths.js';

/** Points a restore passes, in order; tests pause or kill the process at them. */
export type RestoreStep =
  | 'checked'
  | 'staged'
  | 'safety-snapshot'
  | 'committed'
  | 'moved-old'
  | 'swapped'
  | 'merge-entry'
  | 'merged'
  | 'temp-written'
  | 'cleaned';

export type RestorePhase =
  'checking' | 'restoring' | 'safety-snapshot' | 'swapping' | 'cleanup' | 'done';

export interface RestoreProgress {
  phase: RestorePhase;
  /** The whole job, 0..1. */
  percentDone: number;
  filesDone?: number;
  totalFiles?: number;
  bytesDone?: number;
  totalBytes?: number;
  /** Of restic's own restore, where restic reports progress (0.16+). */
  secondsRemaining?: number;
}

export interface CommonRestoreOptions {
  restic: Restic;
  repo: RepositoryLocation;
  snapshotId: string;
  /** The customer's areas (canonical absolute paths): every write stays inside one of them. */
  confinement: string[];
  /** Names the staging directory, journal and safety snapshot tag; [A-Za-z0-9._-]. */
  jobId: string;
  /** Root-only directory of the service for restore journals, e.g. `<dataDir>/restore-journal`. */
  journalDir: string;
  /** Back up what is about to be overwritten first. Default true. */
  safetySnapshot?: boolean;
  /**
   * The safety snapshot's tags; restore jobs give the one rule of `safetyTags()` (scope.ts).
   * Default: `safety`, `job=<jobId>`.
   */
  safetyTags?: string[];
  /** Told each safety snapshot as soon as it is saved, before the restore goes on. */
  onSafetySnapshot?: (snapshotId: string) => void | Promise<void>;
  /** Cancels until the commit point; after it the swap always completes. */
  signal?: AbortSignal;
  onLog?: (line: string) => void;
  onProgress?: (progress: RestoreProgress) => void;
  /** Called at each step, awaited (for job logs; tests pause or kill here). */
  onStep?: (step: RestoreStep) => void | Promise<void>;
}

export const PHASE_START: Record<RestorePhase, number> = {
  checking: 0,
  restoring: 0.02,
  'safety-snapshot': 0.8,
  swapping: 0.92,
  cleanup: 0.97,
  done: 1,
};

export function reportPhase(opts: CommonRestoreOptions, phase: RestorePhase): void {
  opts.onProgress?.({ phase, percentDone: PHASE_START[phase] });
}

/** A signal that aborts with `outer` (the job's cancel) or when `stop()` is called. */
export function stoppable(outer: AbortSignal | undefined): {
  signal: AbortSignal;
  stop: () => void;
} {
  const own = new AbortController();
  return {
    signal: outer ? AbortSignal.any([outer, own.signal]) : own.signal,
    stop: () => own.abort(),
  };
}

export function throwIfCanceled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RestoreError('canceled', 'The restore was canceled.');
}

/** What a safety snapshot needs of a restore's options. */
export type SafetySnapshotOptions = Pick<
  CommonRestoreOptions,
  | 'restic'
  | 'repo'
  | 'snapshotId'
  | 'jobId'
  | 'safetyTags'
  | 'onSafetySnapshot'
  | 'signal'
  | 'onLog'
>;

/**
 * Backs up `path` before it is overwritten, or, with `from`, the previous content of `path` that
 * a swap has moved to `from` (saved under `path`, so restoring the snapshot puts it back there);
 * returns the safety snapshot's id once the caller's `onSafetySnapshot` has recorded it.
 */
export async function takeSafetySnapshot(
  opts: SafetySnapshotOptions,
  path: string,
  from?: string,
): Promise<string> {
  const log = opts.onLog ?? (() => undefined);
  // The restored snapshot as parent: only files changed since are read again.
  const parent = /^[0-9a-f]{8,64}$/.test(opts.snapshotId) ? opts.snapshotId : undefined;
  let id: string;
  try {
    const result = await opts.restic.backup(opts.repo, {
      paths: [path],
      tags: safetyTagsOf(opts),
      parent,
      bindAt: from ? { source: from } : undefined,
      signal: opts.signal,
      onLog: log,
    });
    id = result.summary.snapshotId;
  } catch (error) {
    if (!(error instanceof PartialBackupError)) throw error;
    log(`safety snapshot misses unreadable files: ${error.unreadable.join(', ')}`);
    id = error.summary.snapshotId;
  }
  await opts.onSafetySnapshot?.(id);
  return id;
}

/** The tags of a restore's safety snapshots: the caller's, else `safety` and `job=<jobId>`. */
export function safetyTagsOf(opts: Pick<CommonRestoreOptions, 'safetyTags' | 'jobId'>): string[] {
  return opts.safetyTags ?? [tag.safety, tag.job(opts.jobId)];
}

export function undoHint(snapshotId: string, path: string): string {
  return `Before this restore, ${path} was saved in safety snapshot ${snapshotId.slice(0, 8)}. To undo the restore, restore ${path} from that snapshot.`;
}

/** Size of what the snapshot holds under `area`, for a progress bar (restic 0.14 reports none). */
export async function snapshotTotals(
  opts: CommonRestoreOptions,
  area: string,
): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  await opts.restic.ls(opts.repo, opts.snapshotId, {
    signal: opts.signal,
    onNode: (node) => {
      if (node.type === 'file' && isWithin(node.path, area)) {
        files++;
        bytes += node.size ?? 0;
      }
    },
  });
  return { files, bytes };
}

/**
 * restic 0.14 reports no restore progress of its own. The bar follows the bytes restic has written
 * (`written`, fed from the engine's count of restic's write calls once a second) against the
 * snapshot's totals; the files are counted in the staging directory by name (directories read,
 * no file stat'ed), at most every FILE_COUNT_MS and at most 5% of the time. The earlier poll
 * stat'ed every staged file once a second or so: 1 to 2 s of CPU per walk of 20,000 files,
 * about a third of what restic itself spends restoring them.
 */
export class StagingProgress {
  private totals: { files: number; bytes: number } | undefined;
  private bytes = 0;
  private files = 0;
  private counting: Promise<void> | undefined;
  private nextCount = 0;
  private stopped = false;

  constructor(
    private readonly root: string,
    private readonly report: (progress: RestoreProgress) => void,
  ) {}

  /** The snapshot's totals under the area, once known; nothing is reported before. */
  setTotals(totals: { files: number; bytes: number }): void {
    this.totals = totals;
  }

  /** restic's written bytes so far (its output's few lines included, hence the clamp). */
  readonly written = (bytes: number): void => {
    if (this.stopped) return;
    this.bytes = bytes;
    this.send();
    if (!this.counting && Date.now() >= this.nextCount) {
      const started = Date.now();
      this.counting = countFiles(this.root).then((files) => {
        this.files = files;
        const took = Date.now() - started;
        this.nextCount = Date.now() + Math.max(FILE_COUNT_MS, 20 * took);
        this.counting = undefined;
        this.send();
      });
    }
  };

  async stop(): Promise<void> {
    this.stopped = true;
    await this.counting;
  }

  private send(): void {
    const totals = this.totals;
    if (!totals || this.stopped) return;
    const span = PHASE_START['safety-snapshot'] - PHASE_START.restoring;
    const bytesDone = Math.min(this.bytes, totals.bytes);
    const fraction = totals.bytes > 0 ? bytesDone / totals.bytes : 0;
    this.report({
      phase: 'restoring',
      percentDone: PHASE_START.restoring + span * fraction,
      filesDone: Math.min(this.files, totals.files),
      totalFiles: totals.files,
      bytesDone,
      totalBytes: totals.bytes,
    });
  }
}

/** How often at most the staged files are counted for the progress of a restic 0.14 restore. */
const FILE_COUNT_MS = 5000;

/**
 * Calls `visit` for each regular file under `root`, told by its directory entry's type (no stat);
 * a directory that cannot be read (removed while restic writes beside it) is passed over.
 */
async function forEachFile(root: string, visit: (path: string) => Promise<void> | void) {
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        // Awaited only when it is asynchronous: counting stays one synchronous loop per folder.
        const pending = visit(full);
        if (pending) await pending;
      }
    }
  }
  await walk(root);
}

/** Regular files under `root` so far, counted by directory entry type (no stat of each file). */
export async function countFiles(root: string): Promise<number> {
  let files = 0;
  await forEachFile(root, () => void files++);
  return files;
}

/** Regular files under `root` and their bytes, each file stat'ed (for a restore's final count). */
export async function measureTree(root: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  await forEachFile(root, async (path) => {
    files++;
    bytes += await lstat(path).then(
      (st) => st.size,
      () => 0,
    );
  });
  return { files, bytes };
}
