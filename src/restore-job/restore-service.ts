/**
 * "Request a restore", the one place for its rules: the API's restore route, the CLI's
 * `restore` and the restore job itself all come here, so a snapshot is found one way, a request
 * is checked one way, and the per-customer limit holds whichever way a restore is asked for.
 */
import type { HostAgent } from '../agent/agent.js';
import type { RestorePreviewAnswer, RestorePreviewRequest } from '../agent/protocol.js';
import type { Customer } from '../inventory/schema.js';
import { restoreJobParams, type RestoreJobParams } from '../job/job-params.js';
import { ActiveJobLimitError, type JobStore } from '../job/job-store.js';
import type { Viewer } from '../auth/viewer.js';
import { HostvaultError, NotFoundError } from '../errors/index.js';
import type { CustomerDirectory } from '../inventory/directory.js';
import {
  RepositoryError,
  type RepositoryPlace,
  type RepositoryService,
} from '../repository/repository-service.js';
import { findSnapshotByRef, snapshotRoots } from '../repository/snapshot-records.js';
import { friendlyPathOf } from '../scope/friendly-path.js';
import type { JobRow, SnapshotRow, Store } from '../store/index.js';
import type { Target } from '../target/schema.js';
import {
  completedByRecovery,
  planRestore,
  plannedSnapshot,
  type RecoveredRestore,
} from './restore-plan.js';
import { checkRestoreRequest, type RestoreRequest } from './restore-request.js';

/** A snapshot as people name it: its repository and its full id or a unique prefix of it. */
export interface SnapshotRef {
  repositoryId: number;
  snapshotId: string;
}

export type { RestoreJobParams };

/** Everything a restore of this snapshot needs, after every check passed. */
export interface ResolvedRestore {
  snapshot: SnapshotRow;
  customer: Customer;
  /** The target the snapshot's repository is reached through (SECRET: its credentials). */
  target: Target;
  /** Whose repository on the target: the customer's own, or the provider's server-wide one. */
  owner: string;
}

/**
 * The snapshot cannot be restored from: missing, not the viewer's, or cut off from its target or
 * customer. A customer gets the API's one 404 for every case; `message` is for the job's error
 * and for admins at the CLI.
 */
export class SnapshotUnavailableError extends NotFoundError {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotUnavailableError';
  }
}

/** The customer has as many restores waiting or running as the provider allows. */
export class RestoreLimitError extends HostvaultError {
  constructor(
    readonly customerId: string,
    readonly limit: number,
  ) {
    super(
      'restore.limit_reached',
      limit === 1
        ? 'You already have a restore waiting or running. Please wait until it has finished, then start this one.'
        : `You already have ${limit} restores waiting or running. Please wait until one has finished, then start this one.`,
      { params: { limit } },
    );
    this.name = 'RestoreLimitError';
  }
}

export interface RestoreServiceDeps {
  store: Store;
  /** The snapshot's repository and its target, found by the repository's id alone. */
  repositories: Pick<RepositoryService, 'place'> & Partial<Pick<RepositoryService, 'access'>>;
  /** The hosting server, for a preview of what a restore would do. */
  agent?: Pick<HostAgent, 'restorePreview'>;
  customers: Pick<CustomerDirectory, 'getCustomer'>;
  jobs: Pick<JobStore, 'create'>;
  /** Restores one customer may have waiting or running at once (Config.restoresPerCustomer). */
  maxActivePerCustomer: number;
  /** Told when a job was queued, so the worker starts it at once. */
  onQueued?: () => void;
}

export class RestoreService {
  constructor(private readonly deps: RestoreServiceDeps) {}

  /**
   * Queues a restore of `ref` for the snapshot's customer, after every check: the viewer may
   * reach the snapshot, the snapshot holds what is asked for, the customer is under the limit.
   * Throws SnapshotUnavailableError, AmbiguousSnapshotError, RestoreRequestError or
   * RestoreLimitError; nothing is queued then.
   */
  async request(
    viewer: Viewer,
    ref: SnapshotRef,
    request: RestoreRequest,
    /**
     * `recovery`: the provider restores a lost server (src/fleet/server-recovery.ts): one
     * restore per content of a customer may be queued at once, beyond the per-customer limit
     * that keeps a customer from filling the queue.
     */
    opts: { recovery?: boolean } = {},
  ): Promise<{ jobId: number; snapshot: SnapshotRow; customer: Customer }> {
    const { snapshot, customer } = await this.resolve(viewer, ref, request);
    const shownPath =
      request.what === 'file' && request.path !== undefined
        ? friendlyPathOf(snapshotRoots(snapshot), request.path)
        : undefined;
    const params: RestoreJobParams = {
      repositoryId: snapshot.repository_id,
      snapshotId: snapshot.id,
      request,
      snapshotTime: snapshot.time,
      ...(shownPath !== undefined ? { shownPath } : {}),
      ...(snapshot.kind === 'safety' && snapshot.restore_job_id != null
        ? { undoes: snapshot.restore_job_id }
        : {}),
    };
    let created;
    try {
      created = await this.deps.jobs.create({
        type: 'restore',
        trigger: opts.recovery ? 'system' : 'manual',
        customerId: snapshot.customer_id,
        scheduleName: `Restore ${request.what}`,
        scope: snapshot.scope,
        params,
        ...(opts.recovery ? {} : { maxActivePerCustomer: this.deps.maxActivePerCustomer }),
      });
    } catch (error) {
      if (error instanceof ActiveJobLimitError)
        throw new RestoreLimitError(snapshot.customer_id, error.limit);
      throw error;
    }
    // Restore jobs have no schedule, so the store never folds one into another.
    const jobId = created.created ? created.id : created.existingId;
    this.deps.onQueued?.();
    return { jobId, snapshot, customer };
  }

  /**
   * What the restore `request` of `ref` would do, before it is asked for: per area the files it
   * would add, change and delete, and the databases it replaces, with one page of one list. The
   * same checks as `request` (a preview of a restore that would be refused is refused); nothing
   * is queued or written.
   */
  async preview(
    viewer: Viewer,
    ref: SnapshotRef,
    request: RestoreRequest,
    page: Pick<RestorePreviewRequest, 'action' | 'offset' | 'limit'>,
  ): Promise<RestorePreviewAnswer> {
    const { agent, repositories } = this.deps;
    if (!agent || !repositories.access) throw new Error('The restore preview has no agent.');
    const { snapshot, customer, target, owner } = await this.resolve(viewer, ref, request);
    // SECRET: the request holds the repository's password; it is never logged.
    const repository = await repositories.access(target, owner);
    return agent.restorePreview({
      repository,
      snapshotId: snapshot.id,
      customer,
      ...plannedSnapshot(snapshot),
      ...request,
      ...page,
    });
  }

  /**
   * The snapshot, its customer and its repository's target, if `viewer` may reach them and the
   * request fits them. The snapshot's schedule plays no part: the snapshots of a schedule deleted
   * with "keep snapshots" restore like any. The restore job calls it again when it starts: the
   * customer or the snapshot may have changed while the job waited.
   */
  async resolve(
    viewer: Viewer,
    ref: SnapshotRef,
    request: RestoreRequest,
  ): Promise<ResolvedRestore> {
    const snapshot = await findSnapshotByRef(this.deps.store, ref.repositoryId, ref.snapshotId, {
      customerId: viewer.role === 'customer' ? viewer.customerId : undefined,
    });
    if (!snapshot)
      throw new SnapshotUnavailableError(
        `There is no snapshot ${ref.snapshotId} in repository ${ref.repositoryId}.`,
      );
    const place = await this.place(snapshot);
    // Server-wide snapshots are the provider's: a customer reaches only their own repository.
    if (viewer.role === 'customer' && place.owner !== viewer.customerId)
      throw new SnapshotUnavailableError(
        `There is no snapshot ${ref.snapshotId} in repository ${ref.repositoryId}.`,
      );
    const customer = await this.deps.customers.getCustomer(snapshot.customer_id);
    if (!customer)
      throw new SnapshotUnavailableError(
        `The customer of this snapshot (${snapshot.customer_id}) no longer exists.`,
      );
    checkRestoreRequest(snapshot, plannedSnapshot(snapshot), customer, request);
    return { snapshot, customer, target: place.target.target, owner: place.owner };
  }

  private async place(snapshot: SnapshotRow): Promise<RepositoryPlace> {
    try {
      return await this.deps.repositories.place(snapshot.repository_id);
    } catch (error) {
      if (error instanceof RepositoryError) throw new SnapshotUnavailableError(error.message);
      throw error;
    }
  }

  /**
   * After a crash: whether recovery at the service's start finished the whole of this restore
   * job (the last restore of its plan rolled forward, nothing undone), so it reads successful.
   */
  async completedByRecovery(job: JobRow, recovered: readonly RecoveredRestore[]): Promise<boolean> {
    if (job.type !== 'restore') return false;
    try {
      const params = restoreJobParams(job);
      const { snapshot, customer } = await this.resolve({ role: 'admin' }, params, params.request);
      return completedByRecovery(
        planRestore(snapshot, customer, params.request),
        job.id,
        recovered,
      );
    } catch {
      // Its params are damaged, or its snapshot or customer is gone: nothing tells what the job
      // still had to do.
      return false;
    }
  }
}
