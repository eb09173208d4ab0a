import type { Runner } from '../runner.js';
import type { OperationOptions, RepositoryLocation } from '../types.js';

export interface ForgetOptions extends OperationOptions {
  /** The tag group the policy applies to, e.g. one schedule's tag; never the whole repository. */
  tags: string[];
  keepLast: number;
  /** Also prune unreferenced data right away (slow: maintenance jobs normally do this). */
  prune?: boolean;
}

export interface ForgetResult {
  kept: string[];
  removed: string[];
}

export async function forget(
  runner: Runner,
  repo: RepositoryLocation,
  opts: ForgetOptions,
): Promise<ForgetResult> {
  if (!opts.tags.length)
    throw new Error('forget needs a tag group; refusing to apply a policy to every snapshot');
  if (!Number.isInteger(opts.keepLast) || opts.keepLast < 1)
    throw new Error('keepLast must be a whole number of at least 1');
  // One group for the tag set: restic's default grouping by host and paths would keep N per
  // path list, so a changed path list would silently keep more than the customer asked for.
  const args = [
    'forget',
    '--json',
    '--tag',
    opts.tags.join(','),
    '--group-by',
    '',
    '--keep-last',
    String(opts.keepLast),
  ];
  if (opts.prune) args.push('--prune');
  const result: ForgetResult = { kept: [], removed: [] };
  await runner.exec(repo, args, {
    ...opts,
    onJson: (m) => {
      if (!Array.isArray(m)) return;
      for (const group of m as { keep?: { id: string }[]; remove?: { id: string }[] | null }[]) {
        result.kept.push(...(group.keep ?? []).map((s) => s.id));
        result.removed.push(...(group.remove ?? []).map((s) => s.id));
      }
    },
  });
  return result;
}

/** Forgets the given snapshots by id (a deleted schedule whose snapshots the customer let go). */
export async function forgetIds(
  runner: Runner,
  repo: RepositoryLocation,
  ids: string[],
  opts: OperationOptions = {},
): Promise<void> {
  if (ids.length === 0) return;
  await runner.exec(repo, ['forget', '--', ...ids], opts);
}
