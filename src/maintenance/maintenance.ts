/**
 * Repository maintenance on its own schedule: prune (removes data no snapshot references, slow,
 * so never after every backup) and check (reads a subset of the data) every week per repository.
 * Planned and recorded here, on the control plane; run by the agent as jobs, so its repository
 * mutex serializes them with backups. A prune first forgets the safety snapshots their retention
 * lets go (safety-retention.ts): the agent forgets them, their rows go here.
 */
import type { HostAgent } from '../agent/agent.js';
import {
  maintenanceParams,
  type MaintenanceParams,
  type MaintenanceTask,
} from '../job/job-params.js';
import type { JobHandler } from '../job/worker.js';
import type { JobStore } from '../job/job-store.js';
import type { RepositoryService } from '../repository/repository-service.js';
import { runEvents } from '../repository/run-events.js';
import type { ScheduleService } from '../schedule/schedule-service.js';
import type { Store } from '../store/index.js';
import { repositoryUrl } from '../target/location.js';
import { dropSnapshotRows } from '../repository/snapshot-records.js';
import { SAFETY_RETENTION, type SafetyRetention } from './safety-retention.js';
import type { SnapshotHolds } from '../repository/snapshot-holds.js';

export type { MaintenanceParams, MaintenanceTask };

export interface MaintenancePolicy {
  pruneEveryDays: number;
  checkEveryDays: number;
  /** How much data a check reads, as restic's --read-data-subset takes it. */
  checkSubset: string;
}

export const DEFAULT_POLICY: MaintenancePolicy = {
  pruneEveryDays: 7,
  checkEveryDays: 7,
  checkSubset: '5%',
};

interface Deps {
  store: Store;
  schedules: ScheduleService;
  jobs: JobStore;
  now?: () => Date;
  policy?: MaintenancePolicy;
  /**
   * Whether this process may plan (src/schedule/planner-lease.ts): of several controllers only
   * the lease's holder queues maintenance, so two never queue the same prune side by side.
   * Default: always (one process).
   */
  lease?: { held(): boolean };
}

/**
 * Queues the maintenance that is due: per repository in use by an enabled schedule, a prune and a
 * check when their last run is older than the policy says. Returns the jobs it queued; none
 * without the planner lease.
 */
export async function planMaintenance(deps: Deps): Promise<number[]> {
  const mayPlan = () => deps.lease?.held() ?? true;
  if (!mayPlan()) return [];
  const now = deps.now?.() ?? new Date();
  const policy = deps.policy ?? DEFAULT_POLICY;
  const schedules = await deps.store.db
    .selectFrom('schedules')
    .selectAll()
    .where('enabled', '=', 1)
    .orderBy('id')
    .execute();
  const seen = new Set<string>();
  const queued: number[] = [];
  for (const row of schedules) {
    const target = await deps.schedules.target(row);
    const owner = row.owner_kind === 'server' ? 'server' : row.customer_id;
    if (!owner) continue;
    const url = repositoryUrl(target, owner);
    if (seen.has(url)) continue;
    seen.add(url);
    const repo = await deps.store.db
      .selectFrom('repositories')
      .selectAll()
      .where('url', '=', url)
      .executeTakeFirst();
    if (!repo?.initialized_at) continue;
    // A repository never pruned or checked counts from its creation: one made an hour ago has
    // nothing to prune yet, and its first backup was just written and read.
    const due = (last: string | null, days: number) =>
      now.getTime() - Date.parse(last ?? repo.initialized_at!) >= days * 86_400_000;
    const tasks: MaintenanceTask[] = [];
    if (due(repo.last_prune_at, policy.pruneEveryDays)) tasks.push('prune');
    if (due(repo.last_check_at, policy.checkEveryDays)) tasks.push('check');
    for (const task of tasks) {
      // A planner that lost the lease midway leaves the rest to the one that took it.
      if (!mayPlan()) return queued;
      if (await activeFor(deps.store, url, task)) continue;
      const params: MaintenanceParams = { task, scheduleId: row.id, owner, url };
      const created = await deps.jobs.create({
        type: 'maintenance',
        trigger: 'system',
        // Provider's work: never in a customer's history or banner.
        customerId: null,
        scheduleName: task === 'prune' ? 'Prune unused data' : 'Check repository',
        params,
      });
      if (created.created) queued.push(created.id);
    }
  }
  return queued;
}

async function activeFor(store: Store, url: string, task: MaintenanceTask): Promise<boolean> {
  const rows = await store.db
    .selectFrom('jobs')
    .select(['id', 'params'])
    .where('type', '=', 'maintenance')
    .where('status', 'in', ['pending', 'running'])
    .execute();
  return rows.some((r) => {
    const p = maintenanceParams(r);
    return p.url === url && p.task === task;
  });
}

export function maintenanceJobHandler(deps: {
  store: Store;
  schedules: ScheduleService;
  repositories: Pick<RepositoryService, 'access' | 'markInitialized'>;
  agent: Pick<HostAgent, 'maintain'>;
  policy?: MaintenancePolicy;
  safetyRetention?: SafetyRetention;
  /** Held safety snapshots are never forgotten while held. */
  holds?: Pick<SnapshotHolds, 'heldIds'>;
  now?: () => Date;
  log?: (line: string) => void;
}): JobHandler {
  const policy = deps.policy ?? DEFAULT_POLICY;
  return async (job, ctx) => {
    const params = maintenanceParams(job);
    const schedule = await deps.schedules
      .getRow({ role: 'admin' }, params.scheduleId)
      .catch(() => undefined);
    if (!schedule)
      throw new Error('No schedule uses this repository any more; nothing to maintain.');
    const record = await deps.schedules.targetRecord(schedule);
    // SECRET: the request holds the repository's password; it is never logged.
    const repository = await deps.repositories.access(record.target, params.owner, {
      targetId: record.id,
    });
    const events = runEvents(ctx, deps.repositories, { log: deps.log });
    // The rows of safety snapshots the agent forgot go as it reports them, also when the prune
    // after them fails; the job ends only after they are gone.
    const dropping: Promise<void>[] = [];
    const now = deps.now?.() ?? new Date();
    const held =
      params.task === 'prune' ? ((await deps.holds?.heldIds(repository.repositoryId)) ?? []) : [];
    try {
      await deps.agent.maintain(
        {
          jobId: job.id,
          repository,
          task: params.task,
          checkSubset: policy.checkSubset,
          ...(params.task === 'prune'
            ? {
                safetyRetention: {
                  ...(deps.safetyRetention ?? SAFETY_RETENTION),
                  now: now.toISOString(),
                  ...(held.length > 0 ? { held } : {}),
                },
              }
            : {}),
        },
        {
          signal: ctx.signal,
          onEvent: (event) =>
            event.kind === 'safety-forgotten'
              ? void dropping.push(dropSnapshotRows(deps.store, repository.repositoryId, event.ids))
              : events(event),
        },
      );
    } finally {
      for (const result of await Promise.allSettled(dropping))
        if (result.status === 'rejected')
          ctx.log(
            `dropping the records of forgotten safety snapshots failed: ${String(result.reason)}`,
          );
    }
    const stamp = (deps.now?.() ?? new Date()).toISOString();
    await deps.store.db
      .updateTable('repositories')
      .set(params.task === 'prune' ? { last_prune_at: stamp } : { last_check_at: stamp })
      .where('id', '=', repository.repositoryId)
      .execute();
    return {};
  };
}
