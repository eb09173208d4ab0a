import type { Runner } from '../runner.js';
import type { OperationOptions, RepositoryLocation } from '../types.js';

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
  /** Progress on restic >= 0.16 only; older versions print none. */
  onProgress?: (progress: {
    percentDone: number;
    bytesRestored: number;
    totalBytes: number;
    filesRestored: number;
    totalFiles: number;
  }) => void;
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
  const json = runner.config.features.restoreProgress;
  if (json) args.push('--json');
  const errors: string[] = [];
  await runner.exec(repo, args, {
    ...opts,
    onJson: (m) => {
      const o = m as Record<string, unknown>;
      if (o.message_type === 'status' || o.message_type === 'summary') {
        opts.onProgress?.({
          percentDone: Number(o.percent_done ?? (o.message_type === 'summary' ? 1 : 0)),
          bytesRestored: Number(o.bytes_restored ?? 0),
          totalBytes: Number(o.total_bytes ?? 0),
          filesRestored: Number(o.files_restored ?? 0),
          totalFiles: Number(o.total_files ?? 0),
        });
      } else if (o.message_type === 'error') errors.push(JSON.stringify(o));
    },
    onLog: (line) => {
      if (/^ignoring error|^error:/i.test(line)) errors.push(line);
      opts.onLog?.(line);
    },
  });
  return { errors };
}
