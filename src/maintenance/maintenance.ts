/**
 * Repository maintenance on its own schedule: prune (removes data no snapshot references, slow,
 * so never after every backup) and check (reads a subset of the data) every week per repository.
 * Planned and recorded here, on the control plane; run by the agent as jobs, so its repository
 * mutex serializes them with backups. A prune first forgets the safety snapshots their retention
 * lets go (safety-retention.ts): the agent forgets them, their rows go here.
 *
 * A repository behind a vault (target kind `vault`) is append-only to its agent: its prune (with
 * the safety snapshots' retention before it) and check, and each schedule's retention (which the
 * agent's backup leaves to the vault), run on the vault host with full rights
 * (src/vault/maintenance.ts) through `vault`: the vault this process runs (`hostvault serve` with
 * HOSTVAULT_VAULT_CERT runs it as its child, and the work in-process), or a controller's fleet
 * vault, `hostvault vault` on NATS (src/fleet/nats-vault.ts). Retention is due when a schedule has
 * more unheld backups of a customer recorded than it keeps; held snapshots (snapshot-holds.ts)
 * are kept beyond it.
 */
import type { HostAgent } from '../agent/agent.js';
import type { RepositoryAccess } from '../agent/protocol.js';
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
import type { ScheduleRow, Store } from '../store/index.js';
import { repositoryUrl } from '../target/location.js';
import { dropSnapshotRows } from '../repository/snapshot-records.js';
import { SAFETY_RETENTION, type SafetyRetention } from './safety-retention.js';
import type { SnapshotHolds } from '../repository/snapshot-holds.js';
import type { VaultMaintainer, VaultRepository, VaultTask } from '../fleet/vault-protocol.js';

export type { VaultMaintainer, VaultRepository, VaultTask };

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
  /** Held snapshots do not count toward a vault retention's due-ness (they stay anyway). */
  holds?: Pick<SnapshotHolds, 'heldIds'>;
}

/**
 * Queues the maintenance that is due: per repository in use by an enabled schedule, a prune and a
 * check when their last run is older than the policy says; per enabled schedule on a vault, its
 * retention when it keeps more backups than it should. Returns the jobs it queued; none without
 * the planner lease.
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
      const id = await queueTask(deps, { task, scheduleId: row.id, owner, url });
      if (id !== undefined) queued.push(id);
    }
  }
  // Retention is each schedule's own (its tag, its count), so schedules sharing a repository
  // are each looked at; only a vault's, as every other target's runs with its backups.
  for (const row of schedules) {
    const target = await deps.schedules.target(row);
    const owner = row.owner_kind === 'server' ? 'server' : row.customer_id;
    if (target.kind !== 'vault' || !owner) continue;
    if (!mayPlan()) return queued;
    const url = repositoryUrl(target, owner);
    if (!(await vaultRetentionDue(deps, url, row.id, row.retention))) continue;
    const id = await queueTask(deps, { task: 'retention', scheduleId: row.id, owner, url });
    if (id !== undefined) queued.push(id);
  }
  return queued;
}

const TASK_NAMES: Record<MaintenanceTask, string> = {
  prune: 'Prune unused data',
  check: 'Check repository',
  retention: 'Retention on the vault',
};

async function queueTask(deps: Deps, params: MaintenanceParams): Promise<number | undefined> {
  if (await activeFor(deps.store, params)) return undefined;
  const created = await deps.jobs.create({
    type: 'maintenance',
    trigger: 'system',
    // Provider's work: never in a customer's history or banner.
    customerId: null,
    scheduleName: TASK_NAMES[params.task],
    params,
  });
  return created.created ? created.id : undefined;
}

/**
 * Whether a vault-fronted schedule keeps more backups of some customer than its retention: the
 * snapshot rows its backups recorded (a backup through a vault forgets nothing), held ones left
 * out, as they stay anyway and would otherwise queue a retention that forgets nothing every hour.
 */
async function vaultRetentionDue(
  deps: Deps,
  url: string,
  scheduleId: number,
  retention: number,
): Promise<boolean> {
  if (retention <= 0) return false;
  const repo = await deps.store.db
    .selectFrom('repositories')
    .select('id')
    .where('url', '=', url)
    .executeTakeFirst();
  if (!repo) return false;
  const rows = await deps.store.db
    .selectFrom('snapshots')
    .select(['id', 'customer_id'])
    .where('repository_id', '=', repo.id)
    .where('schedule_id', '=', scheduleId)
    .where('kind', '=', 'backup')
    .execute();
  const held = new Set((await deps.holds?.heldIds(repo.id)) ?? []);
  const counts = new Map<string, number>();
  for (const row of rows)
    if (!held.has(row.id)) counts.set(row.customer_id, (counts.get(row.customer_id) ?? 0) + 1);
  return [...counts.values()].some((n) => n > retention);
}

async function activeFor(
  store: Store,
  { url, task, scheduleId }: MaintenanceParams,
): Promise<boolean> {
  const rows = await store.db
    .selectFrom('jobs')
    .select(['id', 'params'])
    .where('type', '=', 'maintenance')
    .where('status', 'in', ['pending', 'running'])
    .execute();
  return rows.some((r) => {
    const p = maintenanceParams(r);
    // Retention is a schedule's; prune and check are the repository's.
    return (
      p.url === url && p.task === task && (task !== 'retention' || p.scheduleId === scheduleId)
    );
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
  /**
   * The vault: the one this process runs (`hostvault serve` with HOSTVAULT_VAULT_CERT), or a
   * controller's fleet vault over NATS. Maintenance of vault-fronted repositories runs there.
   */
  vault?: VaultMaintainer;
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
    if (record.target.kind === 'vault') {
      await maintainOnVault(deps, { job, ctx, params, schedule, repository, policy });
      return {};
    }
    if (params.task === 'retention')
      throw new Error('Retention runs with each backup on this target; there is nothing to run.');
    const task = params.task;
    const events = runEvents(ctx, deps.repositories, { log: deps.log });
    // The rows of safety snapshots the agent forgot go as it reports them, also when the prune
    // after them fails; the job ends only after they are gone.
    const dropping: Promise<void>[] = [];
    const now = deps.now?.() ?? new Date();
    const held =
      task === 'prune' ? ((await deps.holds?.heldIds(repository.repositoryId)) ?? []) : [];
    try {
      await deps.agent.maintain(
        {
          jobId: job.id,
          repository,
          task,
          checkSubset: policy.checkSubset,
          ...(task === 'prune'
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
    await stampDone(deps.store, repository.repositoryId, task, stamp);
    return {};
  };
}

async function stampDone(
  store: Store,
  repositoryId: number,
  task: MaintenanceTask,
  stamp: string,
): Promise<void> {
  if (task === 'retention') return;
  await store.db
    .updateTable('repositories')
    .set(task === 'prune' ? { last_prune_at: stamp } : { last_check_at: stamp })
    .where('id', '=', repositoryId)
    .execute();
}

/**
 * A vault-fronted repository's maintenance, on the vault with full rights. Retention is the
 * schedule's (keep-last per customer, held snapshots kept); the rows of the snapshots it forgot
 * go from the store, as a backup's retention drops them.
 */
async function maintainOnVault(
  deps: Parameters<typeof maintenanceJobHandler>[0],
  run: {
    job: Parameters<JobHandler>[0];
    ctx: Parameters<JobHandler>[1];
    params: MaintenanceParams;
    schedule: ScheduleRow;
    repository: RepositoryAccess;
    policy: MaintenancePolicy;
  },
): Promise<void> {
  const { ctx, params, schedule, repository, policy } = run;
  const target = repository.target;
  if (target.kind !== 'vault') throw new Error('not a vault target');
  if (!deps.vault)
    throw new Error(
      "This repository is behind a vault, which refuses deletes from this server: its maintenance runs on the vault, and this process reaches none (set HOSTVAULT_VAULT_CERT where hostvault serve runs the vault; in a fleet, run hostvault vault with the fleet's NATS settings).",
    );
  const repo: VaultRepository = {
    url: repository.url,
    agent: target.user,
    owner: repository.owner,
    password: repository.password,
  };
  const log = (line: string) => ctx.log(line);
  let task: VaultTask;
  switch (params.task) {
    case 'retention':
      task = {
        task: 'retention',
        schedule: schedule.id,
        keepLast: schedule.retention,
        held: [...((await deps.holds?.heldIds(repository.repositoryId)) ?? [])],
      };
      break;
    case 'prune': {
      // The safety snapshots of restores this retention lets go are forgotten first, on the
      // vault (the agent cannot delete through it), held ones kept.
      const held = (await deps.holds?.heldIds(repository.repositoryId)) ?? [];
      task = {
        task: 'prune',
        safetyRetention: {
          ...(deps.safetyRetention ?? SAFETY_RETENTION),
          now: (deps.now?.() ?? new Date()).toISOString(),
          ...(held.length > 0 ? { held } : {}),
        },
      };
      break;
    }
    case 'check':
      task = { task: 'check', readDataSubset: policy.checkSubset };
      break;
  }
  if (schedule.retention <= 0 && task.task === 'retention') {
    log('This schedule keeps every backup: nothing to forget.');
    return;
  }
  const result = await deps.vault.maintain(repo, task, {
    jobId: run.job.id,
    signal: ctx.signal,
    onLog: log,
  });
  if (result.removed && result.removed.length > 0)
    await dropSnapshotRows(deps.store, repository.repositoryId, result.removed);
  await stampDone(
    deps.store,
    repository.repositoryId,
    params.task,
    (deps.now?.() ?? new Date()).toISOString(),
  );
}
