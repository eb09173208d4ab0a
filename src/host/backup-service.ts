/**
 * One backup run: a customer's scope collected into paths, saved as one snapshot with an
 * explicit parent, then the schedule's retention applied. Databases are dumped first: with
 * restic 0.17+ each streamed into a snapshot of its own that the backup's snapshot names (no
 * copy on disk, see backup-groups.ts), with restic 0.14 into the staging directory that the
 * backup's snapshot then reads.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StreamedDump, StreamOutcome } from '../database/index.js';
import {
  CommandFailedError,
  EngineError,
  PartialBackupError,
  type BackupProgress,
  type BackupSummary,
  type Restic,
} from '../engine/index.js';
import type { RepositoryAccess } from '../agent/protocol.js';
import type { Customer } from '../inventory/schema.js';
import { formatBytes } from '../format.js';
import { contentsOf, dumpTags, tag, tagsFor, type Content, type Scope } from '../scope/scope.js';
import { latestBackup, planRetention } from './backup-groups.js';
import { sampleChanges, type ChangeSample } from './change-sample.js';
import { isHeld } from './held.js';
import { judgeChanges, type GuardHistory } from '../agent/mass-change.js';
import { allPaths, collectRoots, databaseStagingDir, type Roots } from './collect.js';
import { firstBackupEstimate, preflight, preflightStaging, sizeOf } from './preflight.js';
import type { HostRepositories } from './repositories.js';

/** Dumps databases; the database module provides the real one. */
export interface DatabaseDumper {
  /** Into `stagingDir`, one `<db>.sql` and its checksum record each. */
  dump(opts: {
    databases: string[];
    stagingDir: string;
    signal?: AbortSignal;
    onLog?: (line: string) => void;
  }): Promise<void>;
  /**
   * Each dump's command handed to `save`, which runs it and stores its output; only the checksum
   * records go into `stagingDir`. Absent: dumps always go through the staging directory.
   */
  stream?(opts: {
    databases: string[];
    stagingDir: string;
    save: (dump: StreamedDump) => Promise<StreamOutcome>;
    signal?: AbortSignal;
    onLog?: (line: string) => void;
  }): Promise<void>;
  /** What the dumps of `databases` will write, roughly; for the free-space preflight. */
  estimate?(databases: string[], signal?: AbortSignal): Promise<number>;
}

export interface BackupRequest {
  customer: Customer;
  /** The schedule's id: tags the snapshot, finds its parent, scopes its retention. */
  schedule: string | number;
  scope: Scope;
  /** The repository as the control plane resolved it: the owner's own, or the server-wide one. */
  repository: RepositoryAccess;
  /**
   * The schedule's latest snapshot, if the caller knows it; null when the caller knows there is
   * none (a schedule's first run: asking restic would cost a repository open for nothing);
   * absent: restic is asked.
   */
  parent?: string | null;
  /**
   * How many snapshots of this schedule the caller knows of. While this run's snapshot keeps the
   * count within `retention`, retention has nothing to forget and its `forget` (another
   * repository open) is skipped; absent: retention always runs.
   */
  knownSnapshots?: number;
  /**
   * The package's backup storage quota and what the owner's repositories hold now; `used`
   * absent: the local repository is measured on disk here.
   */
  quota?: { limit: number; used?: number };
  /** What the schedule's previous run added; estimates an incremental run's needs. */
  previousAdded?: number;
  /** Snapshots this schedule keeps; absent or 0: keep all. */
  retention?: number;
  /** Snapshots held (src/repository/snapshot-holds.ts): retention leaves them alone. */
  held?: readonly string[];
  /**
   * The previous backup's time: files of the web and mail areas modified since are sampled for
   * the mass-change guard (change-sample.ts). Absent: no sample (a first backup).
   */
  sampleSince?: string;
  /** The mass-change guard's inputs; a flagged run's retention is withheld. */
  guard?: { previousFiles: number } & GuardHistory;
  signal?: AbortSignal;
  /** `restic init` made the repository: the control plane records it. */
  onInitialized?: () => void | Promise<void>;
  onProgress?: (progress: BackupProgress) => void;
  onLog?: (line: string) => void;
}

export interface BackupOutcome {
  snapshotId: string;
  /** The snapshot's time as restic recorded it. */
  time: string;
  parent?: string;
  summary: BackupSummary;
  contents: Content[];
  roots: Roots;
  forgotten: string[];
  /** Files restic could not read; the snapshot exists without them. */
  unreadable: string[];
  /** What changed since `sampleSince`, for the mass-change guard. */
  sample?: ChangeSample;
}

export interface BackupServiceDeps {
  restic: Restic;
  repositories: HostRepositories;
  databases: DatabaseDumper;
  dataDir: string;
  /**
   * Stream dumps into the repository where restic can (0.17+) and the dumper offers it; false:
   * always through the staging directory (the benchmark's comparison). Default true.
   */
  streamDumps?: boolean;
}

/** A database's dump saved in a snapshot of its own. */
interface StreamedPart {
  database: string;
  summary: BackupSummary;
}

export class BackupService {
  constructor(private readonly deps: BackupServiceDeps) {}

  async run(request: BackupRequest): Promise<BackupOutcome> {
    const { customer, schedule, scope, repository } = request;
    const target = repository.target;
    const staging = databaseStagingDir(this.deps.dataDir, customer.id, schedule);
    const roots = collectRoots(customer, scope, staging);
    const paths = allPaths(roots);
    if (paths.length === 0) {
      throw new Error(`Nothing to back up: ${customer.name} has no data in this scope.`);
    }
    const log = request.onLog ?? (() => undefined);
    const { databases } = this.deps;
    const streaming =
      roots.db !== undefined &&
      this.deps.streamDumps !== false &&
      this.deps.restic.features.stdinFromCommand &&
      databases.stream !== undefined;
    const localRepository = target.kind === 'local' ? repository.url : undefined;
    // What the dumps will write: on the staging path onto this server's disk first, streamed
    // only into the repository.
    const dumpBytes =
      roots.db && databases.estimate
        ? await databases.estimate(customer.databases, request.signal)
        : 0;
    try {
      if (roots.db && !streaming) {
        await mkdir(staging, { recursive: true, mode: 0o700 });
        // The staging copy needs room where it is written, before a dump fills the disk.
        await preflightStaging(staging, dumpBytes);
        log(`Dumping ${customer.databases.length} database(s): ${customer.databases.join(', ')}`);
        await databases.dump({
          databases: customer.databases,
          stagingDir: staging,
          signal: request.signal,
          onLog: log,
        });
      }
      const tags = tagsFor({ customer: customer.id, schedule, scope });
      if (localRepository || request.quota) {
        // A first backup may store everything it reads; a later one about what the last added.
        const first = !request.parent && request.previousAdded === undefined;
        // A local repository is on this server's disk: measured here, where it is.
        const quota = request.quota && {
          limit: request.quota.limit,
          used: request.quota.used ?? (localRepository ? await sizeOf([localRepository]) : 0),
        };
        const room = { localRepository, quota };
        // Staged dumps are files under `paths` by now; streamed ones are not on disk at all.
        const estimate = first
          ? (await firstBackupEstimate(paths, room)) + (streaming ? dumpBytes : 0)
          : (request.previousAdded ?? 0);
        await preflight({ estimate, ...room });
      }
      return await this.deps.repositories.withRepository(
        repository,
        async (repo) => {
          // The caller usually knows the schedule's latest snapshot from the store; asking restic
          // costs a repository open, which is a tenth of an unchanged re-run.
          const parent =
            request.parent === null
              ? undefined
              : (request.parent ??
                (await this.latest(repo.location, schedule, customer.id, request.signal)));
          const parts: StreamedPart[] = [];
          try {
            if (streaming) {
              // A dump left staged by a run that died would be saved beside the streamed ones
              // and read instead of them by a restore: the directory starts empty.
              await emptyDirectory(staging);
              await this.stream(repo.location, request, staging, parts, log);
            }
            // restic stamps a snapshot with the time its backup started: now, give or take a moment.
            const time = new Date().toISOString();
            if (parent)
              log(`Parent snapshot ${parent.slice(0, 8)}: unchanged files are not read again`);
            const result = await this.deps.restic
              .backup(repo.location, {
                paths,
                tags: [...tags, ...parts.map((p) => tag.dump(p.database, p.summary.snapshotId))],
                parent,
                signal: request.signal,
                onProgress: request.onProgress,
                onLog: log,
              })
              .catch((error: unknown) => {
                // Exit 3: the snapshot was saved without some unreadable files. It still counts
                // as this schedule's latest, so retention applies; the job reports the files.
                if (error instanceof PartialBackupError)
                  return { summary: error.summary, unreadable: error.unreadable };
                throw error;
              });
            const snapshotId = result.summary.snapshotId;
            const sample = request.sampleSince
              ? await sampleChanges(
                  [...(roots.web ?? []), ...(roots.mail ?? [])],
                  new Date(request.sampleSince),
                )
              : undefined;
            // A run the guard flags must not push good snapshots out: its retention waits for a
            // run that is not flagged (the control plane holds the earlier ones besides).
            const verdict = request.guard
              ? judgeChanges(
                  { ...request.guard, ...withParts(result.summary, parts), sample },
                  request.guard,
                )
              : undefined;
            if (verdict?.flagged)
              log('Retention withheld: the mass-change guard flagged this backup');
            const forgotten = verdict?.flagged
              ? []
              : await this.retention(repo.location, request, log);
            return {
              snapshotId,
              time,
              parent,
              summary: withParts(result.summary, parts),
              contents: contentsOf(tags),
              roots,
              forgotten,
              unreadable: result.unreadable,
              ...(sample ? { sample } : {}),
            };
          } catch (error) {
            // Dumps saved for a backup whose own snapshot was never made belong to no backup:
            // forgotten now, or by the schedule's next retention if this fails too.
            if (parts.length > 0 && !repo.location.appendOnly) {
              const ids = parts.map((p) => p.summary.snapshotId);
              await forgetSoon(() => this.deps.restic.forgetIds(repo.location, ids)).then(
                () => log(`Forgot the ${ids.length} database snapshot(s) of this failed backup`),
                () => log(`The database snapshots of this failed backup are forgotten later`),
              );
            }
            throw error;
          }
        },
        request.onInitialized,
      );
    } finally {
      // Dumps hold customer data outside the customer's areas: never leave them behind.
      if (roots.db) await rm(staging, { recursive: true, force: true });
    }
  }

  /**
   * Each database's dump streamed by restic into a snapshot of its own (`--stdin-from-command`),
   * recorded in `parts` as it is saved; the checksum records land in `staging`.
   */
  private async stream(
    location: Parameters<Restic['backup']>[0],
    request: BackupRequest,
    staging: string,
    parts: StreamedPart[],
    log: (line: string) => void,
  ): Promise<void> {
    const { customer, schedule } = request;
    log(
      `Streaming ${customer.databases.length} database dump(s) into the repository: ${customer.databases.join(', ')}`,
    );
    await this.deps.databases.stream!({
      databases: customer.databases,
      stagingDir: staging,
      signal: request.signal,
      onLog: log,
      save: async (dump) => {
        try {
          const { summary } = await this.deps.restic.backup(location, {
            paths: [],
            fromCommand: { filename: `${dump.database}.sql`, command: dump.command },
            tags: dumpTags({ customer: customer.id, schedule, database: dump.database }),
            signal: dump.signal,
            onLog: log,
          });
          parts.push({ database: dump.database, summary });
          return {
            exitCode: 0,
            stderr: '',
            canceled: false,
            bytes: summary.totalBytesProcessed,
            savedAs: summary.snapshotId,
          };
        } catch (error) {
          // The dump's own failure is the database module's to word; restic's (its repository)
          // stays restic's.
          if (error instanceof CommandFailedError)
            return {
              exitCode: error.status ?? 1,
              stderr: error.output.join('\n'),
              canceled: false,
              bytes: 0,
              savedAs: '',
            };
          if (error instanceof EngineError && error.kind === 'canceled' && dump.signal.aborted)
            return { exitCode: null, stderr: '', canceled: true, bytes: 0, savedAs: '' };
          throw error;
        }
      },
    });
    const bytes = parts.reduce((sum, p) => sum + p.summary.totalBytesProcessed, 0);
    log(
      `${parts.length} database dump(s) (${formatBytes(bytes)}) streamed into their snapshots, nothing written to disk`,
    );
  }

  /**
   * The schedule's retention: its backups beyond `retention` forgotten with their dumps'
   * snapshots (backup-groups.ts). Skipped while the snapshots the caller knows of stay within it.
   */
  private async retention(
    location: Parameters<Restic['backup']>[0],
    request: BackupRequest,
    log: (line: string) => void,
  ): Promise<string[]> {
    const { retention, knownSnapshots } = request;
    if (!retention || retention <= 0) return [];
    if (location.appendOnly) {
      log('Retention runs on the vault: this server can add backups there, not delete them');
      return [];
    }
    if (knownSnapshots !== undefined && knownSnapshots + 1 <= retention) return [];
    const list = await this.deps.restic.snapshots(location, {
      tags: [tag.customer(request.customer.id), tag.schedule(request.schedule)],
      signal: request.signal,
    });
    const held = request.held ?? [];
    const { forget, keep } = planRetention(list, retention, held);
    const keptHeld = keep.filter((id) => isHeld(id, held));
    if (keptHeld.length > 0)
      log(
        `Retention: ${keptHeld.length} held snapshot(s) kept beyond ${retention}: ${keptHeld.map((id) => id.slice(0, 8)).join(', ')}`,
      );
    if (forget.length === 0) return [];
    await this.deps.restic.forgetIds(location, forget, { signal: request.signal, onLog: log });
    log(`Retention: forgot ${forget.length} snapshot(s) beyond ${retention}`);
    return forget;
  }

  /** The schedule's newest snapshot, given to restic as the explicit parent. */
  private async latest(
    repo: Parameters<Restic['snapshots']>[0],
    schedule: string | number,
    customerId: string,
    signal?: AbortSignal,
  ) {
    const list = await this.deps.restic.snapshots(repo, {
      tags: [tag.customer(customerId), tag.schedule(schedule)],
      signal,
    });
    return latestBackup(list)?.id;
  }
}

/**
 * The backup's summary with what its streamed dumps read and added (their durations overlap
 * the dumps', so the backup's own stays as restic measured it).
 */
function withParts(summary: BackupSummary, parts: StreamedPart[]): BackupSummary {
  const total = { ...summary };
  for (const { summary: part } of parts) {
    total.filesNew += part.filesNew;
    total.filesChanged += part.filesChanged;
    total.filesUnmodified += part.filesUnmodified;
    total.dataBlobs += part.dataBlobs;
    total.treeBlobs += part.treeBlobs;
    total.dataAdded += part.dataAdded;
    total.totalFilesProcessed += part.totalFilesProcessed;
    total.totalBytesProcessed += part.totalBytesProcessed;
  }
  return total;
}

/** Removes what `dir` holds, if it exists; the directory itself stays. */
async function emptyDirectory(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => []);
  for (const name of names) await rm(join(dir, name), { recursive: true, force: true });
}

/**
 * A forget tried again while the repository is locked by another operation (a browse index
 * being built, a check), which ends within seconds: three tries over about six seconds.
 */
async function forgetSoon(forget: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await forget();
      return;
    } catch (error) {
      if (attempt >= 3 || !(error instanceof EngineError && error.kind === 'locked')) throw error;
      await new Promise((resolve) => setTimeout(resolve, attempt * 2000));
    }
  }
}
