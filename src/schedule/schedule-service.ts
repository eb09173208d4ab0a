/**
 * Schedules as customers and admins manage them: validated input, package limits enforced on the
 * server with a message that names the limit, targets sealed at rest and shown without secrets.
 * The schedule form edits "its" target: each schedule has a target record of its own
 * (src/repository/target-records.ts), made with the schedule and changed with it.
 */
import { sql } from 'kysely';
import type { Viewer } from '../auth/viewer.js';
import { HostvaultError, NotFoundError, ValidationError } from '../errors/index.js';
import type { CustomerDirectory } from '../inventory/directory.js';
import type { Customer } from '../inventory/schema.js';
import type { JobStore } from '../job/job-store.js';
import type { Keyring } from '../repository/keyring.js';
import {
  isDamaged,
  TargetRecords,
  type DamagedTargetRecord,
  type TargetRecord,
} from '../repository/target-records.js';
import type { ScheduleRow, Store } from '../store/index.js';
import { AddressPolicy } from '../target/address-policy.js';
import { unmask } from '../target/masked-secret.js';
import { sameLocation } from '../target/location.js';
import { originAfterEdit, type TargetOrigin } from '../target/origin.js';
import { publicTarget, type Target } from '../target/schema.js';
import { nextRun, isOverdue, scheduleStartMinute, type Timing } from './next-run.js';
import { checkPackageLimits } from './package-limits.js';
import {
  validateCopyInput,
  validateScheduleInput,
  type FieldError,
  type ScheduleInput,
} from './schedule-schema.js';
import type { DueSchedule, EnqueueResult, ScheduleStore, Start } from './scheduler.js';
import type { Frequency } from '../inventory/schema.js';

export class ScheduleInputError extends ValidationError {
  constructor(fields: readonly FieldError[]) {
    super(fields, 'Please check the highlighted fields.');
    this.name = 'ScheduleInputError';
  }
}

export interface ScheduleView {
  id: number;
  ownerKind: 'customer' | 'server';
  customerId: string | null;
  /**
   * An entire-server schedule's hosting server: only its customers are backed up, each on that
   * server's agent. Null: every customer, each on its own server (and for a customer's schedule,
   * which follows its customer).
   */
  server: string | null;
  name: string;
  scope: string;
  frequency: string;
  hour: number;
  day: number | null;
  /**
   * Minute of the hour its runs start at: the owner's stable spread (next-run.ts, startMinute),
   * so a daily schedule at hour 3 reads "Daily at 03:17 UTC" and runs then.
   */
  startMinute: number;
  retention: number;
  target: Record<string, unknown>;
  enabled: boolean;
  nextRunAt: string | null;
  lastStatus: string | null;
  lastJobId: number | null;
  lastSuccessAt: string | null;
  /** No success for twice the interval: the page and notifications warn. */
  overdue: boolean;
  /** The second copy (3-2-1): its target without secrets, what it keeps, how the last one went. */
  copy: {
    target: Record<string, unknown>;
    retention: number;
    lastStatus: string | null;
    lastAt: string | null;
  } | null;
}

export class ScheduleService implements ScheduleStore {
  constructor(
    private readonly deps: {
      store: Store;
      keyring: Keyring;
      customers: CustomerDirectory;
      jobs: JobStore;
      /**
       * The provider's directory for local repositories. A customer's "Local" target always
       * means this directory: letting customers name a server path would let them write anywhere.
       */
      localRepositoryDir: string;
      /**
       * Where a customer's target may point, checked at save (and by the repository service
       * before each run). Default: the built-in policy with no allowances.
       */
      addresses?: Pick<AddressPolicy, 'check'>;
      /**
       * Removes the hosting server's CA certificate files of S3 targets except those of `inUse`
       * (the agent's sweepCertificates); answers the files removed. Unset: none are removed.
       */
      sweepCertificates?: (inUse: string[]) => Promise<string[]>;
      /** Told when a job was queued, so it starts at once. */
      onQueued?: () => void;
      /** The target records; by default over the same store and keyring. */
      targets?: TargetRecords;
      now?: () => Date;
    },
  ) {
    this.addresses = deps.addresses ?? new AddressPolicy({ allow: [], deny: [] });
    this.targets =
      deps.targets ??
      new TargetRecords({ store: deps.store, keyring: deps.keyring, now: deps.now });
  }

  private readonly addresses: Pick<AddressPolicy, 'check'>;
  readonly targets: TargetRecords;

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private get db() {
    return this.deps.store.db;
  }

  async list(
    viewer: Viewer,
    filter: { customerId?: string; ownerKind?: 'customer' | 'server' } = {},
  ): Promise<ScheduleView[]> {
    let query = this.db.selectFrom('schedules').selectAll();
    if (viewer.role === 'customer') {
      query = query
        .where('customer_id', '=', viewer.customerId)
        .where('owner_kind', '=', 'customer');
    } else {
      if (filter.customerId !== undefined)
        query = query.where('customer_id', '=', filter.customerId);
      if (filter.ownerKind !== undefined) query = query.where('owner_kind', '=', filter.ownerKind);
    }
    const rows = await query.orderBy('id', 'asc').execute();
    const targets = await this.targets.getMany(
      rows.flatMap((row) => [row.target_id ?? [], row.copy_target_id ?? []].flat()),
    );
    return rows.map((row) =>
      this.view(
        viewer,
        row,
        this.recordOf(row, targets),
        row.copy_target_id === null ? undefined : targets.get(row.copy_target_id),
      ),
    );
  }

  /** One schedule, or NotFoundError; another customer's id reads exactly like a missing one. */
  async getRow(viewer: Viewer, id: number): Promise<ScheduleRow> {
    const row = await this.db
      .selectFrom('schedules')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || !visible(viewer, row)) throw new NotFoundError('Schedule not found');
    return row;
  }

  async get(viewer: Viewer, id: number): Promise<ScheduleView> {
    const row = await this.getRow(viewer, id);
    const copy =
      row.copy_target_id === null
        ? undefined
        : (await this.targets.getMany([row.copy_target_id])).get(row.copy_target_id);
    return this.view(viewer, row, await this.targetRecord(row), copy);
  }

  /**
   * Sets or ends the schedule's second copy: each new backup is then copied to this target by a
   * job of its own (src/copy). It must be another place than the schedule's own target; a
   * customer's copy keeps at most the package's retention, and a customer's "local" is the
   * provider's directory, as for the first target (so it is refused as the same place when the
   * first is local too).
   */
  async setCopy(viewer: Viewer, id: number, raw: unknown): Promise<ScheduleView> {
    const row = await this.getRow(viewer, id);
    const validated = validateCopyInput(
      viewer.role === 'customer' && typeof raw === 'object' && raw !== null
        ? { ...raw, target: (this.localForCustomer(raw) as { target?: unknown }).target }
        : raw,
    );
    if (!validated.ok) throw new ScheduleInputError(validated.errors);
    const input = validated.value;
    const previous =
      row.copy_target_id === null
        ? undefined
        : (await this.targets.getMany([row.copy_target_id])).get(row.copy_target_id);
    if (input.target === null) {
      await this.db
        .updateTable('schedules')
        .set({ copy_target_id: null, copy_retention: null, updated_at: this.now().toISOString() })
        .where('id', '=', id)
        .execute();
      if (previous) await this.targets.dropUnused([previous.id]);
      return this.get(viewer, id);
    }
    const stored = previous && !isDamaged(previous) ? previous.target : undefined;
    const unmasked = unmask(input.target, stored);
    if (!unmasked.ok)
      throw new ScheduleInputError([
        {
          field: `target.${unmasked.field}`,
          code: 'target.secret_required',
          message: unmasked.message,
          params: { secret: unmasked.field },
        },
      ]);
    const target = unmasked.target;
    const first = await this.readTarget(row);
    if (!isDamaged(first) && sameLocation(first.target, target))
      throw new ScheduleInputError([
        {
          field: 'target',
          code: 'schedule.copy_same_target',
          message: "The second copy must go to another place than the schedule's own target.",
        },
      ]);
    const origin = originAfterEdit(
      target,
      stored && previous && !isDamaged(previous)
        ? { target: stored, origin: previous.origin }
        : undefined,
      editorOf(viewer),
    );
    await this.checkAddress(target, origin);
    const retention = input.retention ?? row.retention;
    if (viewer.role === 'customer' && row.customer_id) {
      const customer = await this.deps.customers.getCustomer(row.customer_id);
      const pkg = customer && (await this.deps.customers.getPackage(customer.packageId));
      if (pkg && pkg.maxRetention > 0 && retention > pkg.maxRetention)
        throw new ScheduleInputError([
          {
            field: 'retention',
            code: 'package.retention_limit',
            message: `Your package allows at most ${pkg.maxRetention} snapshots per schedule`,
            params: { max: pkg.maxRetention },
          },
        ]);
    }
    const owner = row.owner_kind === 'server' ? 'server' : (row.customer_id ?? 'server');
    const moved = !stored || !sameLocation(stored, target);
    if (!moved && previous) await this.targets.update(previous.id, target, origin);
    const targetId =
      !moved && previous ? previous.id : await this.targets.create({ owner, origin, target });
    await this.db
      .updateTable('schedules')
      .set({
        copy_target_id: targetId,
        copy_retention: retention,
        updated_at: this.now().toISOString(),
      })
      .where('id', '=', id)
      .execute();
    if (moved && previous) await this.targets.dropUnused([previous.id]);
    return this.get(viewer, id);
  }

  /** The schedule's target, secrets included, marked with who chose its server. */
  async target(row: ScheduleRow): Promise<Target> {
    return (await this.targetRecord(row)).target;
  }

  /**
   * The schedule's target record: the target (as `target`), its id, owner and origin.
   * TargetRecordError when its settings cannot be used.
   */
  async targetRecord(row: ScheduleRow): Promise<TargetRecord> {
    const record = await this.readTarget(row);
    if (isDamaged(record)) throw record.damage;
    return record;
  }

  /** The schedule's target record, or what is known of it when its settings cannot be used. */
  private async readTarget(row: ScheduleRow): Promise<TargetRecord | DamagedTargetRecord> {
    const ids = row.target_id === null ? [] : [row.target_id];
    return this.recordOf(row, await this.targets.getMany(ids));
  }

  private recordOf(
    row: ScheduleRow,
    records: Map<number, TargetRecord | DamagedTargetRecord>,
  ): TargetRecord | DamagedTargetRecord {
    const record = row.target_id === null ? undefined : records.get(row.target_id);
    if (!record) throw new Error(`schedule ${row.id} has no target record`);
    return record;
  }

  /** A customer's own schedule, within the package's limits. */
  async create(viewer: Viewer, customerId: string, raw: unknown): Promise<ScheduleView> {
    if (viewer.role === 'customer' && viewer.customerId !== customerId)
      throw new NotFoundError('Customer not found');
    const customer = await this.deps.customers.getCustomer(customerId);
    if (!customer) throw new NotFoundError('Customer not found');
    const input = this.validate(viewer.role === 'customer' ? this.localForCustomer(raw) : raw);
    const origin = editorOf(viewer);
    await this.checkAddress(input.target, origin);
    if (viewer.role === 'customer') await this.enforcePackage(customer, input, 'create');
    return this.insert(viewer, 'customer', customerId, input, origin);
  }

  /** Admin only: every customer into the server repository, or one customer with its own settings. */
  async createServerWide(
    customerId: string | null,
    raw: unknown,
    server: string | null = null,
  ): Promise<ScheduleView> {
    if (customerId !== null && !(await this.deps.customers.getCustomer(customerId)))
      throw new NotFoundError('Customer not found');
    if (customerId !== null && server !== null) throw serverOfOneCustomer();
    const created = await this.insert(
      { role: 'admin' },
      'server',
      customerId,
      this.validate(raw),
      'provider',
    );
    return server === null ? created : this.setServer(created.id, server);
  }

  /**
   * Admin only: the hosting server an entire-server schedule backs up (its customers, on its
   * agent), or null for every customer on its own server. The caller checked the server exists
   * (src/fleet/customer-move.ts, requireServer). A customer's schedule, or a server-wide one for
   * one customer, follows its customer and is refused.
   */
  async setServer(id: number, server: string | null): Promise<ScheduleView> {
    const row = await this.getRow({ role: 'admin' }, id);
    if (row.owner_kind !== 'server' || row.customer_id !== null) throw serverOfOneCustomer();
    await this.db
      .updateTable('schedules')
      .set({ server_id: server, updated_at: this.now().toISOString() })
      .where('id', '=', id)
      .execute();
    return this.get({ role: 'admin' }, id);
  }

  async update(viewer: Viewer, id: number, raw: unknown): Promise<ScheduleView> {
    const row = await this.getRow(viewer, id);
    // A target whose stored settings cannot be used takes new ones: its secrets are entered again.
    const record = await this.readTarget(row);
    const stored = isDamaged(record) ? undefined : record.target;
    const validated = this.validate(viewer.role === 'customer' ? this.localForCustomer(raw) : raw);
    const unmasked = unmask(validated.target, stored);
    if (!unmasked.ok)
      throw new ScheduleInputError([
        {
          field: `target.${unmasked.field}`,
          code: 'target.secret_required',
          message: unmasked.message,
          params: { secret: unmasked.field },
        },
      ]);
    // unmask only fills in a secret: the kind, a schedule's, is the one validated.
    const input = { ...validated, target: unmasked.target as typeof validated.target };
    const origin = originAfterEdit(
      input.target,
      stored && { target: stored, origin: record.origin },
      editorOf(viewer),
    );
    await this.checkAddress(input.target, origin);
    if (viewer.role === 'customer' && row.customer_id) {
      const customer = await this.deps.customers.getCustomer(row.customer_id);
      if (customer) await this.enforcePackage(customer, input, 'update');
    }
    // Within its place the schedule's record changes, and the repositories reached through it
    // follow; moved elsewhere, the schedule gets a new record and the old one stays with the
    // repositories (and their snapshots) at the old place, if any.
    const moved = !stored || !sameLocation(stored, input.target);
    const owner = row.owner_kind === 'server' ? 'server' : (row.customer_id ?? 'server');
    if (!moved) await this.targets.update(record.id, input.target, origin);
    const targetId = moved
      ? await this.targets.create({ owner, origin, target: input.target })
      : record.id;
    const stamp = this.now();
    await this.db
      .updateTable('schedules')
      .set({
        name: input.name,
        scope: input.scope,
        frequency: input.frequency,
        hour: input.hour,
        day: input.day,
        retention: input.retention,
        enabled: input.enabled ? 1 : 0,
        target_id: targetId,
        next_run_at: input.enabled ? nextRun(timing(row, input), stamp).toISOString() : null,
        updated_at: stamp.toISOString(),
      })
      .where('id', '=', id)
      .execute();
    if (moved) await this.targets.dropUnused([record.id]);
    if (stored) await this.sweepAfterChange(stored, input.target);
    return this.get(viewer, id);
  }

  /**
   * Removes the schedule row, and its target record unless a repository is reached through it
   * (the snapshots kept stay reachable). Its history stays. The rule of deleting a schedule, with
   * or without its snapshots, is ScheduleDeletion's (schedule-deletion.ts), which calls this.
   */
  async remove(row: ScheduleRow): Promise<void> {
    const record = await this.readTarget(row).catch(() => undefined);
    await this.db.deleteFrom('schedules').where('id', '=', row.id).execute();
    if (row.target_id !== null) await this.targets.dropUnused([row.target_id]);
    // The second copy's record goes too unless a repository is reached through it (copies kept).
    if (row.copy_target_id !== null) await this.targets.dropUnused([row.copy_target_id]);
    if (record && !isDamaged(record)) await this.sweepAfterChange(record.target);
  }

  /**
   * Removes the CA certificate files no target record uses any more: at start, and after an edit
   * or a delete that dropped a certificate (a new schedule only adds a use). A target kept for
   * the repositories of a deleted schedule keeps its certificate: its snapshots still open.
   */
  async sweepCertificates(): Promise<string[]> {
    if (!this.deps.sweepCertificates) return [];
    const inUse = (await this.targets.list({ kind: 's3' }))
      .map((record) => record.target)
      .flatMap((target) => (target.kind === 's3' && target.caCert ? [target.caCert] : []));
    return this.deps.sweepCertificates(inUse);
  }

  /**
   * After an edit or a delete that may have taken a certificate's last use away. Only then: the
   * sweep opens every S3 target. A failure leaves a file, which the next start removes; the edit
   * itself is done.
   */
  private async sweepAfterChange(before: Target, after?: Target): Promise<void> {
    const pem = (t: Target | undefined) => (t?.kind === 's3' ? t.caCert : undefined);
    if (pem(before) === undefined || pem(before) === pem(after)) return;
    await this.sweepCertificates().catch(() => undefined);
  }

  /**
   * A customer's server must not lead to loopback, private or this server's addresses. A name
   * that does not resolve at all passes here: there is nothing to connect to yet, and every
   * connection test and run checks it again.
   */
  private async checkAddress(target: Target, origin: TargetOrigin): Promise<void> {
    if (origin === 'provider' || target.kind === 'local') return;
    // A vault holds the provider's trust (its agents' credentials, retention with full rights):
    // a customer keeps one the provider chose (same address: the origin stays the provider's)
    // but never points a schedule at a vault of their own choosing.
    if (target.kind === 'vault')
      throw new ScheduleInputError([
        {
          field: 'target.url',
          code: 'target.vault_provider_only',
          message: 'A vault is set up by your hosting provider; a customer cannot enter one.',
        },
      ]);
    const verdict = await this.addresses.check(target);
    if (!verdict.ok && verdict.reason === 'refused')
      throw new ScheduleInputError([
        {
          field: `target.${verdict.field}`,
          code: 'target.address_refused',
          message: verdict.message,
        },
      ]);
  }

  /** "Run now": one backup job, or the answer that one is already pending or running. */
  async runNow(viewer: Viewer, id: number): Promise<{ jobId: number; alreadyRunning: boolean }> {
    const row = await this.getRow(viewer, id);
    const result = await this.enqueue(row, 'manual');
    return result.created
      ? { jobId: result.id, alreadyRunning: false }
      : { jobId: result.existingId, alreadyRunning: true };
  }

  private async enqueue(row: ScheduleRow, trigger: 'manual' | 'schedule', slot?: Date) {
    const result = await this.deps.jobs.create({
      type: 'backup',
      trigger,
      scheduleId: row.id,
      // Server-wide jobs are the provider's: they never appear in a customer's history.
      customerId: row.owner_kind === 'server' ? null : row.customer_id,
      scheduleName: row.name,
      scope: row.scope,
      ...(slot ? { slot: slot.toISOString() } : {}),
    });
    if (result.created) this.deps.onQueued?.();
    return result;
  }

  /** The scheduler's enqueue callback: a job for the schedule's `slot`, once per slot. */
  async enqueueScheduled(id: number, slot: Date): Promise<EnqueueResult> {
    const row = await this.db
      .selectFrom('schedules')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return 'already-running';
    const result = await this.enqueue(row, 'schedule', slot);
    if (result.created) return 'queued';
    return result.reason === 'slot' ? 'already-started' : 'already-running';
  }

  /**
   * Stops a customer's own schedules from starting (a terminated customer: the final backup is
   * the last). Answers the schedules it stopped.
   */
  async disableForCustomer(customerId: string): Promise<number[]> {
    const rows = await this.db
      .updateTable('schedules')
      .set({ enabled: 0, next_run_at: null, updated_at: this.now().toISOString() })
      .where('customer_id', '=', customerId)
      .where('owner_kind', '=', 'customer')
      .where('enabled', '=', 1)
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  async recordOutcome(id: number, jobId: number, status: string): Promise<void> {
    const stamp = this.now().toISOString();
    await this.db
      .updateTable('schedules')
      .set({
        last_job_id: jobId,
        last_status: status,
        ...(status === 'successful' ? { last_success_at: stamp } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  // ScheduleStore, for the scheduler.
  async findDue(now: Date, limit: number): Promise<DueSchedule[]> {
    const rows = await this.db
      .selectFrom('schedules')
      .select(['id', 'customer_id', 'next_run_at', 'frequency', 'hour', 'day'])
      .where('enabled', '=', 1)
      .where('next_run_at', '<=', now.toISOString())
      .orderBy('next_run_at', 'asc')
      // Ties in id order, as the index (whose last column is the rowid) hands them over anyway:
      // said, so it does not depend on the query plan, and still without a sort of its own.
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      nextRunAt: new Date(r.next_run_at!),
      frequency: r.frequency as Frequency,
      hour: r.hour,
      day: r.day,
      minute: scheduleStartMinute({ id: r.id, customerId: r.customer_id }),
    }));
  }

  async markStarted(id: number, nextRunAt: Date): Promise<void> {
    await this.db
      .updateTable('schedules')
      .set({ next_run_at: nextRunAt.toISOString() })
      .where('id', '=', id)
      .execute();
  }

  async markStartedMany(starts: Start[]): Promise<void> {
    if (starts.length === 0) return;
    // One statement for the whole batch, atomic by itself: an update per schedule, each compiled
    // and prepared anew, made a tick with 10,000 due take a second. SQLite's json_each turns the
    // one parameter back into rows.
    const rows = JSON.stringify(starts.map((s) => [s.id, s.nextRunAt.toISOString()]));
    if (this.deps.store.dialect === 'postgres') {
      // PostgreSQL's jsonb_array_elements does the same.
      await sql`update schedules set next_run_at = u.value->>1
        from jsonb_array_elements(${rows}::jsonb) as u
        where schedules.id = (u.value->>0)::integer`.execute(this.db);
      return;
    }
    await sql`update schedules set next_run_at = json_extract(u.value, '$[1]')
      from json_each(${rows}) as u
      where schedules.id = json_extract(u.value, '$[0]')`.execute(this.db);
  }

  private localForCustomer(raw: unknown): unknown {
    if (typeof raw !== 'object' || raw === null) return raw;
    const input = raw as { target?: { kind?: unknown } };
    if (input.target?.kind !== 'local') return raw;
    return { ...input, target: { kind: 'local', path: this.deps.localRepositoryDir } };
  }

  private validate(raw: unknown): ScheduleInput {
    const result = validateScheduleInput(raw);
    if (!result.ok) throw new ScheduleInputError(result.errors);
    return result.value;
  }

  private async enforcePackage(
    customer: Customer,
    input: ScheduleInput,
    mode: 'create' | 'update',
  ): Promise<void> {
    const pkg = await this.deps.customers.getPackage(customer.packageId);
    if (!pkg)
      throw new ScheduleInputError([
        {
          field: 'frequency',
          code: 'package.no_backups',
          message: 'Your hosting package does not include backups.',
        },
      ]);
    const count = await this.db
      .selectFrom('schedules')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('customer_id', '=', customer.id)
      .where('owner_kind', '=', 'customer')
      .executeTakeFirstOrThrow();
    const errors = checkPackageLimits(input, pkg, Number(count.n), mode);
    if (errors.length)
      throw new ScheduleInputError(
        errors.map(({ field, code, message, params }) => ({ field, code, message, params })),
      );
  }

  private async insert(
    viewer: Viewer,
    ownerKind: 'customer' | 'server',
    customerId: string | null,
    input: ScheduleInput,
    origin: TargetOrigin,
  ): Promise<ScheduleView> {
    const stamp = this.now();
    const id = await this.db.transaction().execute(async (trx) => {
      const targetId = await this.targets.create(
        {
          owner: ownerKind === 'server' ? 'server' : (customerId ?? 'server'),
          origin,
          target: input.target,
        },
        trx,
      );
      const row = await trx
        .insertInto('schedules')
        .values({
          owner_kind: ownerKind,
          customer_id: customerId,
          name: input.name,
          scope: input.scope,
          frequency: input.frequency,
          hour: input.hour,
          day: input.day,
          retention: input.retention,
          target_id: targetId,
          enabled: input.enabled ? 1 : 0,
          // Set below: a server-wide schedule's start minute needs its id.
          next_run_at: null,
          created_at: stamp.toISOString(),
          updated_at: stamp.toISOString(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (input.enabled)
        await trx
          .updateTable('schedules')
          .set({
            next_run_at: nextRun(
              timing({ id: row.id, customer_id: customerId }, input),
              stamp,
            ).toISOString(),
          })
          .where('id', '=', row.id)
          .execute();
      return row.id;
    });
    return this.get(viewer, id);
  }

  private view(
    viewer: Viewer,
    row: ScheduleRow,
    record: TargetRecord | DamagedTargetRecord,
    copy?: TargetRecord | DamagedTargetRecord,
  ): ScheduleView {
    const lastGood = row.last_success_at ?? row.created_at;
    return {
      id: row.id,
      ownerKind: row.owner_kind,
      customerId: row.customer_id,
      server: row.server_id,
      name: row.name,
      scope: row.scope,
      frequency: row.frequency,
      hour: row.hour,
      day: row.day,
      startMinute: scheduleStartMinute({ id: row.id, customerId: row.customer_id }),
      retention: row.retention,
      // Damaged settings show as their kind alone, for the form to take new ones.
      target: isDamaged(record)
        ? { kind: record.kind }
        : forViewer(viewer, publicTarget(record.target)),
      enabled: row.enabled === 1,
      nextRunAt: row.next_run_at,
      lastStatus: row.last_status,
      lastJobId: row.last_job_id,
      lastSuccessAt: row.last_success_at,
      overdue:
        row.enabled === 1 && isOverdue(new Date(lastGood), row.frequency as Frequency, this.now()),
      copy: copy
        ? {
            target: isDamaged(copy)
              ? { kind: copy.kind }
              : forViewer(viewer, publicTarget(copy.target)),
            retention: row.copy_retention ?? row.retention,
            lastStatus: row.copy_status,
            lastAt: row.copy_at,
          }
        : null,
    };
  }
}

/**
 * A customer's local target is the provider's directory on the server, which the customer neither
 * chooses nor needs: its path is the server's layout, shown to the provider only.
 */
function forViewer(viewer: Viewer, target: Record<string, unknown>): Record<string, unknown> {
  if (viewer.role !== 'customer' || target.kind !== 'local') return target;
  const { path: _path, ...rest } = target;
  return rest;
}

function visible(viewer: Viewer, row: ScheduleRow): boolean {
  return (
    viewer.role === 'admin' ||
    (row.owner_kind === 'customer' && row.customer_id === viewer.customerId)
  );
}

/** A schedule's timing as `input` sets it, at its owner's start minute. */
function timing(
  row: Pick<ScheduleRow, 'id' | 'customer_id'>,
  input: Pick<ScheduleInput, 'frequency' | 'hour' | 'day'>,
): Timing {
  return {
    frequency: input.frequency,
    hour: input.hour,
    day: input.day,
    minute: scheduleStartMinute({ id: row.id, customerId: row.customer_id }),
  };
}

/** Who chose a target entered by this viewer. */
function editorOf(viewer: Viewer): TargetOrigin {
  return viewer.role === 'admin' ? 'provider' : 'customer';
}

function serverOfOneCustomer(): HostvaultError {
  return new HostvaultError(
    'schedule.server_follows_customer',
    "Only an entire-server schedule names a server: one customer's schedule runs on that customer's server.",
    {
      fields: [
        {
          field: 'server',
          code: 'schedule.server_follows_customer',
          message:
            "Only an entire-server schedule names a server: one customer's schedule runs on that customer's server.",
        },
      ],
    },
  );
}
