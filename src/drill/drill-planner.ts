/**
 * Plans restore drills (src/drill/drill-job.ts runs them): one after a backup, sampled and within
 * the server's hourly budget, and one a week for every repository (its newest snapshot), whatever
 * the sampling skipped. Drills are the provider's work: queued without a customer, so they stay
 * out of customers' history and banner; the drills table names the customer.
 */
import type { DrillParams } from '../job/job-params.js';
import { drillParams } from '../job/job-params.js';
import type { JobStore } from '../job/job-store.js';
import type { Store } from '../store/index.js';
import { DEFAULT_DRILL_POLICY, type DrillPolicy } from './drill-policy.js';
import { lastDrillPerRepository } from './drill-records.js';

export interface DrillPlannerDeps {
  store: Store;
  jobs: Pick<JobStore, 'create'>;
  policy?: DrillPolicy;
  now?: () => Date;
  /** Whether this process may plan (src/schedule/planner-lease.ts); default always. */
  lease?: { held(): boolean };
}

/** The job's name in History: which snapshot of whom. */
function drillName(params: DrillParams): string {
  return `Restore drill of ${params.customerId}, snapshot ${params.snapshotId.slice(0, 8)}`;
}

export async function queueDrill(
  deps: Pick<DrillPlannerDeps, 'jobs'>,
  params: DrillParams,
): Promise<number | undefined> {
  const created = await deps.jobs.create({
    type: 'drill',
    trigger: params.reason === 'manual' ? 'manual' : 'system',
    customerId: null,
    scheduleName: drillName(params),
    params,
  });
  return created.created ? created.id : undefined;
}

/**
 * After a backup recorded its snapshot: a drill of it when this is the server's Nth successful
 * backup since the last drill after a backup (N = 1 / the policy's rate, so 33 at 0.03), and
 * while the server's budget for the hour lasts. Returns the job, or undefined when none was
 * queued.
 *
 * DECISION — counted, not diced: every Nth backup rather than each with the rate's chance, so the
 * cost the rate was chosen for is what the server pays (no unlucky streaks), and a test or a
 * bench that runs a few backups never meets a drill it did not ask for. Which customer's snapshot
 * is drilled still rotates with the order backups finish in; the weekly drill reaches the rest.
 */
export async function planDrillAfterBackup(
  deps: DrillPlannerDeps,
  snapshot: { snapshotId: string; repositoryId: number; customerId: string },
): Promise<number | undefined> {
  const policy = deps.policy ?? DEFAULT_DRILL_POLICY;
  if (!(policy.afterBackupRate > 0)) return undefined;
  const every = Math.max(1, Math.round(1 / policy.afterBackupRate));
  const now = deps.now?.() ?? new Date();
  const since = new Date(now.getTime() - 3600_000).toISOString();
  // A serve process or a fleet's controller drives one server: its store's drill jobs are that
  // server's. The params are stored as JSON.stringify wrote them (job-store.ts).
  const recent = await deps.store.db
    .selectFrom('jobs')
    .select(['id', 'created_at'])
    .where('type', '=', 'drill')
    .where('params', 'like', '%"reason":"after-backup"%')
    .orderBy('id', 'desc')
    .limit(policy.perServerPerHour + 1)
    .execute();
  if (recent.filter((r) => r.created_at >= since).length >= policy.perServerPerHour)
    return undefined;
  let backups = deps.store.db
    .selectFrom('jobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('type', '=', 'backup')
    .where('status', '=', 'successful');
  const last = recent[0]?.created_at;
  if (last !== undefined) backups = backups.where('finished_at', '>', last);
  const { n } = await backups.executeTakeFirstOrThrow();
  // This backup is still running: it counts as one more.
  if (Number(n) + 1 < every) return undefined;
  return queueDrill(deps, { ...snapshot, reason: 'after-backup' });
}

/**
 * The weekly drill: for every repository whose last drill (verified or failed) is older than the
 * policy's days, or that never had one and was made longer ago, a drill of its newest backup
 * snapshot. A repository with
 * a drill waiting or running gets none. Returns the jobs queued.
 */
export async function planWeeklyDrills(deps: DrillPlannerDeps): Promise<number[]> {
  const mayPlan = () => deps.lease?.held() ?? true;
  if (!mayPlan()) return [];
  const policy = deps.policy ?? DEFAULT_DRILL_POLICY;
  const now = deps.now?.() ?? new Date();
  const cutoff = now.getTime() - policy.weeklyEveryDays * 86_400_000;
  // The newest backup snapshot of every repository, in one query.
  const newest = await deps.store.db
    .selectFrom('snapshots as s')
    .innerJoin('repositories as r', 'r.id', 's.repository_id')
    .select(['s.id', 's.repository_id', 's.customer_id', 's.time', 'r.initialized_at'])
    .where('s.kind', '=', 'backup')
    .where((eb) =>
      eb(
        's.time',
        '=',
        eb
          .selectFrom('snapshots as t')
          .select((t) => t.fn.max('t.time').as('m'))
          .where('t.repository_id', '=', eb.ref('s.repository_id'))
          .where('t.kind', '=', 'backup'),
      ),
    )
    .orderBy('s.repository_id')
    .execute();
  const last = await lastDrillPerRepository(deps.store);
  const active = new Set(
    (
      await deps.store.db
        .selectFrom('jobs')
        .select(['id', 'params'])
        .where('type', '=', 'drill')
        .where('status', 'in', ['pending', 'running'])
        .execute()
    ).map((r) => drillParams(r).repositoryId),
  );
  const queued: number[] = [];
  const seen = new Set<number>();
  for (const row of newest) {
    if (seen.has(row.repository_id)) continue;
    seen.add(row.repository_id);
    if (active.has(row.repository_id)) continue;
    // A repository never drilled counts from its creation, as maintenance does: its first
    // backups were just written and read, and the drills after backups reach it before a week.
    const lastAt = last.get(row.repository_id) ?? row.initialized_at;
    if (lastAt == null || Date.parse(lastAt) > cutoff) continue;
    if (!mayPlan()) return queued;
    const id = await queueDrill(deps, {
      snapshotId: row.id,
      repositoryId: row.repository_id,
      customerId: row.customer_id,
      reason: 'weekly',
    });
    if (id !== undefined) queued.push(id);
  }
  return queued;
}
