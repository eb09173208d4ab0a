import type { Runner } from '../runner.js';
import type { OperationOptions, RepositoryLocation } from '../types.js';

export interface RetagOptions extends OperationOptions {
  add: string[];
  remove: string[];
}

/**
 * Changes one snapshot's tags. restic writes the snapshot anew (a new id; `original` keeps naming
 * the first one) and removes the old: callers read the id back from `snapshots`.
 */
export async function retag(
  runner: Runner,
  repo: RepositoryLocation,
  snapshotId: string,
  opts: RetagOptions,
): Promise<void> {
  if (opts.add.length === 0 && opts.remove.length === 0) return;
  const args = ['tag'];
  for (const t of opts.remove) args.push('--remove', t);
  for (const t of opts.add) args.push('--add', t);
  args.push('--', snapshotId);
  await runner.exec(repo, args, opts);
}
