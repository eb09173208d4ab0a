/**
 * Jobs as rows: the state machine Pending → Running → Successful | Failed | Canceled, with
 * progress, an execution log and an error in plain words. Every read the History tab and the
 * banner make is one indexed query.
 */
import { sql } from 'kysely';
import type { JobRow, JobStatus, JobType, Store } from '../store/index.js';

import type { JobProgress } from './job-params.js';

export type { JobProgress };

export interface NewJob {
  type: JobType;
  trigger: 'schedule' | 'manual' | 'system';
  scheduleId?: number | null;
  customerId?: string | null;
  scheduleName?: string | null;
  scope?: string | null;
  params?: unknown;
  /**
   * Refuse (ActiveJobLimitError) when the customer already has this many jobs of this type
   * pending or running: counted and inserted in one write transaction, so requests that arrive
   * together, from the API and the CLI alike, cannot all slip under the limit.
   */
  maxActivePerCustomer?: number;
  /**
   * A scheduled backup's slot (the schedule's next run it was due for, ISO 8601): refused as
   * started before when a job of this schedule has that slot, however long ago it finished. The
   * store's unique index on (schedule, slot) decides (migration 0011), so a slot starts once even
   * when two planners overlap or one took over from another that died between the job and the
   * record of its start.
   */
  slot?: string;
}

/** Why create made no job: one pending or running already, or one for the slot before. */
export type NotCreated = { created: false; existingId: number; reason: 'active' | 'slot' };

export class ActiveJobLimitError extends Error {
  constructor(
    readonly limit: number,
    readonly active: number,
  ) {
    super(`${active} jobs of this kind are pending or running already (limit ${limit})`);
    this.name = 'ActiveJobLimitError';
  }
}

export interface JobFilter {
  customerId?: string;
  scheduleId?: number;
  status?: JobStatus;
  type?: JobType;
  offset?: number;
  limit?: number;
}

/** The columns a list shows: never the log, which may be long. */
const SUMMARY_COLUMNS = [
  'id',
  'type',
  'status',
  'schedule_id',
  'customer_id',
  'schedule_name',
  'scope',
  'trigger',
  'params',
  'created_at',
  'started_at',
  'finished_at',
  'progress',
  'error',
  'snapshot_id',
  'bytes_added',
  'bytes_processed',
  'flag',
] as const;

export type JobSummary = Pick<JobRow, (typeof SUMMARY_COLUMNS)[number]>;

/** How long a worker's claim on a running job holds without renewal (HOSTVAULT_JOB_LEASE_MS). */
export const DEFAULT_JOB_LEASE_MS = 30_000;

/** Who claims a job: a worker's instance id and how long its claim holds unrenewed. */
export interface JobOwner {
  id: string;
  leaseMs: number;
}

export const ACTIVE: JobStatus[] = ['pending', 'running'];
export const FINISHED: JobStatus[] = ['successful', 'failed', 'canceled'];

export class JobStore {
  constructor(
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get db() {
    return this.store.db;
  }

  /**
   * Creates a job unless its schedule already has one pending or running; the check and the insert
   * are one transaction, so a hundred "Run now" clicks make exactly one job.
   */
  async create(job: NewJob): Promise<{ created: true; id: number } | NotCreated> {
    return this.db.transaction().execute(async (trx) => {
      if (job.scheduleId != null) {
        const existing = await trx
          .selectFrom('jobs')
          .select('id')
          .where('schedule_id', '=', job.scheduleId)
          .where('status', 'in', ACTIVE)
          .executeTakeFirst();
        if (existing)
          return { created: false as const, existingId: existing.id, reason: 'active' as const };
      }
      if (job.maxActivePerCustomer !== undefined && job.customerId != null) {
        // SQLite's BEGIN IMMEDIATE already serialises this count and insert; PostgreSQL's
        // transactions run side by side, so they queue on a lock per customer instead.
        if (this.store.dialect === 'postgres')
          await sql`select pg_advisory_xact_lock(hashtext(${`jobs:${job.customerId}`}))`.execute(
            trx,
          );
        const { active } = await trx
          .selectFrom('jobs')
          .select((eb) => eb.fn.countAll<number>().as('active'))
          .where('type', '=', job.type)
          .where('customer_id', '=', job.customerId)
          .where('status', 'in', ACTIVE)
          .executeTakeFirstOrThrow();
        if (Number(active) >= job.maxActivePerCustomer)
          throw new ActiveJobLimitError(job.maxActivePerCustomer, Number(active));
      }
      // The database's own rules (one active job per schedule, migration 0008; one job per
      // schedule slot, 0011) settle a race the check above cannot see: another controller's
      // transaction inserting at the same time, and a slot whose job has finished already.
      const row = await trx
        .insertInto('jobs')
        .values({
          type: job.type,
          status: 'pending',
          trigger: job.trigger,
          schedule_id: job.scheduleId ?? null,
          customer_id: job.customerId ?? null,
          schedule_name: job.scheduleName ?? null,
          scope: job.scope ?? null,
          params: job.params === undefined ? null : JSON.stringify(job.params),
          created_at: this.now().toISOString(),
          slot: job.slot ?? null,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      if (row) return { created: true as const, id: row.id };
      const winner = await trx
        .selectFrom('jobs')
        .select(['id', 'status'])
        .where('schedule_id', '=', job.scheduleId ?? null)
        .where((eb) =>
          eb.or([
            eb('status', 'in', ACTIVE),
            ...(job.slot === undefined ? [] : [eb('slot', '=', job.slot)]),
          ]),
        )
        // The active job first: while it runs, the schedule reads as running.
        .orderBy(sql`case when status in ('pending', 'running') then 0 else 1 end`)
        .executeTakeFirstOrThrow();
      return {
        created: false as const,
        existingId: winner.id,
        reason: ACTIVE.includes(winner.status) ? ('active' as const) : ('slot' as const),
      };
    });
  }

  /**
   * Pending and running jobs per hosting server, by their customer's server (the Servers page).
   * Jobs of no customer (maintenance of a repository) count under no server.
   */
  async activeByServer(): Promise<Map<string, { running: number; queued: number }>> {
    const rows = await this.db
      .selectFrom('jobs as j')
      .innerJoin('customers as c', 'c.id', 'j.customer_id')
      .select((eb) => ['c.server_id as server', 'j.status as status', eb.fn.countAll().as('n')])
      .where('j.status', 'in', ACTIVE)
      .groupBy(['c.server_id', 'j.status'])
      .execute();
    const counts = new Map<string, { running: number; queued: number }>();
    for (const row of rows) {
      const one = counts.get(row.server) ?? { running: 0, queued: 0 };
      if (row.status === 'running') one.running += Number(row.n);
      else one.queued += Number(row.n);
      counts.set(row.server, one);
    }
    return counts;
  }

  get(id: number): Promise<JobRow | undefined> {
    return this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * The next pending job to start, shared fairly: the customer with the fewest running jobs goes
   * first, then the oldest job. Marks it running in the same transaction.
   */
  async claimNext(owner?: JobOwner): Promise<JobRow | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const held = await heldByDrain(trx);
      const candidate = await trx
        .selectFrom('jobs as j')
        .select('j.id')
        .where('j.status', '=', 'pending')
        .$if(held.length > 0, (qb) => qb.where('j.id', 'not in', held))
        // A job of a customer whose hosting server drains waits (src/fleet/server-records.ts):
        // it starts once the server is undrained, or runs elsewhere once the customer moved.
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('customers as c')
                .innerJoin('servers as s', 's.id', 'c.server_id')
                .select('c.id')
                .whereRef('c.id', '=', 'j.customer_id')
                .where('s.state', '=', 'draining'),
            ),
          ),
        )
        .orderBy(
          (eb) =>
            eb
              .selectFrom('jobs as r')
              .select(eb.fn.countAll().as('n'))
              .where('r.status', '=', 'running')
              .whereRef('r.customer_id', 'is not distinct from', 'j.customer_id'),
          'asc',
        )
        .orderBy('j.id', 'asc')
        .limit(1)
        .executeTakeFirst();
      if (!candidate) return undefined;
      const stamp = this.now().toISOString();
      await trx
        .updateTable('jobs')
        .set({ status: 'running', started_at: stamp, ...this.lease(owner) })
        .where('id', '=', candidate.id)
        .execute();
      return trx.selectFrom('jobs').selectAll().where('id', '=', candidate.id).executeTakeFirst();
    });
  }

  private lease(owner: JobOwner | undefined): { owner: string | null; lease_until: string | null } {
    if (!owner) return { owner: null, lease_until: null };
    return {
      owner: owner.id,
      lease_until: new Date(this.now().getTime() + owner.leaseMs).toISOString(),
    };
  }

  /**
   * Moves the lease of the owner's running jobs forward: it is alive and still runs them. Returns
   * the ids it still holds (a job another took over after a lapse is no longer among them).
   */
  async renewLeases(owner: JobOwner, ids: readonly number[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .updateTable('jobs')
      .set({ lease_until: this.lease(owner).lease_until })
      .where('id', 'in', [...ids])
      .where('owner', '=', owner.id)
      .where('status', '=', 'running')
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  /** Of `ids`, the running jobs another owner holds now: adopted after this owner's lease lapsed. */
  async takenOver(owner: JobOwner, ids: readonly number[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('jobs')
      .select('id')
      .where('id', 'in', [...ids])
      .where('status', '=', 'running')
      .where('owner', 'is distinct from', owner.id)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * A running job whose owner's lease expired (its worker died), now owned by `owner`: one
   * conditional update takes it, so of two controllers looking at once only one adopts it.
   * Jobs of no owner (from before owners were kept) count as expired.
   */
  async adoptExpired(owner: JobOwner): Promise<JobRow | undefined> {
    for (;;) {
      const stamp = this.now().toISOString();
      const candidate = await this.db
        .selectFrom('jobs')
        .select(['id', 'owner', 'lease_until'])
        .where('status', '=', 'running')
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', stamp)]))
        // Its own: still running here while the store did not answer its renewals.
        .where('owner', 'is distinct from', owner.id)
        .orderBy('id', 'asc')
        .limit(1)
        .executeTakeFirst();
      if (!candidate) return undefined;
      const taken = await this.db
        .updateTable('jobs')
        .set(this.lease(owner))
        .where('id', '=', candidate.id)
        .where('status', '=', 'running')
        // Unchanged since it was read: no other controller adopted it meanwhile.
        .where('owner', 'is not distinct from', candidate.owner)
        .where('lease_until', 'is not distinct from', candidate.lease_until)
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) > 0) return this.get(candidate.id);
    }
  }

  async saveProgress(id: number, progress: JobProgress, logAppend?: string): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set((eb) => ({
        progress: JSON.stringify(progress),
        ...(logAppend ? { log: sql<string>`coalesce(${eb.ref('log')}, '') || ${logAppend}` } : {}),
      }))
      .where('id', '=', id)
      .where('status', '=', 'running')
      .execute();
  }

  async finish(
    id: number,
    outcome: {
      status: 'successful' | 'failed' | 'canceled';
      error?: string | null;
      snapshotId?: string | null;
      bytesAdded?: number | null;
      bytesProcessed?: number | null;
      stats?: unknown;
      /** 'mass_change': the guard flagged the backup (src/agent/mass-change.ts). */
      flag?: string | null;
      logAppend?: string;
    },
    /**
     * The worker that ran it: written only while it still owns the job. A controller whose lease
     * lapsed may have lost the job to another that now follows it; the outcome is the new owner's
     * to record. Returns whether it was written.
     */
    owner?: string,
  ): Promise<boolean> {
    let update = this.db
      .updateTable('jobs')
      .set((eb) => ({
        status: outcome.status,
        finished_at: this.now().toISOString(),
        error: outcome.error ?? null,
        snapshot_id: outcome.snapshotId ?? null,
        bytes_added: outcome.bytesAdded ?? null,
        bytes_processed: outcome.bytesProcessed ?? null,
        stats: outcome.stats === undefined ? null : JSON.stringify(outcome.stats),
        flag: outcome.flag ?? null,
        ...(outcome.logAppend
          ? { log: sql<string>`coalesce(${eb.ref('log')}, '') || ${outcome.logAppend}` }
          : {}),
      }))
      .where('id', '=', id);
    // A job claimed with no owner (a claim of its own, as tests make) is anybody's to finish.
    if (owner !== undefined)
      update = update.where((eb) => eb.or([eb('owner', '=', owner), eb('owner', 'is', null)]));
    const result = await update.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Cancels a pending job outright; a running one is left to its worker, which is told. */
  async cancelPending(id: number): Promise<boolean> {
    const result = await this.db
      .updateTable('jobs')
      .set({
        status: 'canceled',
        finished_at: this.now().toISOString(),
        error: 'Canceled before it started.',
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  list(filter: JobFilter = {}): Promise<JobSummary[]> {
    let query = this.db.selectFrom('jobs').select(SUMMARY_COLUMNS);
    if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId);
    if (filter.scheduleId !== undefined) query = query.where('schedule_id', '=', filter.scheduleId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.type !== undefined) query = query.where('type', '=', filter.type);
    return query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .offset(filter.offset ?? 0)
      .limit(Math.min(filter.limit ?? 50, 500))
      .execute();
  }

  /**
   * Jobs matching the filter; with `atMost`, counting stops there (the answer is then at least
   * that many): a history of a million jobs need not be counted row by row for each page.
   */
  async count(filter: Omit<JobFilter, 'offset' | 'limit'> = {}, atMost?: number): Promise<number> {
    let matching = this.db.selectFrom('jobs').select('id');
    if (filter.customerId !== undefined)
      matching = matching.where('customer_id', '=', filter.customerId);
    if (filter.scheduleId !== undefined)
      matching = matching.where('schedule_id', '=', filter.scheduleId);
    if (filter.status !== undefined) matching = matching.where('status', '=', filter.status);
    if (filter.type !== undefined) matching = matching.where('type', '=', filter.type);
    if (atMost !== undefined) matching = matching.limit(atMost);
    const row = await this.db
      .selectFrom(matching.as('matching'))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Changes whenever what this store reads may have changed: a commit through another connection
   * (the CLI, another process) moves SQLite's data_version, a row written through this one moves
   * total_changes(). Both only grow, so equal stamps mean equal answers. PostgreSQL: see below.
   */
  async changeStamp(): Promise<string> {
    if (this.store.dialect === 'postgres') {
      // The next transaction id to be handed out: it moves with every transaction that writes,
      // anywhere in the cluster, so equal stamps still mean equal answers (more misses, no wrong hits).
      const { rows } = await sql<{
        x: string;
      }>`select pg_snapshot_xmax(pg_current_snapshot())::text as x`.execute(this.db);
      const row = rows[0];
      if (!row) throw new Error('pg_current_snapshot answered nothing');
      return row.x;
    }
    const { rows } = await sql<{
      v: number;
      t: number;
    }>`select data_version as v, total_changes() as t from pragma_data_version`.execute(this.db);
    const row = rows[0];
    if (!row) throw new Error('pragma data_version answered nothing');
    return `${row.v}.${row.t}`;
  }

  /** Running and pending jobs, for the banner. */
  active(customerId?: string): Promise<JobSummary[]> {
    let query = this.db.selectFrom('jobs').select(SUMMARY_COLUMNS).where('status', 'in', ACTIVE);
    if (customerId !== undefined) query = query.where('customer_id', '=', customerId);
    return query.orderBy('id', 'asc').execute();
  }

  /** "Delete old entries": finished jobs older than `days`; never a pending or running one. */
  async deleteOld(days: number, customerId?: string, dryRun = false): Promise<number> {
    const cutoff = new Date(this.now().getTime() - days * 86_400_000).toISOString();
    if (dryRun) {
      let q = this.db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', FINISHED)
        .where('created_at', '<', cutoff);
      if (customerId !== undefined) q = q.where('customer_id', '=', customerId);
      return Number((await q.executeTakeFirstOrThrow()).n);
    }
    let query = this.db
      .deleteFrom('jobs')
      .where('status', 'in', FINISHED)
      .where('created_at', '<', cutoff);
    if (customerId !== undefined) query = query.where('customer_id', '=', customerId);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * After a crash: whatever was running did not finish. Returns the jobs it marked. `notes`
   * adds what recovery found for a job (e.g. that its restore was completed at start), so the
   * customer's History says what state their data is in.
   */
  /**
   * Jobs left running by a stopped service: failed, with what recovery did (`notes`) in their
   * error and log; those in `completed`, whose work recovery finished, successful with the note in
   * their log.
   */
  async markInterrupted(
    notes: ReadonlyMap<number, string> = new Map(),
    completed: ReadonlySet<number> = new Set(),
    /**
     * The restarting worker's instance id: its own running jobs are marked, and those whose
     * owner's lease expired (or that have no owner); a job another live worker holds is left to
     * it. Unset: every running job (a store only this process uses).
     */
    owner?: string,
  ): Promise<JobRow[]> {
    const now = this.now().toISOString();
    let query = this.db.selectFrom('jobs').selectAll().where('status', '=', 'running');
    if (owner !== undefined)
      query = query.where((eb) =>
        eb.or([
          eb('owner', '=', owner),
          eb('owner', 'is', null),
          eb('lease_until', 'is', null),
          eb('lease_until', '<', now),
        ]),
      );
    const running = await query.execute();
    if (running.length === 0) return [];
    const stamp = this.now();
    const logged = (note: string) => `${stamp.toISOString().slice(11, 19)} ${note}\n`;
    for (const job of running) {
      const note = notes.get(job.id);
      const done = completed.has(job.id);
      const interrupted = 'Interrupted: the service stopped while this job was running.';
      await this.db
        .updateTable('jobs')
        .set((eb) => ({
          status: done ? 'successful' : 'failed',
          finished_at: stamp.toISOString(),
          error: done ? null : note ? `${interrupted} ${note}` : interrupted,
          ...(note || done
            ? {
                log: sql<string>`coalesce(${eb.ref('log')}, '') || ${[
                  note && logged(note),
                  done &&
                    logged(`${capitalize(job.type)} completed when the service started again`),
                ]
                  .filter(Boolean)
                  .join('')}`,
              }
            : {}),
        }))
        .where('id', '=', job.id)
        .where('status', '=', 'running')
        .execute();
    }
    return running;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Pending jobs of no customer that would run on a draining server, so they wait like its
 * customers' jobs do: maintenance (prune, check, a vault's retention) of a customer's repository
 * runs on that customer's server; that of a server-wide repository waits when its schedule names
 * the server (the repository of that server's backups); a drill
 * or a copy on its customer's server; a server-wide backup on the server its schedule names or
 * on the one customer's server it is for (src/fleet/fleet-agent.ts routes them so). Read only while some server drains: one query
 * otherwise. The route is in the job's JSON params, read here rather than in SQL, whose JSON
 * functions differ between SQLite and PostgreSQL.
 */
async function heldByDrain(db: Store['db']): Promise<number[]> {
  const draining = (
    await db.selectFrom('servers').select('id').where('state', '=', 'draining').execute()
  ).map((r) => r.id);
  if (draining.length === 0) return [];
  const customers = await db
    .selectFrom('customers')
    .select('id')
    .where('server_id', 'in', draining)
    .execute();
  const [schedules, jobs] = await Promise.all([
    // A server-wide schedule naming the server, or one customer's server-wide schedule.
    db
      .selectFrom('schedules')
      .select('id')
      .where((eb) =>
        eb.or([
          eb('server_id', 'in', draining),
          ...(customers.length > 0
            ? [
                eb(
                  'customer_id',
                  'in',
                  customers.map((c) => c.id),
                ),
              ]
            : []),
        ]),
      )
      .execute(),
    db
      .selectFrom('jobs')
      .select(['id', 'schedule_id', 'params'])
      .where('status', '=', 'pending')
      .where('customer_id', 'is', null)
      .execute(),
  ]);
  const onDrainingCustomer = new Set(customers.map((c) => c.id));
  const onDrainingSchedule = new Set(schedules.map((s) => s.id));
  const held: number[] = [];
  for (const job of jobs) {
    const route = routeOf(job.params);
    const waits =
      route.customer !== undefined
        ? onDrainingCustomer.has(route.customer)
        : onDrainingSchedule.has(route.schedule ?? job.schedule_id ?? -1);
    if (waits) held.push(job.id);
  }
  return held;
}

/** Whose server a job of no customer runs on, from its params: a customer, or a schedule's. */
function routeOf(params: string | null): { customer?: string; schedule?: number } {
  let parsed: unknown;
  try {
    parsed = params === null ? undefined : JSON.parse(params);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const p = parsed as { owner?: unknown; scheduleId?: unknown; customerId?: unknown };
  const schedule = typeof p.scheduleId === 'number' ? p.scheduleId : undefined;
  // Maintenance: the repository's owner, a customer or `server` (the schedule's server).
  if (typeof p.owner === 'string')
    return p.owner === 'server'
      ? { ...(schedule !== undefined ? { schedule } : {}) }
      : { customer: p.owner };
  if (typeof p.customerId === 'string') return { customer: p.customerId };
  return schedule !== undefined ? { schedule } : {};
}
