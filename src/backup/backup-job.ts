/**
 * The worker's handler for backup jobs: resolves the schedule, its target and its customers,
 * runs the backup, and records the snapshot for the Restore tab.
 */
import type { RepositoryLocation } from '../engine/index.js';
import type { Customer, Package } from '../inventory/schema.js';
import { repositoryUrl } from '../target/location.js';
import type { Target } from '../target/schema.js';
import { sizeOf } from './preflight.js';
import type { JobHandler } from '../job/worker.js';
import type { ScheduleService } from '../schedule/schedule-service.js';
import type { Scope } from '../scope/scope.js';
import type { Store } from '../store/index.js';
import type { BackupOutcome, BackupService } from './backup-service.js';
import { formatBytes } from '../format.js';
import { recordBackupSnapshot } from '../snapshot/records.js';

export interface BackupJobDeps {
  store: Store;
  /** Told about each new snapshot, e.g. to build its browse index in the background. */
  indexSnapshot?: (location: RepositoryLocation, snapshotId: string) => void;
  schedules: ScheduleService;
  backups: BackupService;
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
    const target = deps.schedules.target(row);
    const owner = row.owner_kind === 'server' ? 'server' : 'customer';
    const customers = row.customer_id
      ? [await deps.customers.getCustomer(row.customer_id)].filter((c): c is Customer => !!c)
      : await deps.customers.listCustomers();
    if (customers.length === 0) throw new Error('The customer of this schedule no longer exists.');

    let bytesAdded = 0;
    let bytesProcessed = 0;
    const outcomes: BackupOutcome[] = [];
    let status = 'failed';
    try {
      for (const [index, customer] of customers.entries()) {
        if (customers.length > 1)
          ctx.log(`Customer ${customer.id} (${index + 1} of ${customers.length})`);
        const known = await knownSnapshots(deps.store, row.id, customer.id);
        const previousAdded = await lastAdded(deps.store, row.id);
        const quota = owner === 'customer' ? await quotaOf(deps, customer, target) : undefined;
        const outcome = await deps.backups.run({
          customer,
          schedule: row.id,
          scope: row.scope as Scope,
          target,
          owner,
          parent: known.latest ?? null,
          knownSnapshots: known.count,
          previousAdded,
          quota,
          retention: row.retention,
          signal: ctx.signal,
          onLog: ctx.log,
          onProgress: (p) => {
            const share = 1 / customers.length;
            ctx.progress({
              percent: Math.min(
                100,
                Math.round((index * share + p.percentDone * share) * 1000) / 10,
              ),
              bytesDone: p.bytesDone,
              bytesTotal: p.totalBytes,
              filesDone: p.filesDone,
              filesTotal: p.totalFiles,
              currentFile: p.currentFiles[0],
              etaSeconds: p.secondsRemaining,
            });
          },
        });
        await recordBackupSnapshot(deps.store, {
          id: outcome.snapshotId,
          repositoryId: outcome.repositoryId,
          scheduleId: row.id,
          customerId: customer.id,
          time: outcome.time,
          scope: row.scope,
          contents: outcome.contents,
          roots: outcome.roots,
          size: outcome.summary.totalBytesProcessed,
          forgotten: outcome.forgotten,
        });
        if (deps.indexSnapshot) {
          const repo = await deps.backups.locationFor(
            target,
            owner === 'server' ? 'server' : customer.id,
          );
          deps.indexSnapshot(repo.location, outcome.snapshotId);
        }
        outcomes.push(outcome);
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
      })),
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
    // Safety snapshots are no part of the schedule's count or its parent chain.
    .where('kind', '=', 'backup')
    .orderBy('time', 'desc')
    .execute();
  return { latest: rows[0]?.id, count: rows.length };
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
 * The package's storage quota against what the customer's repositories hold: measured on disk for
 * a local target, and for remote ones the data their backups added (an upper bound: prune frees
 * some of it).
 */
async function quotaOf(deps: BackupJobDeps, customer: Customer, target: Target) {
  const pkg = await deps.customers.getPackage(customer.packageId);
  if (!pkg?.storageQuotaBytes) return undefined;
  let used: number;
  if (target.kind === 'local') {
    used = await sizeOf([repositoryUrl(target, customer.id)]);
  } else {
    const sum = await deps.store.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.sum<number>('bytes_added').as('n'))
      .where('customer_id', '=', customer.id)
      .where('type', '=', 'backup')
      .where('status', '=', 'successful')
      .executeTakeFirst();
    used = Number(sum?.n ?? 0);
  }
  return { limit: pkg.storageQuotaBytes, used };
}

function logSummary(log: (line: string) => void, o: BackupOutcome): void {
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
