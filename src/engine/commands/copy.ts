import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runner } from '../runner.js';
import type { OperationOptions, RepositoryLocation } from '../types.js';

export interface CopyOptions extends OperationOptions {
  /** The snapshots to copy by id; without ids, those carrying all of `tags`. */
  snapshotIds?: string[];
  tags?: string[];
}

/**
 * Copies snapshots from `from` into `to` (a second copy on another target, 3-2-1). restic 0.14
 * and 0.18 both name the source `--from-repo` and the destination `--repo` (0.14 renamed the
 * older `--repo2`). Snapshots already in `to` are skipped by restic itself, so a copy that was
 * cut short is simply run again.
 *
 * The destination's password goes on stdin as for every command; restic reads the source's only
 * from a file or a command (there is no RESTIC_FROM_PASSWORD), so it is written 0600 into a 0700
 * directory of its own and removed afterwards, as `key add` does with the new password. restic
 * gives both backends one environment: two targets whose credentials use the same variable with
 * different values cannot be copied between in one run, and are refused here rather than
 * silently sending one target's keys to the other.
 */
export async function copy(
  runner: Runner,
  from: RepositoryLocation,
  to: RepositoryLocation,
  opts: CopyOptions = {},
): Promise<void> {
  const ids = opts.snapshotIds ?? [];
  const tags = opts.tags ?? [];
  if (ids.length === 0 && tags.length === 0)
    throw new Error('copy needs snapshot ids or a tag group; refusing to copy every snapshot');
  if (from.env?.RESTIC_REPOSITORY)
    throw new Error('copy cannot read a source whose location is only in the environment');
  for (const [name, value] of Object.entries(from.env ?? {})) {
    const other = to.env?.[name];
    if (other !== undefined && other !== value)
      throw new Error(
        `The two targets need different values for ${name}; restic copy gives both the same environment.`,
      );
  }
  if (from.caCertFile && to.caCertFile && from.caCertFile !== to.caCertFile)
    throw new Error('The two targets need different CA certificates; restic copy takes one.');
  const dir = await mkdtemp(join(tmpdir(), 'hostvault-copy-'));
  try {
    const file = join(dir, 'from-password');
    await writeFile(file, from.password, { mode: 0o600 });
    const args = ['copy', '--from-repo', from.url, '--from-password-file', file];
    if (ids.length === 0) args.push('--tag', tags.join(','));
    else args.push('--', ...ids);
    const joined: RepositoryLocation = {
      ...to,
      env: { ...from.env, ...to.env },
      options: { ...from.options, ...to.options },
      caCertFile: to.caCertFile ?? from.caCertFile,
      secrets: [...(to.secrets ?? []), ...(from.secrets ?? [])],
    };
    await runner.exec(joined, args, { ...opts, secondPassword: from.password });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
