import { describeErrorMessage } from '../errors.js';
import type { Runner } from '../runner.js';
import type { OperationOptions, RepositoryLocation } from '../types.js';

/** restic's own account of a running restore (0.16+; older versions print none). */
export interface RestoreProgress {
  /** Bytes restored against the bytes to restore, 0..1. */
  percentDone: number;
  bytesRestored: number;
  totalBytes: number;
  filesRestored: number;
  totalFiles: number;
  secondsElapsed: number;
  /** Estimated from the pace so far; absent until there is a pace to go by. */
  secondsRemaining?: number;
}

export interface RestoreOptions extends OperationOptions {
  /** An empty directory; restic recreates the snapshot's absolute paths beneath it. */
  target: string;
  /** Restore only these paths (and what is beneath them). */
  include?: string[];
  exclude?: string[];
  /**
   * Restore all-zero chunks as holes (`--sparse`, restic 0.15+), so a sparse file does not come
   * back at its full size. Default true; older versions restore densely (see restore/holes.ts).
   */
  sparse?: boolean;
  /** Called only where restic reports progress (`Restic.features.restoreProgress`). */
  onProgress?: (progress: RestoreProgress) => void;
  /**
   * Where restic reports no progress (0.14): the bytes it has written so far, about once a
   * second, from the kernel's count of its write calls (the files' contents, plus a few lines of
   * output and any cache file it writes). Counting what arrived in the target instead means
   * walking it: a stat of every file, 1 to 2 s of CPU per walk of 20,000 files here.
   */
  onWritten?: (bytes: number) => void;
}

export interface RestoreResult {
  /** Files restic could not write, from its error lines. */
  errors: string[];
}

export async function restore(
  runner: Runner,
  repo: RepositoryLocation,
  snapshotId: string,
  opts: RestoreOptions,
): Promise<RestoreResult> {
  const args = ['restore', snapshotId, '--target', opts.target];
  for (const path of opts.include ?? []) args.push('--include', path);
  for (const path of opts.exclude ?? []) args.push('--exclude', path);
  if (opts.sparse !== false && runner.config.features.restoreSparse) args.push('--sparse');
  // 0.14 prints no progress, also not with --json; 0.16+ prints status lines and a summary.
  const json = runner.config.features.restoreProgress;
  if (json) args.push('--json');
  const errors: string[] = [];
  const pace = new Pace();
  const onWritten = opts.onWritten;
  await runner.exec(repo, args, {
    ...opts,
    onIo: !json && onWritten ? (io) => onWritten(io.written) : undefined,
    onJson: (m) => {
      const o = m as Record<string, unknown>;
      if (o.message_type === 'status' || o.message_type === 'summary')
        opts.onProgress?.(pace.progress(o));
      else if (o.message_type === 'error') {
        // 0.16+: a file restic could not write, reported on stderr.
        const text = describeErrorMessage(o);
        errors.push(text);
        opts.onLog?.(text);
      }
    },
    onLog: (line) => {
      if (/^ignoring error|^error:/i.test(line)) errors.push(line);
      // restic's banner ("restoring <Snapshot … of [paths]> to <target>") names the server's
      // staging and target directories; the caller logs what is restored in its own words.
      else if (/^restoring <Snapshot /.test(line)) return;
      opts.onLog?.(line);
    },
  });
  return { errors };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * restic reports how far a restore is, not how long it will take: the estimate extrapolates the
 * pace since restic's first status line. restic's `seconds_elapsed` is whole seconds and missing
 * in the first second, so our own clock is the finer measure while restic's counts when it is
 * further along (output played back from a recording arrives all at once).
 */
class Pace {
  private firstAt: number | undefined;

  progress(o: Record<string, unknown>): RestoreProgress {
    const now = performance.now();
    this.firstAt ??= now;
    const done = o.message_type === 'summary';
    const totalBytes = count(o.total_bytes);
    const totalFiles = count(o.total_files);
    const bytesRestored = count(o.bytes_restored);
    const percentDone = done
      ? 1
      : Math.min(1, count(o.percent_done) || (totalBytes ? bytesRestored / totalBytes : 0));
    const secondsElapsed = Math.max(count(o.seconds_elapsed), (now - this.firstAt) / 1000);
    const progress: RestoreProgress = {
      percentDone,
      bytesRestored,
      totalBytes,
      // With --include, restic 0.18 counts the parent directories it creates among the restored
      // files but not in the total ("10 of 4 files"): never more done than there is.
      filesRestored: totalFiles ? Math.min(count(o.files_restored), totalFiles) : 0,
      totalFiles,
      secondsElapsed,
    };
    if (done) progress.secondsRemaining = 0;
    // Under a second and a percent, the pace says nothing yet.
    else if (secondsElapsed >= 1 && percentDone >= 0.01)
      progress.secondsRemaining = Math.round((secondsElapsed * (1 - percentDone)) / percentDone);
    return progress;
  }
}

/** What `restore --dry-run` says it would do to one item (restic 0.17+). */
export interface DryRunItem {
  /**
   * restored: not in the target (or a directory whose metadata is set again); updated: in the
   * target and different; unchanged: in the target as in the snapshot; deleted: in the target only
   * (with `delete`).
   */
  action: 'restored' | 'updated' | 'unchanged' | 'deleted';
  /**
   * As restic prints it: restored, updated and unchanged items relative to the restored folder
   * (`/a/b`), deleted items as absolute paths in the target (`/var/www/x/a/b`).
   */
  item: string;
  size: number;
}

export interface DryRunOptions extends OperationOptions {
  /** The folder of the snapshot restored (`snapshot:subfolder`). */
  folder: string;
  /** The live directory compared with it; nothing is written there. */
  target: string;
  /** Also report what is in the target but not in the snapshot (`--delete`). */
  delete: boolean;
  /** Only these paths of the folder (`/name`). */
  include?: string[];
  onItem(item: DryRunItem): void;
}

/**
 * `restore --dry-run --json -vv snapshot:folder --target dir`: what a restore would restore,
 * update, leave and (with `delete`) delete in `dir`, item by item, without writing anything.
 * restic 0.17+ (`Restic.features.restoreDryRun`); 0.14 has no dry run.
 */
export async function restoreDryRun(
  runner: Runner,
  repo: RepositoryLocation,
  snapshotId: string,
  opts: DryRunOptions,
): Promise<void> {
  if (!runner.config.features.restoreDryRun)
    throw new Error(`${runner.config.version.text} has no restore --dry-run (0.17+ has).`);
  const args = ['restore', `${snapshotId}:${opts.folder}`, '--target', opts.target];
  args.push('--dry-run', '--json', '-vv');
  if (opts.delete) args.push('--delete');
  for (const path of opts.include ?? []) args.push('--include', path);
  await runner.exec(repo, args, {
    ...opts,
    onJson: (m) => {
      const o = m as Record<string, unknown>;
      if (o.message_type !== 'verbose_status') return;
      const action = o.action;
      if (
        (action === 'restored' ||
          action === 'updated' ||
          action === 'unchanged' ||
          action === 'deleted') &&
        typeof o.item === 'string'
      )
        opts.onItem({ action, item: o.item, size: count(o.size) });
    },
    onLog: (line) => opts.onLog?.(line),
  });
}
