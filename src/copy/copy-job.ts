/**
 * Second copies (3-2-1, issue 14): a schedule with a second target has each new backup copied
 * there (`restic copy`) by a job of its own, after the backup, so a slow or unreachable second
 * target never holds up or fails the backup, and each copy has its own status, log and alert
 * (`copy.failed`). The copy keeps its own number of snapshots. Planned and recorded here, on the
 * control plane; run by the agent (`maintain` with task `copy`) under both repositories' mutexes.
 */
import type { HostAgent } from '../agent/agent.js';
import { copyParams, type CopyParams } from '../job/job-params.js';
import type { JobStore } from '../job/job-store.js';
import type { JobHandler } from '../job/worker.js';
import type { RepositoryService } from '../repository/repository-service.js';
import type { SnapshotHolds } from '../repository/snapshot-holds.js';
import { runEvents } from '../repository/run-events.js';
import { recordCopies } from '../repository/snapshot-records.js';
import type { TargetRecords } from '../repository/target-records.js';
import type { ScheduleService } from '../schedule/schedule-service.js';
import { tag } from '../scope/scope.js';
import type { ScheduleRow, Store } from '../store/index.js';

export type { CopyParams };

/**
 * After a backup recorded its snapshot: a copy job when the snapshot's schedule has a second
 * target. Returns the job, or undefined when none was queued.
 */
export async function queueCopyAfterBackup(
  deps: { store: Store; jobs: Pick<JobStore, 'create'> },
  snapshot: { snapshotId: string; repositoryId: number; customerId: string },
): Promise<number | undefined> {
  const row = await deps.store.db
    .selectFrom('snapshots')
    .innerJoin('schedules', 'schedules.id', 'snapshots.schedule_id')
    .select(['schedules.id as scheduleId', 'schedules.name', 'schedules.copy_target_id'])
    .where('snapshots.repository_id', '=', snapshot.repositoryId)
    .where('snapshots.id', '=', snapshot.snapshotId)
    .executeTakeFirst();
  if (!row || row.copy_target_id === null) return undefined;
  const params: CopyParams = { scheduleId: row.scheduleId, ...snapshot };
  const created = await deps.jobs.create({
    type: 'copy',
    trigger: 'system',
    // The customer's own backup: History and the banner show its copy too.
    customerId: snapshot.customerId,
    scheduleName: row.name,
    params,
  });
  return created.created ? created.id : undefined;
}

export function copyJobHandler(deps: {
  store: Store;
  schedules: Pick<ScheduleService, 'getRow'>;
  targets: Pick<TargetRecords, 'get'>;
  repositories: Pick<RepositoryService, 'access' | 'accessById' | 'markInitialized'>;
  agent: Pick<HostAgent, 'maintain'>;
  /** Held copies stay beyond the copy's retention, as held backups do beyond the schedule's. */
  holds?: Pick<SnapshotHolds, 'heldIds'>;
  now?: () => Date;
  log?: (line: string) => void;
}): JobHandler {
  return async (job, ctx) => {
    const params = copyParams(job);
    const schedule: ScheduleRow | undefined = await deps.schedules
      .getRow({ role: 'admin' }, params.scheduleId)
      .catch(() => undefined);
    if (!schedule) throw new Error('The schedule of this backup no longer exists; nothing copied.');
    const outcome = async (status: 'successful' | 'failed') =>
      deps.store.db
        .updateTable('schedules')
        .set({ copy_status: status, copy_at: (deps.now?.() ?? new Date()).toISOString() })
        .where('id', '=', schedule.id)
        .execute();
    try {
      if (schedule.copy_target_id === null)
        throw new Error('The schedule no longer has a second target; nothing copied.');
      const owner = schedule.owner_kind === 'server' ? 'server' : params.customerId;
      const record = await deps.targets.get(schedule.copy_target_id);
      // SECRETS: both accesses hold a repository password; never logged.
      const repository = await deps.repositories.accessById(params.repositoryId);
      const copyTo = await deps.repositories.access(record.target, owner, {
        targetId: record.id,
      });
      const held = (await deps.holds?.heldIds(copyTo.repositoryId, params.customerId)) ?? [];
      const answer = await deps.agent.maintain(
        {
          jobId: job.id,
          repository,
          task: 'copy',
          copyTo,
          snapshotIds: [params.snapshotId],
          copyRetention: {
            tags: [tag.customer(params.customerId), tag.schedule(schedule.id)],
            keepLast: schedule.copy_retention ?? schedule.retention,
          },
          ...(held.length > 0 ? { held } : {}),
        },
        { signal: ctx.signal, onEvent: runEvents(ctx, deps.repositories, { log: deps.log }) },
      );
      const copies = answer.copies ?? [];
      await recordCopies(deps.store, {
        scheduleId: schedule.id,
        fromRepositoryId: params.repositoryId,
        toRepositoryId: copyTo.repositoryId,
        copies,
      });
      ctx.log(`The second target holds ${copies.length} snapshot(s) of this schedule`);
      await outcome('successful');
      return {};
    } catch (error) {
      await outcome('failed').catch(() => undefined);
      throw error;
    }
  };
}
