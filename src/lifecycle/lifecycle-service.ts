/**
 * The customer life cycle as the hosting panel drives it (issue 14), one service for the API,
 * the CLI and the planner:
 * - suspend / terminate: a final backup of each of the customer's schedules is queued first (the
 *   job ids are in the answer and the audit; `waitMs` awaits them). A terminated customer's
 *   schedules stop, and their backups are kept for the provider's days
 *   (HOSTVAULT_TERMINATED_KEEP_DAYS), then purged by a job the planner queues (`planPurges`).
 * - purgePath: one path removed from every snapshot of a customer, on request (restic 0.15+;
 *   refused up front, naming the version, where the server runs an older restic).
 * Every step writes an audit record (lifecycle-records.ts), which outlives the customer.
 */
import type { HostAgent } from '../agent/agent.js';
import { HostvaultError, NotFoundError } from '../errors/index.js';
import type { CustomerDirectory } from '../inventory/directory.js';
import { lifecycleParams, type LifecycleParams } from '../job/job-params.js';
import type { JobStore } from '../job/job-store.js';
import type { ScheduleService } from '../schedule/schedule-service.js';
import type { Store } from '../store/index.js';
import { LifecycleRecords, type AuditEntry, type LifecycleStatus } from './lifecycle-records.js';

/** The provider's default: a terminated customer's backups are kept this many days. */
export const DEFAULT_TERMINATED_KEEP_DAYS = 30;

export interface LifecycleDeps {
  store: Store;
  schedules: Pick<ScheduleService, 'list' | 'runNow' | 'disableForCustomer'>;
  jobs: Pick<JobStore, 'create' | 'get' | 'active'>;
  customers: Pick<CustomerDirectory, 'getCustomer'>;
  agent: Pick<HostAgent, 'facts'>;
  /** Days a terminated customer's backups are kept (HOSTVAULT_TERMINATED_KEEP_DAYS). */
  keepDays?: number;
  now?: () => Date;
  onQueued?: () => void;
}

export interface LifecycleAnswer extends LifecycleStatus {
  /** The final backups queued (or already running) before the change. */
  finalBackupJobs: number[];
  /** With `waitMs`: how each ended ('pending' or 'running' when the wait was over first). */
  finalBackupStatus?: Record<number, string>;
}

const ADMIN = { role: 'admin' as const };

export class LifecycleService {
  readonly records: LifecycleRecords;
  private readonly keepDays: number;

  constructor(private readonly deps: LifecycleDeps) {
    this.records = new LifecycleRecords(deps.store);
    this.keepDays = deps.keepDays ?? DEFAULT_TERMINATED_KEEP_DAYS;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  async status(customerId: string): Promise<LifecycleStatus> {
    await this.customer(customerId);
    return this.records.status(customerId);
  }

  audit(customerId?: string): Promise<AuditEntry[]> {
    return this.records.auditOf(customerId);
  }

  /** A final backup of every schedule, then the customer is suspended (backups are kept). */
  async suspend(
    customerId: string,
    opts: { actor: string; waitMs?: number },
  ): Promise<LifecycleAnswer> {
    await this.customer(customerId);
    const before = await this.records.status(customerId);
    if (before.state === 'terminated') throw terminatedError(customerId);
    const final = await this.finalBackups(customerId, opts);
    const at = this.now();
    await this.records.set(customerId, 'suspended', at, null);
    await this.records.audit({
      customerId,
      action: 'suspend',
      at,
      actor: opts.actor,
      detail: { finalBackupJobs: final.jobs },
    });
    return { ...(await this.records.status(customerId)), ...final.answer };
  }

  /**
   * A final backup of every schedule, then the customer is terminated: the schedules stop, and
   * the backups go `keepDays` after now.
   */
  async terminate(
    customerId: string,
    opts: { actor: string; waitMs?: number },
  ): Promise<LifecycleAnswer> {
    await this.customer(customerId);
    const before = await this.records.status(customerId);
    if (before.state === 'terminated') throw terminatedError(customerId);
    const final = await this.finalBackups(customerId, opts);
    const at = this.now();
    const purgeAfter = new Date(at.getTime() + this.keepDays * 86_400_000);
    await this.records.set(customerId, 'terminated', at, purgeAfter);
    const stopped = await this.deps.schedules.disableForCustomer(customerId);
    await this.records.audit({
      customerId,
      action: 'terminate',
      at,
      actor: opts.actor,
      detail: {
        finalBackupJobs: final.jobs,
        keepDays: this.keepDays,
        purgeAfter: purgeAfter.toISOString(),
        schedulesStopped: stopped,
      },
    });
    return { ...(await this.records.status(customerId)), ...final.answer };
  }

  /** Back to active (a suspension lifted); a terminated customer stays terminated. */
  async reactivate(customerId: string, opts: { actor: string }): Promise<LifecycleStatus> {
    await this.customer(customerId);
    const before = await this.records.status(customerId);
    if (before.state === 'terminated') throw terminatedError(customerId);
    if (before.state === 'active') return before;
    const at = this.now();
    await this.records.set(customerId, 'active', at, null);
    await this.records.audit({
      customerId,
      action: 'reactivate',
      at,
      actor: opts.actor,
      detail: {},
    });
    return this.records.status(customerId);
  }

  /**
   * Queues the removal of `path` from every snapshot of the customer, refused up front (nothing
   * queued) where the server's restic has no `rewrite` (before 0.15).
   */
  async purgePath(
    customerId: string,
    path: unknown,
    opts: { actor: string },
  ): Promise<{ jobId: number }> {
    await this.customer(customerId);
    const clean = checkedPath(path);
    const version = (await this.deps.agent.facts()).restic.version;
    if (!canRewrite(version))
      throw new HostvaultError(
        'lifecycle.rewrite_unsupported',
        `Removing a path from existing snapshots needs restic 0.15 or newer; this server runs ${version}.`,
        { params: { version } },
      );
    const status = await this.records.status(customerId);
    if (status.purgedAt) throw purgedError(customerId);
    const jobId = await this.queue({ action: 'purge_path', customerId, paths: [clean] });
    await this.records.audit({
      customerId,
      action: 'purge_path_requested',
      at: this.now(),
      actor: opts.actor,
      detail: { path: clean, jobId },
    });
    return { jobId };
  }

  /**
   * Queues the purge of each terminated customer whose kept time is over, unless a job of theirs
   * is still active (their final backup, say). Returns the jobs queued; none without the lease.
   */
  async planPurges(opts: { lease?: { held(): boolean } } = {}): Promise<number[]> {
    if (!(opts.lease?.held() ?? true)) return [];
    const queued: number[] = [];
    for (const due of await this.records.duePurges(this.now())) {
      // Their final backups first; and one purge at a time.
      if ((await this.deps.jobs.active(due.customerId)).length > 0) continue;
      const pending = (await this.deps.jobs.active()).filter(
        (j) => j.type === 'lifecycle' && lifecycleParams(j).customerId === due.customerId,
      );
      if (pending.length > 0) continue;
      queued.push(await this.queue({ action: 'purge', customerId: due.customerId }));
    }
    return queued;
  }

  private async queue(params: LifecycleParams): Promise<number> {
    const created = await this.deps.jobs.create({
      type: 'lifecycle',
      trigger: 'system',
      // The provider's work: a purge is never in the (former) customer's history.
      customerId: null,
      scheduleName:
        params.action === 'purge'
          ? `Purge backups of ${params.customerId}`
          : `Remove a path from ${params.customerId}'s snapshots`,
      params,
    });
    if (!created.created) throw new Error('The life-cycle job was not queued.');
    this.deps.onQueued?.();
    return created.id;
  }

  private async finalBackups(
    customerId: string,
    opts: { waitMs?: number },
  ): Promise<{
    jobs: number[];
    answer: Pick<LifecycleAnswer, 'finalBackupJobs' | 'finalBackupStatus'>;
  }> {
    const schedules = await this.deps.schedules.list(ADMIN, {
      customerId,
      ownerKind: 'customer',
    });
    const jobs: number[] = [];
    for (const schedule of schedules)
      jobs.push((await this.deps.schedules.runNow(ADMIN, schedule.id)).jobId);
    if (jobs.length > 0) this.deps.onQueued?.();
    if (!opts.waitMs) return { jobs, answer: { finalBackupJobs: jobs } };
    const status = await this.await(jobs, opts.waitMs);
    return { jobs, answer: { finalBackupJobs: jobs, finalBackupStatus: status } };
  }

  /** Waits for the jobs to end, up to `waitMs` of real time; answers each one's status. */
  private async await(ids: number[], waitMs: number): Promise<Record<number, string>> {
    const until = Date.now() + waitMs;
    const status: Record<number, string> = {};
    for (;;) {
      for (const id of ids) status[id] = (await this.deps.jobs.get(id))?.status ?? 'unknown';
      const open = Object.values(status).some((s) => s === 'pending' || s === 'running');
      if (!open || Date.now() >= until) return status;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private async customer(customerId: string): Promise<void> {
    // A purged customer may be gone from the inventory; their record still answers.
    const known = await this.deps.customers.getCustomer(customerId);
    if (known) return;
    const status = await this.records.status(customerId);
    if (status.state === 'active') throw new NotFoundError('Customer not found');
  }
}

function terminatedError(customerId: string): HostvaultError {
  return new HostvaultError(
    'lifecycle.terminated',
    `Customer ${customerId} is terminated; their backups are kept until they are purged.`,
  );
}

function purgedError(customerId: string): HostvaultError {
  return new HostvaultError(
    'lifecycle.purged',
    `The backups of customer ${customerId} were purged.`,
  );
}

/** restic's version as `facts` gives it ("restic 0.18.0" or "0.18.0"): rewrite from 0.15. */
export function canRewrite(version: string): boolean {
  const match = /(\d+)\.(\d+)\.\d+/.exec(version);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 0 || minor >= 15;
}

/**
 * An absolute, normalized path as the snapshots hold it: never the root, no `.` or `..` part, no
 * control characters (it reaches the job's log), at most 4096 characters.
 */
export function checkedPath(raw: unknown): string {
  const refuse = () =>
    new HostvaultError(
      'lifecycle.path_invalid',
      `${String(raw).slice(0, 200)} is not a path in the customer's backed-up areas. Give the full path as the snapshots hold it.`,
      { params: { path: String(raw).slice(0, 200) } },
    );
  if (typeof raw !== 'string' || raw.length > 4096 || !raw.startsWith('/')) throw refuse();
  if ([...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw refuse();
  const trimmed = raw.length > 1 && raw.endsWith('/') ? raw.slice(0, -1) : raw;
  const parts = trimmed.split('/').slice(1);
  if (parts.length === 0 || parts.some((p) => p === '' || p === '.' || p === '..')) throw refuse();
  return trimmed;
}
