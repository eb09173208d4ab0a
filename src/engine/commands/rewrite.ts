import type { Runner } from '../runner.js';
import type { OperationOptions, RepositoryLocation } from '../types.js';

export interface RewriteOptions extends OperationOptions {
  /** Absolute paths (or restic exclude patterns) to remove from the snapshots. */
  excludes: string[];
  /** The snapshots to rewrite: those carrying all of these tags (a customer's, never all). */
  tags: string[];
  /** Only these snapshots (restic takes ids instead of the tag filter). */
  ids?: string[];
}

/**
 * Thrown when this restic has no `rewrite` (before 0.15), before anything ran. Not an
 * EngineError: restic did not fail, the request cannot be done here; `code` is the agent's.
 */
export class RewriteUnsupportedError extends Error {
  readonly code = 'unsupported-version';
  constructor(readonly version: string) {
    super(
      `Removing a path from existing snapshots needs restic 0.15 or newer; this server runs ${version}.`,
    );
    this.name = 'RewriteUnsupportedError';
  }
}

/**
 * Removes paths from every snapshot of the tag group: `rewrite --forget` writes each changed
 * snapshot anew without them (time, host and tags kept) and forgets the original, so no snapshot
 * still lists the path. The data stays in the repository until the next prune; the caller prunes
 * when the content must be gone, not only unreachable.
 */
export async function rewrite(
  runner: Runner,
  repo: RepositoryLocation,
  opts: RewriteOptions,
): Promise<void> {
  if (!runner.config.features.rewrite)
    throw new RewriteUnsupportedError(runner.config.version.text);
  if (!opts.tags.length)
    throw new Error('rewrite needs a tag group; refusing to rewrite every snapshot');
  if (!opts.excludes.length) throw new Error('rewrite needs at least one path to remove');
  const args = ['rewrite', '--forget'];
  for (const path of opts.excludes) args.push('--exclude', path);
  if (opts.ids?.length) args.push('--', ...opts.ids);
  else args.push('--tag', opts.tags.join(','));
  await runner.exec(repo, args, opts);
}
