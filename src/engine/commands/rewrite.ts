import { EngineError } from '../errors.js';
import type { Runner } from '../runner.js';
import type { OperationOptions, RepositoryLocation } from '../types.js';

export interface RewriteOptions extends OperationOptions {
  /** Absolute paths (or restic exclude patterns) to remove from the snapshots. */
  excludes: string[];
  /** The snapshots to rewrite: those carrying all of these tags (a customer's, never all). */
  tags: string[];
}

/** Thrown when this restic has no `rewrite` (before 0.15): the caller words the refusal. */
export class RewriteUnsupportedError extends EngineError {
  constructor(readonly version: string) {
    super(
      'failed',
      `${version} has no "rewrite" command (restic 0.15 or newer has it)`,
      null,
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
  if (!runner.config.features.rewrite) throw new RewriteUnsupportedError(runner.config.version.text);
  if (!opts.tags.length)
    throw new Error('rewrite needs a tag group; refusing to rewrite every snapshot');
  if (!opts.excludes.length) throw new Error('rewrite needs at least one path to remove');
  const args = ['rewrite', '--forget', '--tag', opts.tags.join(',')];
  for (const path of opts.excludes) args.push('--exclude', path);
  await runner.exec(repo, args, opts);
}
