import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runner } from '../runner.js';
import type { OperationOptions, RepositoryLocation, RepositoryKey, StatsResult } from '../types.js';

/** Removes data no snapshot references. Slow: run it as maintenance, not after every backup. */
export async function prune(
  runner: Runner,
  repo: RepositoryLocation,
  opts: OperationOptions & { maxUnused?: string } = {},
): Promise<void> {
  const args = ['prune'];
  if (opts.maxUnused) args.push('--max-unused', opts.maxUnused);
  await runner.exec(repo, args, opts);
}

export interface CheckResult {
  ok: true;
  output: string[];
}

/** Verifies the repository; `readDataSubset` ("5%", "1/10", "500M") also reads that much data. */
export async function check(
  runner: Runner,
  repo: RepositoryLocation,
  opts: OperationOptions & { readDataSubset?: string } = {},
): Promise<CheckResult> {
  const args = ['check'];
  if (opts.readDataSubset) args.push(`--read-data-subset=${opts.readDataSubset}`);
  const output: string[] = [];
  await runner.exec(repo, args, {
    ...opts,
    onStdout: (line) => {
      output.push(line);
      opts.onLog?.(line);
    },
    onLog: (line) => {
      output.push(line);
      opts.onLog?.(line);
    },
  });
  return { ok: true, output };
}

/** Removes stale locks (their process is gone); `all` removes every lock, live or not. */
export async function unlock(
  runner: Runner,
  repo: RepositoryLocation,
  opts: OperationOptions & { all?: boolean } = {},
): Promise<void> {
  await runner.exec(repo, opts.all ? ['unlock', '--remove-all'] : ['unlock'], {
    ...opts,
    locks: false,
  });
}

export async function stats(
  runner: Runner,
  repo: RepositoryLocation,
  opts: OperationOptions & {
    snapshotId?: string;
    mode?: 'restore-size' | 'raw-data' | 'files-by-contents' | 'blobs-per-file';
    tags?: string[];
  } = {},
): Promise<StatsResult> {
  const args = ['stats', '--json', '--no-lock', '--mode', opts.mode ?? 'restore-size'];
  if (opts.tags?.length) args.push('--tag', opts.tags.join(','));
  if (opts.snapshotId) args.push(opts.snapshotId);
  let result: StatsResult | undefined;
  await runner.exec(repo, args, {
    ...opts,
    locks: false,
    onJson: (m) => {
      const o = m as Record<string, unknown>;
      result = {
        totalSize: Number(o.total_size ?? 0),
        totalFileCount: Number(o.total_file_count ?? 0),
        totalBlobCount: typeof o.total_blob_count === 'number' ? o.total_blob_count : undefined,
        snapshotsCount: typeof o.snapshots_count === 'number' ? o.snapshots_count : undefined,
        totalUncompressedSize:
          typeof o.total_uncompressed_size === 'number' ? o.total_uncompressed_size : undefined,
        compressionRatio: typeof o.compression_ratio === 'number' ? o.compression_ratio : undefined,
      };
    },
  });
  if (!result) throw new Error('restic stats printed no result');
  return result;
}

export interface DiffChange {
  path: string;
  modifier: string;
}

export interface DiffResult {
  changes: DiffChange[];
  added: { files: number; dirs: number; bytes: number };
  removed: { files: number; dirs: number; bytes: number };
  changedFiles: number;
}

export async function diff(
  runner: Runner,
  repo: RepositoryLocation,
  from: string,
  to: string,
  opts: OperationOptions = {},
): Promise<DiffResult> {
  const result: DiffResult = {
    changes: [],
    added: { files: 0, dirs: 0, bytes: 0 },
    removed: { files: 0, dirs: 0, bytes: 0 },
    changedFiles: 0,
  };
  await runner.exec(repo, ['diff', '--json', '--no-lock', from, to], {
    ...opts,
    locks: false,
    onJson: (m) => {
      const o = m as Record<string, unknown>;
      if (o.message_type === 'change')
        result.changes.push({ path: String(o.path), modifier: String(o.modifier) });
      else if (o.message_type === 'statistics') {
        const stat = (x: unknown) => {
          const s = (x ?? {}) as Record<string, unknown>;
          return {
            files: Number(s.files ?? 0),
            dirs: Number(s.dirs ?? 0),
            bytes: Number(s.bytes ?? 0),
          };
        };
        result.added = stat(o.added);
        result.removed = stat(o.removed);
        result.changedFiles = Number(o.changed_files ?? 0);
      }
    },
  });
  return result;
}

export async function keyList(
  runner: Runner,
  repo: RepositoryLocation,
  opts: OperationOptions = {},
): Promise<RepositoryKey[]> {
  let keys: RepositoryKey[] = [];
  await runner.exec(repo, ['key', 'list', '--json'], {
    ...opts,
    onJson: (m) => {
      if (!Array.isArray(m)) return;
      keys = (m as Record<string, unknown>[]).map((k) => ({
        id: String(k.id),
        current: Boolean(k.current),
        userName: String(k.userName ?? ''),
        hostName: String(k.hostName ?? ''),
        created: String(k.created ?? ''),
      }));
    },
  });
  return keys;
}

/**
 * Adds a key that opens the repository with `newPassword`. stdin already carries the current
 * password, so the new one goes through a 0600 file in a private temporary directory that exists
 * only while restic runs.
 */
export async function keyAdd(
  runner: Runner,
  repo: RepositoryLocation,
  newPassword: string,
  opts: OperationOptions = {},
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hostvault-key-'));
  try {
    const file = join(dir, 'new-password');
    await writeFile(file, newPassword, { mode: 0o600 });
    await runner.exec(
      repo,
      ['key', 'add', '--new-password-file', file, '--host', runner.config.host],
      {
        ...opts,
        secondPassword: newPassword,
      },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function keyRemove(
  runner: Runner,
  repo: RepositoryLocation,
  keyId: string,
  opts: OperationOptions = {},
): Promise<void> {
  await runner.exec(repo, ['key', 'remove', keyId], opts);
}

/** The ids of the locks in the repository, live or stale; reading them takes no lock. */
export async function listLocks(
  runner: Runner,
  repo: RepositoryLocation,
  opts: OperationOptions = {},
): Promise<string[]> {
  const ids: string[] = [];
  await runner.exec(repo, ['list', 'locks', '--no-lock'], {
    ...opts,
    locks: false,
    onStdout: (line) => {
      if (/^[0-9a-f]{64}$/.test(line)) ids.push(line);
    },
  });
  return ids;
}
