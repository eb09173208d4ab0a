/**
 * The engine's face: one object per restic binary, every command a typed method. Nothing here
 * knows customers, targets or the store; callers hand in a RepositoryLocation.
 */
import type { Writable } from 'node:stream';
import { backup, type BackupOptions } from './commands/backup.js';
import { copy, type CopyOptions } from './commands/copy.js';
import { dump } from './commands/dump.js';
import { rewrite, type RewriteOptions } from './commands/rewrite.js';
import { retag, type RetagOptions } from './commands/tag.js';
import { EngineError } from './errors.js';
import { forget, forgetIds, type ForgetOptions, type ForgetResult } from './commands/forget.js';
import { catConfig, init, type RepositoryConfig } from './commands/init.js';
import { linkTarget, ls, type LsOptions } from './commands/ls.js';
import {
  check,
  diff,
  keyAdd,
  keyList,
  keyRemove,
  listLocks,
  prune,
  stats,
  unlock,
  type CheckResult,
  type DiffResult,
} from './commands/maintenance.js';
import {
  restore,
  restoreDryRun,
  type DryRunOptions,
  type RestoreOptions,
  type RestoreResult,
} from './commands/restore.js';
import { snapshots, type SnapshotFilter } from './commands/snapshots.js';
import { Runner, type EngineConfig } from './runner.js';
import type {
  BackupResult,
  LsNode,
  OperationOptions,
  RepositoryKey,
  RepositoryLocation,
  SnapshotSummary,
  StatsResult,
} from './types.js';
import { detectVersion, featuresOf, type ResticFeatures, type ResticVersion } from './version.js';

export interface ResticOptions {
  binary?: string;
  host?: string;
  cacheDir?: string;
  timeoutMs?: number;
  stallMs?: number;
}

export const DEFAULT_HOST = 'hostvault';
/** Long enough for a first backup of a big web root; the stall watchdog catches dead targets. */
const DEFAULT_TIMEOUT_MS = 24 * 3600_000;
const DEFAULT_STALL_MS = 5 * 60_000;

export class Restic {
  private readonly runner: Runner;

  private constructor(config: EngineConfig) {
    this.runner = new Runner(config);
  }

  static async detect(opts: ResticOptions = {}): Promise<Restic> {
    const binary = opts.binary ?? 'restic';
    const version = await detectVersion(binary);
    return Restic.forVersion(version, opts);
  }

  /** For tests of version gating: an engine that believes it drives `version`. */
  static forVersion(version: ResticVersion, opts: ResticOptions = {}): Restic {
    return new Restic({
      binary: opts.binary ?? 'restic',
      version,
      features: featuresOf(version),
      host: opts.host ?? DEFAULT_HOST,
      cacheDir: opts.cacheDir,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      stallMs: opts.stallMs ?? DEFAULT_STALL_MS,
    });
  }

  get version(): ResticVersion {
    return this.runner.config.version;
  }

  /** What this restic can do: callers fill in what an older version lacks. */
  get features(): ResticFeatures {
    return this.runner.config.features;
  }

  get host(): string {
    return this.runner.config.host;
  }

  /** The command line restic would get, without secrets: for logs and key-export instructions. */
  describe(repo: RepositoryLocation, command: string[]): string {
    return ['restic', ...this.runner.globalArgs(repo), ...command].join(' ');
  }

  init(repo: RepositoryLocation, opts?: OperationOptions): Promise<void> {
    return init(this.runner, repo, opts);
  }

  catConfig(repo: RepositoryLocation, opts?: OperationOptions): Promise<RepositoryConfig> {
    return catConfig(this.runner, repo, opts);
  }

  backup(repo: RepositoryLocation, opts: BackupOptions): Promise<BackupResult> {
    return backup(this.runner, repo, opts);
  }

  snapshots(repo: RepositoryLocation, opts?: SnapshotFilter): Promise<SnapshotSummary[]> {
    return snapshots(this.runner, repo, opts);
  }

  ls(
    repo: RepositoryLocation,
    snapshotId: string,
    opts: LsOptions,
  ): Promise<SnapshotSummary | undefined> {
    return ls(this.runner, repo, snapshotId, opts);
  }

  /** Convenience over `ls` for one directory: collects its entries. */
  async list(
    repo: RepositoryLocation,
    snapshotId: string,
    dir: string,
    opts: OperationOptions = {},
  ): Promise<LsNode[]> {
    const nodes: LsNode[] = [];
    await ls(this.runner, repo, snapshotId, { ...opts, dir, onNode: (n) => nodes.push(n) });
    return nodes;
  }

  /** The target of the symlink at `path` (the JSON listing has none). */
  linkTarget(
    repo: RepositoryLocation,
    snapshotId: string,
    path: string,
    opts?: OperationOptions,
  ): Promise<string | undefined> {
    return linkTarget(this.runner, repo, snapshotId, path, opts);
  }

  restore(
    repo: RepositoryLocation,
    snapshotId: string,
    opts: RestoreOptions,
  ): Promise<RestoreResult> {
    return restore(this.runner, repo, snapshotId, opts);
  }

  /** What a restore of a folder into a live directory would change there, writing nothing. */
  restoreDryRun(repo: RepositoryLocation, snapshotId: string, opts: DryRunOptions): Promise<void> {
    return restoreDryRun(this.runner, repo, snapshotId, opts);
  }

  dump(
    repo: RepositoryLocation,
    snapshotId: string,
    path: string,
    out: Writable,
    opts?: OperationOptions & { archive?: 'tar' | 'zip' },
  ): Promise<void> {
    return dump(this.runner, repo, snapshotId, path, out, opts);
  }

  async forget(repo: RepositoryLocation, opts: ForgetOptions): Promise<ForgetResult> {
    refuseDeletes(repo);
    return forget(this.runner, repo, opts);
  }

  /** Copies snapshots from `from` into `to` (a schedule's second copy). */
  copy(from: RepositoryLocation, to: RepositoryLocation, opts: CopyOptions): Promise<void> {
    return copy(this.runner, from, to, opts);
  }

  /** Changes one snapshot's tags; it gets a new id. */
  retag(repo: RepositoryLocation, snapshotId: string, opts: RetagOptions): Promise<void> {
    return retag(this.runner, repo, snapshotId, opts);
  }

  /** Removes paths from every snapshot of a tag group (restic 0.15+; see RewriteUnsupportedError). */
  async rewrite(repo: RepositoryLocation, opts: RewriteOptions): Promise<void> {
    refuseDeletes(repo);
    return rewrite(this.runner, repo, opts);
  }

  async forgetIds(repo: RepositoryLocation, ids: string[], opts?: OperationOptions): Promise<void> {
    refuseDeletes(repo);
    return forgetIds(this.runner, repo, ids, opts);
  }

  async prune(
    repo: RepositoryLocation,
    opts?: OperationOptions & { maxUnused?: string },
  ): Promise<void> {
    refuseDeletes(repo);
    return prune(this.runner, repo, opts);
  }

  check(
    repo: RepositoryLocation,
    opts?: OperationOptions & { readDataSubset?: string },
  ): Promise<CheckResult> {
    return check(this.runner, repo, opts);
  }

  unlock(repo: RepositoryLocation, opts?: OperationOptions & { all?: boolean }): Promise<void> {
    return unlock(this.runner, repo, opts);
  }

  stats(repo: RepositoryLocation, opts?: Parameters<typeof stats>[2]): Promise<StatsResult> {
    return stats(this.runner, repo, opts);
  }

  diff(
    repo: RepositoryLocation,
    from: string,
    to: string,
    opts?: OperationOptions,
  ): Promise<DiffResult> {
    return diff(this.runner, repo, from, to, opts);
  }

  locks(repo: RepositoryLocation, opts?: OperationOptions): Promise<string[]> {
    return listLocks(this.runner, repo, opts);
  }

  keyList(repo: RepositoryLocation, opts?: OperationOptions): Promise<RepositoryKey[]> {
    return keyList(this.runner, repo, opts);
  }

  keyAdd(repo: RepositoryLocation, newPassword: string, opts?: OperationOptions): Promise<void> {
    return keyAdd(this.runner, repo, newPassword, opts);
  }

  keyRemove(repo: RepositoryLocation, keyId: string, opts?: OperationOptions): Promise<void> {
    return keyRemove(this.runner, repo, keyId, opts);
  }
}

/**
 * Through an append-only server restic's deletes fail, and restic 0.18 still exits 0 from
 * `forget` and `prune` (seen with rclone 1.60's append-only mode): a run would report snapshots
 * forgotten that are still there. So they are never tried there.
 */
function refuseDeletes(repo: RepositoryLocation): void {
  if (repo.appendOnly)
    throw new EngineError(
      'failed',
      'the repository is reached through an append-only vault',
      null,
      'This repository is behind a vault, which refuses deletes: its retention and prune run on the vault.',
    );
}
