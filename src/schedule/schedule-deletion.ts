/**
 * "Delete a schedule", keeping or forgetting its snapshots: the one place for its rules, which the
 * API's route and the CLI's `schedules delete` both call.
 *
 * - A schedule that is running a backup, or the copy of one to its second target, is not deleted:
 *   the backup would record a snapshot of a schedule that is gone, and "forget" would miss it and
 *   the copies.
 * - "Forget" reaches the second copy's repository too: the copies are the schedule's snapshots as
 *   much as the first ones, and are forgotten there even when no row records them (a copy job
 *   that failed after restic copied).
 * - "Forget": the agent forgets the schedule's snapshots (and the safety snapshots of restores
 *   from them) in each repository they are in, reached through the repository's own target, then
 *   their rows go. Only then is the schedule deleted: a forget that fails leaves the schedule and
 *   its remaining snapshots as they were, to try again. Prune frees their data later.
 * - Held snapshots (src/repository/snapshot-holds.ts) are never forgotten: with "forget" they
 *   and their rows stay, as with "keep", until their holds end and the schedule is gone.
 * - "Keep": the snapshots stay, reachable through their repository and its target record, which
 *   stays while a repository points at it.
 */
import { HostvaultError } from '../errors/index.js';
import type { HostAgent } from '../agent/agent.js';
import { AgentError } from '../agent/errors.js';
import { copyParams } from '../job/job-params.js';
import type { JobStore } from '../job/job-store.js';
import type { RepositoryService } from '../repository/repository-service.js';
import { dropScheduleSnapshotRows, snapshotsOfSchedule } from '../repository/snapshot-records.js';
import type { ScheduleRow, Store } from '../store/index.js';
import type { Viewer } from '../auth/viewer.js';
import type { ScheduleService } from './schedule-service.js';
import type { SnapshotHolds } from '../repository/snapshot-holds.js';
import type { VaultMaintainer } from '../fleet/vault-protocol.js';

/** The schedule is running a backup; nothing was deleted. */
export class ScheduleBusyError extends HostvaultError {
  constructor(readonly scheduleId: number) {
    super(
      'schedule.running',
      'This schedule is running a backup. Cancel it or wait until it has finished.',
    );
    this.name = 'ScheduleBusyError';
  }
}

export type SnapshotsChoice = 'keep' | 'forget';

export class ScheduleDeletion {
  constructor(
    private readonly deps: {
      /** The snapshot rows (src/repository/snapshot-records.ts writes them). */
      store: Store;
      schedules: Pick<ScheduleService, 'getRow' | 'remove'>;
      jobs: Pick<JobStore, 'list' | 'get'>;
      repositories: Pick<
        RepositoryService,
        'accessById' | 'markInitialized' | 'initializedOnTarget'
      >;
      /** The hosting server, which forgets the snapshots. */
      agent: Pick<HostAgent, 'forget'>;
      /** Held snapshots stay, with their rows, when the schedule's snapshots are forgotten. */
      holds?: Pick<SnapshotHolds, 'heldIds'>;
      /**
       * The vault, which forgets in a vault-fronted repository: its agent may only add to it. The
       * vault `hostvault serve` runs, or a controller's fleet vault over NATS.
       */
      vault?: VaultMaintainer;
    },
  ) {}

  /**
   * Deletes schedule `id` as `viewer` may (NotFoundError otherwise), keeping or forgetting its
   * snapshots. ScheduleBusyError while it runs a backup. Answers how many snapshots were
   * forgotten (0 when kept).
   */
  async delete(
    viewer: Viewer,
    id: number,
    snapshots: SnapshotsChoice,
  ): Promise<{ forgotten: number }> {
    const row = await this.deps.schedules.getRow(viewer, id);
    const running = await this.deps.jobs.list({ scheduleId: row.id, status: 'running', limit: 1 });
    if (running.length > 0 || (await this.copying(row.id))) throw new ScheduleBusyError(row.id);
    const forgotten = snapshots === 'forget' ? await this.forgetSnapshots(row) : 0;
    await this.deps.schedules.remove(row);
    return { forgotten };
  }

  /** Whether a copy of one of the schedule's backups runs now (its job names the schedule). */
  private async copying(scheduleId: number): Promise<boolean> {
    const running = await this.deps.jobs.list({ type: 'copy', status: 'running' });
    for (const summary of running) {
      const job = await this.deps.jobs.get(summary.id);
      if (job && copyParams(job).scheduleId === scheduleId) return true;
    }
    return false;
  }

  /**
   * The agent forgets the schedule's snapshots per repository and customer (a server-wide
   * repository holds several customers' snapshots, each tagged with its customer), then their
   * rows go.
   */
  private async forgetSnapshots(schedule: ScheduleRow): Promise<number> {
    const scheduleId = schedule.id;
    const rows = await snapshotsOfSchedule(this.deps.store, scheduleId);
    const byRepository = groupBy(rows, (row) => row.repository_id);
    // The second copy's repository, also where no row records a copy. A customer's schedule has
    // one customer; a server-wide one's copies are reached through their rows only.
    if (schedule.copy_target_id !== null && schedule.customer_id !== null) {
      const owner = schedule.owner_kind === 'server' ? 'server' : schedule.customer_id;
      for (const id of await this.deps.repositories.initializedOnTarget(
        schedule.copy_target_id,
        owner,
      ))
        if (!byRepository.has(id)) byRepository.set(id, []);
    }
    let kept = 0;
    for (const [repositoryId, inRepository] of byRepository) {
      // SECRET: the request holds the repository's password; it is never logged.
      const repository = await this.deps.repositories.accessById(repositoryId);
      const held = (await this.deps.holds?.heldIds(repositoryId)) ?? [];
      kept += inRepository.filter((row) => held.includes(row.id)).length;
      const byCustomer = groupBy(inRepository, (row) => row.customer_id);
      if (byCustomer.size === 0 && schedule.customer_id !== null)
        byCustomer.set(schedule.customer_id, []);
      for (const [customerId, own] of byCustomer) {
        // The safety snapshots of restores from this schedule go with it.
        const also = own.filter((row) => row.kind === 'safety').map((row) => row.id);
        if (repository.target.kind === 'vault') {
          if (!this.deps.vault)
            throw new AgentError({
              code: 'unreachable',
              message:
                'These snapshots are behind a vault, which refuses deletes from the hosting server, and this service reaches no vault to forget them. Keep the snapshots, or run the vault here (see the operator guide).',
            });
          await this.deps.vault.maintain(
            {
              url: repository.url,
              agent: repository.target.user,
              owner: repository.owner,
              password: repository.password,
            },
            { task: 'forget', schedule: scheduleId, customerId, also, held: [...held] },
            {},
          );
          continue;
        }
        await this.deps.agent.forget(
          {
            repository,
            scheduleId,
            customerId,
            also,
            ...(held.length > 0 ? { held } : {}),
          },
          {
            onEvent: (event) => {
              if (event.kind === 'repository-initialized')
                void this.deps.repositories.markInitialized(event.repositoryId);
            },
          },
        );
      }
      await dropScheduleSnapshotRows(this.deps.store, scheduleId, repositoryId, held);
    }
    // Held snapshots are not forgotten: they stay, reachable like those of "keep".
    return rows.length - kept;
  }
}

/** Map.groupBy, which Node 20 lacks. */
function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}
