/**
 * One backup run: a customer's scope collected into paths (databases dumped first), saved as one
 * snapshot with an explicit parent, then the schedule's retention applied.
 */
import { mkdir, rm } from 'node:fs/promises';
import {
  PartialBackupError,
  type BackupProgress,
  type BackupSummary,
  type Restic,
} from '../engine/index.js';
import type { RepositoryAccess } from '../agent/protocol.js';
import type { Customer } from '../inventory/schema.js';
import { contentsOf, tag, tagsFor, type Content, type Scope } from '../scope/scope.js';
import { allPaths, collectRoots, databaseStagingDir, type Roots } from './collect.js';
import { firstBackupEstimate, preflight, sizeOf } from './preflight.js';
import type { HostRepositories } from './repositories.js';

/** Dumps databases into a directory; the database module provides the real one. */
export interface DatabaseDumper {
  dump(opts: {
    databases: string[];
    stagingDir: string;
    signal?: AbortSignal;
    onLog?: (line: string) => void;
  }): Promise<void>;
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
}

export interface BackupServiceDeps {
  restic: Restic;
  repositories: HostRepositories;
  databases: DatabaseDumper;
  dataDir: string;
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
    try {
      if (roots.db) {
        await mkdir(staging, { recursive: true, mode: 0o700 });
        log(`Dumping ${customer.databases.length} database(s): ${customer.databases.join(', ')}`);
        await this.deps.databases.dump({
          databases: customer.databases,
          stagingDir: staging,
          signal: request.signal,
          onLog: log,
        });
      }
      const tags = tagsFor({ customer: customer.id, schedule, scope });
      const localRepository = target.kind === 'local' ? repository.url : undefined;
      if (localRepository || request.quota) {
        // A first backup may store everything it reads; a later one about what the last added.
        const first = !request.parent && request.previousAdded === undefined;
        // A local repository is on this server's disk: measured here, where it is.
        const quota = request.quota && {
          limit: request.quota.limit,
          used: request.quota.used ?? (localRepository ? await sizeOf([localRepository]) : 0),
        };
        const room = { localRepository, quota };
        const estimate = first
          ? await firstBackupEstimate(paths, room)
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
          // restic stamps a snapshot with the time its backup started: now, give or take a moment.
          const time = new Date().toISOString();
          if (parent)
            log(`Parent snapshot ${parent.slice(0, 8)}: unchanged files are not read again`);
          const result = await this.deps.restic
            .backup(repo.location, {
              paths,
              tags,
              parent,
              signal: request.signal,
              onProgress: request.onProgress,
              onLog: log,
            })
            .catch((error: unknown) => {
              // Exit 3: the snapshot was saved without some unreadable files. It still counts as
              // this schedule's latest, so retention applies; the job reports the files.
              if (error instanceof PartialBackupError)
                return { summary: error.summary, unreadable: error.unreadable };
              throw error;
            });
          const snapshotId = result.summary.snapshotId;
          let forgotten: string[] = [];
          const withinRetention =
            request.knownSnapshots !== undefined &&
            request.retention !== undefined &&
            request.knownSnapshots + 1 <= request.retention;
          if (request.retention && request.retention > 0 && !withinRetention) {
            const outcome = await this.deps.restic.forget(repo.location, {
              tags: [tag.customer(customer.id), tag.schedule(schedule)],
              keepLast: request.retention,
              signal: request.signal,
              onLog: log,
            });
            forgotten = outcome.removed;
            if (forgotten.length)
              log(`Retention: forgot ${forgotten.length} snapshot(s) beyond ${request.retention}`);
          }
          return {
            snapshotId,
            time,
            parent,
            summary: result.summary,
            contents: contentsOf(tags),
            roots,
            forgotten,
            unreadable: result.unreadable,
          };
        },
        request.onInitialized,
      );
    } finally {
      // Dumps hold customer data outside the customer's areas: never leave them behind.
      if (roots.db) await rm(staging, { recursive: true, force: true });
    }
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
    return list.sort((a, b) => a.time.localeCompare(b.time)).at(-1)?.id;
  }
}
