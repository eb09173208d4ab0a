/**
 * The worker's handler for backup jobs, on the control plane: reads the schedule, its customers,
 * the package's quota and the snapshots the store knows, resolves the repository (password
 * unsealed into the request), has the agent run the backup, and records the snapshot for the
 * Restore tab and the job's stats. Nothing here touches the hosting server.
 */
import type { HostAgent } from '../agent/agent.js';
import type { BackupAnswer } from '../agent/protocol.js';
import type { Customer, Package } from '../inventory/schema.js';
import type { JobHandler } from '../job/worker.js';
import type { RepositoryService } from '../repository/repository-service.js';
import { runEvents } from '../repository/run-events.js';
import type { ScheduleService } from '../schedule/schedule-service.js';
import type { Scope } from '../scope/scope.js';
import type { Store } from '../store/index.js';
import type { Target } from '../target/schema.js';
import { LOCAL_SERVER } from '../fleet/subjects.js';
import { formatBytes } from '../format.js';
import { recordBackupSnapshot } from '../repository/snapshot-records.js';
import type { SnapshotHolds } from '../repository/snapshot-holds.js';
import { DEFAULT_GUARD, judgeChanges, type GuardPolicy } from '../agent/mass-change.js';

export interface BackupJobDeps {
  store: Store;
  agent: Pick<HostAgent, 'backup'>;
  repositories: Pick<RepositoryService, 'access' | 'markInitialized'>;
  /** Build each new snapshot's browse index right after it (on the agent, in the background). */
  indexAfter?: boolean;
  /** The service log, for a failure to record what the agent reported. */
  log?: (line: string) => void;
  /**
   * Told of each snapshot once it is recorded (the drill planner samples a drill of it). Its
   * failure is logged and never fails the backup.
   */
  afterSnapshot?: (snapshot: {
    snapshotId: string;
    repositoryId: number;
    customerId: string;
  }) => Promise<unknown>;
  schedules: ScheduleService;
  /** Held snapshots survive retention; the guard holds those before a flagged backup. */
  holds?: Pick<SnapshotHolds, 'heldIds' | 'guard'>;
  guardPolicy?: GuardPolicy;
  customers: {
    getCustomer(id: string): Promise<Customer | undefined>;
    listCustomers(): Promise<Customer[]>;
    getPackage(id: string): Promise<Package | undefined>;
  };
}

export function backupJobHandler(deps: BackupJobDeps): JobHandler {
  return async (job, ctx) => {
    if (job.schedule_id == null) throw new Error('This backup job has no schedule.');
    const row = await deps.schedules
      .getRow({ role: 'admin' }, job.schedule_id)
      .catch(() => undefined);
    if (!row) throw new Error('The schedule of this job was deleted.');
    const record = await deps.schedules.targetRecord(row);
    const target = record.target;
    const owner = row.owner_kind === 'server' ? 'server' : 'customer';
    // An entire-server schedule that names a server backs up that server's customers only, each
    // on its agent (the fleet routes a customer's backup to its server); one that names none,
    // every customer on its own server.
    const customers = row.customer_id
      ? [await deps.customers.getCustomer(row.customer_id)].filter((c): c is Customer => !!c)
      : (await deps.customers.listCustomers()).filter(
          (c) => row.server_id === null || (c.server ?? LOCAL_SERVER) === row.server_id,
        );
    if (customers.length === 0)
      throw new Error(
        row.customer_id
          ? 'The customer of this schedule no longer exists.'
          : `Server ${row.server_id ?? LOCAL_SERVER} has no customers to back up.`,
      );

    let bytesAdded = 0;
    let bytesProcessed = 0;
    const outcomes: BackupAnswer[] = [];
    let status = 'failed';
    let flagged = false;
    try {
      for (const [index, customer] of customers.entries()) {
        if (customers.length > 1)
          ctx.log(`Customer ${customer.id} (${index + 1} of ${customers.length})`);
        const known = await knownSnapshots(deps.store, row.id, customer.id);
        const history = await guardHistory(deps.store, row.id, customer.id);
        const previousAdded = await lastAdded(deps.store, row.id);
        const quota = owner === 'customer' ? await quotaOf(deps, customer, target) : undefined;
        // SECRET from here: the request holds the repository's password; it is never logged.
        // The repository is reached through the schedule's target record from now on.
        const repository = await deps.repositories.access(
          target,
          owner === 'server' ? 'server' : customer.id,
          { targetId: record.id },
        );
        const held = (await deps.holds?.heldIds(repository.repositoryId, customer.id)) ?? [];
        const guard = history.previous
          ? {
              previousFiles: history.previous.files,
              changeShares: history.changeShares,
              randomShares: history.randomShares,
            }
          : undefined;
        const outcome = await deps.agent.backup(
          {
            jobId: job.id,
            repository,
            customer,
            scheduleId: row.id,
            scope: row.scope as Scope,
            parent: known.latest ?? null,
            knownSnapshots: known.count,
            ...(previousAdded !== undefined ? { previousAdded } : {}),
            ...(quota ? { quota } : {}),
            retention: row.retention,
            indexAfter: deps.indexAfter,
            ...(held.length > 0 ? { held } : {}),
            ...(history.previous
              ? { sampleSince: new Date(history.previous.time).toISOString() }
              : {}),
            ...(guard ? { guard } : {}),
          },
          {
            signal: ctx.signal,
            onEvent: runEvents(ctx, deps.repositories, {
              share: { index, of: customers.length },
              log: deps.log,
            }),
          },
        );
        const verdict = guard
          ? judgeChanges(
              { ...outcome.summary, previousFiles: guard.previousFiles, sample: outcome.sample },
              guard,
              deps.guardPolicy,
            )
          : undefined;
        // The one writer of the snapshots table (repository/snapshot-records.ts).
        await recordBackupSnapshot(deps.store, {
          id: outcome.snapshotId,
          repositoryId: repository.repositoryId,
          scheduleId: row.id,
          customerId: customer.id,
          time: outcome.time,
          scope: row.scope,
          contents: outcome.contents,
          roots: outcome.roots,
          size: outcome.summary.totalBytesProcessed,
          forgotten: outcome.forgotten,
          files: outcome.summary.totalFilesProcessed,
          // A flagged backup stays out of the history the next one is measured against.
          changeShare: verdict?.flagged ? null : verdict?.changeShare,
          randomShare: verdict?.flagged ? null : verdict?.randomShare,
        });
        if (deps.afterSnapshot)
          await deps
            .afterSnapshot({
              snapshotId: outcome.snapshotId,
              repositoryId: repository.repositoryId,
              customerId: customer.id,
            })
            .catch((error: unknown) =>
              deps.log?.(`planning a drill of snapshot ${outcome.snapshotId}: ${String(error)}`),
            );
        outcomes.push(outcome);
        if (verdict?.flagged) {
          flagged = true;
          await flagMassChange(deps, ctx.log, {
            jobId: job.id,
            repositoryId: repository.repositoryId,
            customerId: customer.id,
            snapshotId: outcome.snapshotId,
            reasons: verdict.reasons,
          });
        }
        bytesAdded += outcome.summary.dataAdded;
        bytesProcessed += outcome.summary.totalBytesProcessed;
        logSummary(ctx.log, outcome);
      }
      status = 'successful';
    } finally {
      await deps.schedules.recordOutcome(row.id, job.id, status).catch(() => undefined);
    }
    return {
      snapshotId: outcomes.length === 1 ? outcomes[0]?.snapshotId : undefined,
      bytesAdded,
      bytesProcessed,
      stats: outcomes.map((o) => ({
        ...o.summary,
        unreadable: o.unreadable,
        ...(o.sample ? { sample: o.sample } : {}),
      })),
      ...(flagged ? { flag: 'mass_change' } : {}),
    };
  };
}

/** The schedule's snapshots of this customer as the store records them: the newest, how many. */
async function knownSnapshots(
  store: Store,
  scheduleId: number,
  customerId: string,
): Promise<{ latest?: string; count: number }> {
  const rows = await store.db
    .selectFrom('snapshots')
    .select('id')
    .where('schedule_id', '=', scheduleId)
    .where('customer_id', '=', customerId)
    // Safety snapshots are no part of the schedule's count or its parent chain, nor are the
    // second copies, which live in another repository.
    .where('kind', '=', 'backup')
    .where('copy_of', 'is', null)
    .orderBy('time', 'desc')
    .execute();
  return { latest: rows[0]?.id, count: rows.length };
}

/**
 * What the guard measures a backup of this schedule and customer against: the previous backup
 * (its files and time) and the shares of the recent ones (newest first; flagged ones have none).
 */
async function guardHistory(
  store: Store,
  scheduleId: number,
  customerId: string,
): Promise<{
  previous?: { files: number; time: string };
  changeShares: number[];
  randomShares: number[];
}> {
  const rows = await store.db
    .selectFrom('snapshots')
    .select(['files', 'time', 'change_share', 'random_share'])
    .where('schedule_id', '=', scheduleId)
    .where('customer_id', '=', customerId)
    .where('kind', '=', 'backup')
    .where('copy_of', 'is', null)
    .orderBy('time', 'desc')
    .limit(DEFAULT_GUARD.historyLength + 1)
    .execute();
  const latest = rows[0];
  return {
    previous:
      latest && latest.files != null
        ? { files: Number(latest.files), time: latest.time }
        : undefined,
    changeShares: rows.flatMap((r) => (r.change_share == null ? [] : [Number(r.change_share)])),
    randomShares: rows.flatMap((r) => (r.random_share == null ? [] : [Number(r.random_share)])),
  };
}

/**
 * A backup the guard flagged: why, in the job's log; every earlier snapshot of the customer in
 * this repository held for 30 days (the flagged one itself is not: it may hold the encrypted
 * files). The job's flag and the notifications follow from the job's result.
 */
async function flagMassChange(
  deps: BackupJobDeps,
  log: (line: string) => void,
  flagged: {
    jobId: number;
    repositoryId: number;
    customerId: string;
    snapshotId: string;
    reasons: string[];
  },
): Promise<void> {
  for (const reason of flagged.reasons) log(`Mass-change guard: ${reason}.`);
  log(
    'Mass-change guard: this backup is flagged. If you did not make these changes, your files may have been encrypted or deleted by an attacker: restore from a snapshot before this one.',
  );
  if (!deps.holds) return;
  const earlier = await deps.store.db
    .selectFrom('snapshots')
    .select(['id', 'repository_id', 'customer_id'])
    .where('repository_id', '=', flagged.repositoryId)
    .where('customer_id', '=', flagged.customerId)
    .where('id', '!=', flagged.snapshotId)
    .execute();
  const holds = await deps.holds.guard(
    earlier,
    flagged.jobId,
    `Held by the mass-change guard after backup job ${flagged.jobId}`,
  );
  log(
    `Mass-change guard: ${holds.length} earlier snapshot(s) held until ${holds[0]?.expiresAt ?? 'their release'}, so no retention or deletion removes them: ${holds.map((h) => h.snapshotId.slice(0, 8)).join(', ')}`,
  );
}

/** What the schedule's last successful run added: the estimate for the next one. */
async function lastAdded(store: Store, scheduleId: number): Promise<number | undefined> {
  const row = await store.db
    .selectFrom('jobs')
    .select('bytes_added')
    .where('schedule_id', '=', scheduleId)
    .where('status', '=', 'successful')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.bytes_added ?? undefined;
}

/**
 * The package's storage quota against what the customer's repositories hold: for a local target
 * the agent measures the repository on its disk (`used` left out), and for remote ones it is the
 * data their backups added (an upper bound: prune frees some of it).
 */
async function quotaOf(
  deps: BackupJobDeps,
  customer: Customer,
  target: Target,
): Promise<{ limit: number; used?: number } | undefined> {
  const pkg = await deps.customers.getPackage(customer.packageId);
  if (!pkg?.storageQuotaBytes) return undefined;
  if (target.kind === 'local') return { limit: pkg.storageQuotaBytes };
  const sum = await deps.store.db
    .selectFrom('jobs')
    .select((eb) => eb.fn.sum<number>('bytes_added').as('n'))
    .where('customer_id', '=', customer.id)
    .where('type', '=', 'backup')
    .where('status', '=', 'successful')
    .executeTakeFirst();
  return { limit: pkg.storageQuotaBytes, used: Number(sum?.n ?? 0) };
}

function logSummary(log: (line: string) => void, o: BackupAnswer): void {
  const s = o.summary;
  log(
    `Files: ${s.filesNew} new, ${s.filesChanged} changed, ${s.filesUnmodified} unmodified; ` +
      `data added ${formatBytes(s.dataAdded)}, processed ${s.totalFilesProcessed} files (${formatBytes(s.totalBytesProcessed)}) ` +
      `in ${s.totalDuration.toFixed(1)} s; snapshot ${o.snapshotId}`,
  );
  if (o.unreadable.length)
    log(
      `Warning: ${o.unreadable.length} file(s) could not be read: ${o.unreadable.slice(0, 20).join(', ')}`,
    );
}
