/**
 * Recovering a lost hosting server: every customer of the dead server is moved to another server
 * (customer-move.ts) and its data restored there from its S3/FTP repositories. The one service
 * the admin API (`POST /api/admin/servers/:id/recover`), the CLI (`hostvault fleet recover`) and
 * the Servers page's Recover button use.
 *
 * Per customer, what is restored is the newest backup of each content (web, db, mail, ssl,
 * config) among the latest snapshots of its schedules: a Full snapshot that is the newest for all
 * it holds is restored as "everything"; otherwise each content from its newest snapshot (web,
 * databases, email). So a Web schedule that ran after the nightly Full brings the newer web
 * files, and nothing older is written over something newer. The restores are queued as jobs on
 * the new server (beyond the per-customer restore limit, which is for customers' own clicks)
 * and run like any restore: staged, swapped, verified.
 *
 * A customer is left where it is, with the reason in the report, when a schedule backs up to a
 * local directory (that repository was on the lost server's disk), when it has jobs waiting or
 * running (a job still "running" on the dead server: cancel it first), or when it has no
 * snapshot to restore from.
 */
import { HostvaultError, ValidationError, type ErrorCode } from '../errors/index.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import { snapshotContents } from '../repository/snapshot-records.js';
import type { RestoreService } from '../restore-job/restore-service.js';
import type { RestoreRequest } from '../restore-job/restore-request.js';
import type { Content } from '../scope/scope.js';
import type { SnapshotRow, Store } from '../store/index.js';
import type { CustomerMove } from './customer-move.js';
import type { ServerRecords } from './server-records.js';

export interface ServerRecoveryDeps {
  store: Store;
  records: Pick<ServerRecords, 'get'>;
  inventory: Pick<InventoryService, 'listCustomers'>;
  moves: Pick<CustomerMove, 'move' | 'refusal' | 'requireServer'>;
  restores: Pick<RestoreService, 'request'>;
}

export interface QueuedRestore {
  jobId: number;
  repositoryId: number;
  snapshotId: string;
  /** When the snapshot was taken. */
  time: string;
  what: RestoreRequest['what'];
}

export interface CustomerRecovery {
  customer: string;
  /** `queued`: moved, its restores queued; `skipped`: left where it was, see `reason`. */
  status: 'queued' | 'skipped';
  reason?: { code: ErrorCode; message: string; params?: Record<string, string | number> };
  restores: QueuedRestore[];
  /** A restore that could not be queued after the move (the customer is on the new server). */
  failed: { snapshotId: string; what: string; code: ErrorCode | 'internal'; message: string }[];
}

export interface RecoveryReport {
  from: string;
  to: string;
  customers: CustomerRecovery[];
}

/** What one content's restore is called in a restore request. */
const CONTENT_WHAT: Partial<Record<Content, RestoreRequest['what']>> = {
  web: 'web',
  db: 'databases',
  mail: 'email',
};

export class ServerRecovery {
  constructor(private readonly deps: ServerRecoveryDeps) {}

  async recover(from: string, to: string): Promise<RecoveryReport> {
    if (from === to)
      throw new ValidationError([
        {
          field: 'to',
          code: 'field.invalid',
          message: 'Choose another server than the lost one.',
          params: { label: 'Server' },
        },
      ]);
    await this.deps.moves.requireServer(to);
    const customers = (await this.deps.inventory.listCustomers()).filter(
      (c) => (c.server ?? 'local') === from,
    );
    const record = await this.deps.records.get(from);
    if (!record && customers.length === 0)
      throw new HostvaultError('server.unknown', `There is no server ${from}.`, {
        params: { server: from },
      });
    // A server whose agent still answers is not lost: restoring its customers elsewhere while it
    // goes on backing them up would leave two servers writing their data. Move them one by one.
    if (record?.online)
      throw new HostvaultError(
        'server.recover_online',
        `The agent of server ${from} is online: recovery is for a lost server. Move its customers one by one, or revoke it first.`,
        { params: { server: from } },
      );
    const report: RecoveryReport = { from, to, customers: [] };
    for (const customer of customers)
      report.customers.push(await this.recoverOne(customer.id, from, to));
    return report;
  }

  private async recoverOne(customer: string, from: string, to: string): Promise<CustomerRecovery> {
    const skipped = (reason: NonNullable<CustomerRecovery['reason']>): CustomerRecovery => ({
      customer,
      status: 'skipped',
      reason,
      restores: [],
      failed: [],
    });
    const refusal = await this.deps.moves.refusal(customer, from);
    if (refusal)
      return skipped({
        code: refusal.code,
        message: refusal.message,
        ...(refusal.params ? { params: refusal.params as Record<string, string | number> } : {}),
      });
    const plan = planRecovery(await this.latestPerSchedule(customer));
    if (plan.length === 0)
      return skipped({
        code: 'server.recover_no_snapshot',
        message: `Customer ${customer} has no snapshot to restore from.`,
        params: { customer },
      });
    await this.deps.moves.move(customer, to);
    const result: CustomerRecovery = { customer, status: 'queued', restores: [], failed: [] };
    for (const { snapshot, what } of plan) {
      try {
        const { jobId } = await this.deps.restores.request(
          { role: 'admin' },
          { repositoryId: snapshot.repository_id, snapshotId: snapshot.id },
          { what, keepNewerMail: true },
          { recovery: true },
        );
        result.restores.push({
          jobId,
          repositoryId: snapshot.repository_id,
          snapshotId: snapshot.id,
          time: snapshot.time,
          what,
        });
      } catch (error) {
        result.failed.push({
          snapshotId: snapshot.id,
          what,
          code: error instanceof HostvaultError ? error.code : 'internal',
          message: (error as Error).message,
        });
      }
    }
    return result;
  }

  /**
   * The newest backup snapshot of the customer from each schedule that backs it up: its own and
   * the provider's (server-wide, `owner_kind` server), whose S3/FTP repositories are what a
   * provider recovers a lost server from. Only its own were read before, so a customer backed up
   * by the provider's schedule alone was "skipped, no snapshot" (found by the netns fleet
   * drill). Snapshots in a directory target are left out: that repository was on a server's own
   * disk (the customer's own such schedules refuse the move anyway).
   */
  private async latestPerSchedule(customer: string): Promise<SnapshotRow[]> {
    const rows = await this.deps.store.db
      .selectFrom('snapshots as n')
      .innerJoin('schedules as s', 's.id', 'n.schedule_id')
      .leftJoin('targets as t', 't.id', 's.target_id')
      .selectAll('n')
      .where('n.customer_id', '=', customer)
      .where((eb) => eb.or([eb('t.kind', 'is', null), eb('t.kind', '!=', 'local')]))
      .where('n.kind', '=', 'backup')
      .orderBy('n.time', 'desc')
      .execute();
    const latest = new Map<number, SnapshotRow>();
    for (const row of rows) if (!latest.has(row.schedule_id!)) latest.set(row.schedule_id!, row);
    return [...latest.values()];
  }
}

/**
 * The restores that bring back the newest of each content among `snapshots`: "everything" from a
 * Full snapshot that is the newest for all it holds, else each content from its newest snapshot.
 * SSL and configuration files are restored only as part of "everything".
 */
export function planRecovery(
  snapshots: readonly SnapshotRow[],
): { snapshot: SnapshotRow; what: RestoreRequest['what'] }[] {
  const newest = new Map<Content, SnapshotRow>();
  const byTime = [...snapshots].sort(
    (a, b) => Date.parse(b.time) - Date.parse(a.time) || a.id.localeCompare(b.id),
  );
  for (const snapshot of byTime)
    for (const content of snapshotContents(snapshot))
      if (!newest.has(content)) newest.set(content, snapshot);
  const plan: { snapshot: SnapshotRow; what: RestoreRequest['what'] }[] = [];
  for (const snapshot of byTime) {
    const contents = snapshotContents(snapshot);
    const owned = contents.filter((c) => newest.get(c) === snapshot);
    if (owned.length === 0) continue;
    if (snapshot.scope === 'full' && owned.length === contents.length) {
      plan.push({ snapshot, what: 'everything' });
      continue;
    }
    for (const content of owned) {
      const what = CONTENT_WHAT[content];
      if (what) plan.push({ snapshot, what });
    }
  }
  return plan;
}
