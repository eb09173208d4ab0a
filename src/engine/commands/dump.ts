import type { Writable } from 'node:stream';
import type { Runner } from '../runner.js';
import type { OperationOptions, RepositoryLocation } from '../types.js';

/**
 * Streams one file of a snapshot to `out` without restoring it. For a directory restic writes a
 * tar archive (`archive: 'tar'`, the 0.14 default for directories).
 */
export async function dump(
  runner: Runner,
  repo: RepositoryLocation,
  snapshotId: string,
  path: string,
  out: Writable,
  opts: OperationOptions & { archive?: 'tar' | 'zip' } = {},
): Promise<void> {
  // --quiet: restic 0.14 announces "reading repository password from stdin" on stdout, which
  // would land in front of the file's bytes.
  const args = ['dump', '--quiet', '--no-lock'];
  if (opts.archive) args.push('--archive', opts.archive);
  args.push(snapshotId, path);
  await runner.exec(repo, args, { ...opts, locks: false, stdout: out });
}
