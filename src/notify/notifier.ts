/**
 * Notifications: a failed backup (a successful one too when the settings ask), a failed restore,
 * and a schedule that has not succeeded for twice its interval. Every channel is tried; a channel
 * that fails is logged and never fails the job.
 *
 * Overdue schedules are found by a check every 15 minutes over the enabled schedules. Each
 * overdue episode is warned about once: the store remembers which last success the warning was
 * about (table overdue_warnings), so a restart or a second service process does not warn again,
 * and a success followed by a new overdue stretch does.
 */
import type { Customer } from '../inventory/schema.js';
import type { Frequency } from '../inventory/schema.js';
import { isOverdue } from '../schedule/next-run.js';
import type { TargetRecords } from '../repository/target-records.js';
import type { JobRow, ScheduleRow, Store } from '../store/index.js';
import { EmailChannel, redact, WebhookChannel, type Channel } from './channels.js';
import {
  buildEvent,
  jobInfo,
  scheduleInfo,
  type NotifyEvent,
  type NotifyEventName,
} from './message.js';
import type { NotifySettings } from './settings.js';

export const OVERDUE_CHECK_INTERVAL_MS = 15 * 60_000;

export interface NotifierOptions {
  store: Store;
  channels: Channel[];
  /** Also notify successful backups (HOSTVAULT_NOTIFY_ON_SUCCESS). */
  onSuccess?: boolean;
  customers: { getCustomer(id: string): Promise<Customer | undefined> };
  /** The kinds of schedules' targets, which notices name. */
  targets: Pick<TargetRecords, 'kinds'>;
  log: (line: string) => void;
  now?: () => Date;
  overdueCheckIntervalMs?: number;
  /**
   * An e-mail channel to one customer's contact address (the provider's SMTP settings), for the
   * notices customers get themselves: a backup the mass-change guard flagged. Absent: none.
   */
  customerChannel?: (address: string) => Channel;
}

/** The channels the settings configure: none, e-mail, webhook or both. */
export function channelsFrom(settings: NotifySettings): Channel[] {
  const channels: Channel[] = [];
  if (settings.smtp && settings.to.length > 0)
    channels.push(new EmailChannel(settings.smtp, settings.from, settings.to));
  if (settings.webhookUrl)
    channels.push(new WebhookChannel(settings.webhookUrl, settings.webhookSecret));
  return channels;
}

export class Notifier {
  private readonly pending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<NotifyEvent[]> | undefined;
  private readonly now: () => Date;

  constructor(private readonly opts: NotifierOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  get enabled(): boolean {
    return this.opts.channels.length > 0 || this.opts.customerChannel !== undefined;
  }

  /** The Worker's onFinished: returns at once; the sending is tracked for close(). */
  jobFinished(job: JobRow, status: 'successful' | 'failed' | 'canceled', error?: string): void {
    if (!this.enabled) return;
    this.track(
      this.handleJobFinished(job, status, error).then(
        () => undefined,
        (caught: unknown) =>
          this.log(`notification for job ${job.id} not sent: ${message(caught)}`),
      ),
    );
  }

  /** Builds and sends the notification for a finished job, if it deserves one. */
  async handleJobFinished(
    job: JobRow,
    status: 'successful' | 'failed' | 'canceled',
    error?: string,
  ): Promise<NotifyEvent | undefined> {
    if (!this.enabled) return undefined;
    // The row the worker holds is the one it claimed; the store has the outcome.
    const fresh = await this.opts.store.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', job.id)
      .executeTakeFirst();
    const row: JobRow = fresh ?? { ...job, status, error: error ?? job.error };
    const event =
      row.type === 'backup' && status === 'successful' && row.flag === 'mass_change'
        ? 'backup.mass_change'
        : eventFor(job.type, status, this.opts.onSuccess ?? false);
    if (!event) return undefined;
    const schedule = row.schedule_id == null ? undefined : await this.scheduleRow(row.schedule_id);
    const customerId = schedule ? schedule.customer_id : row.customer_id;
    const notification = buildEvent({
      event,
      now: this.now(),
      job: jobInfo(row),
      schedule: schedule ? await this.scheduleInfo(schedule) : null,
      customerId,
      customerName: await this.customerName(customerId),
      ...(event === 'backup.mass_change' ? { findings: guardFindings(row.log) } : {}),
    });
    await this.send(notification);
    // The customer hears of it too, at their own address: it is their files that changed.
    if (event === 'backup.mass_change' && customerId && this.opts.customerChannel) {
      const customer = await this.opts.customers.getCustomer(customerId).catch(() => undefined);
      if (customer?.contactEmail) {
        const channel = this.opts.customerChannel(customer.contactEmail);
        try {
          await channel.send(notification);
        } catch (caught) {
          this.log(
            redact(`backup.mass_change notification to the customer failed: ${message(caught)}`, [
              ...channel.secrets,
            ]),
          );
        } finally {
          channel.close?.();
        }
      }
    }
    return notification;
  }

  /**
   * Warns about enabled schedules that have not succeeded for twice their interval, once per
   * episode. Returns the warnings sent (tests, the CLI).
   */
  checkOverdue(): Promise<NotifyEvent[]> {
    if (!this.checking) {
      this.checking = this.runOverdueCheck().finally(() => {
        this.checking = undefined;
      });
    }
    return this.checking;
  }

  private async runOverdueCheck(): Promise<NotifyEvent[]> {
    if (!this.enabled) return [];
    const db = this.opts.store.db;
    const now = this.now();
    const rows = await db.selectFrom('schedules').selectAll().where('enabled', '=', 1).execute();
    const warned = new Map(
      (await db.selectFrom('overdue_warnings').selectAll().execute()).map((w) => [
        w.schedule_id,
        w.since,
      ]),
    );
    const overdue = new Set<number>();
    const sent: NotifyEvent[] = [];
    for (const row of rows) {
      const since = row.last_success_at ?? row.created_at;
      if (!isOverdue(new Date(since), row.frequency as Frequency, now)) continue;
      overdue.add(row.id);
      if (warned.get(row.id) === since) continue;
      // Claimed in the store: of two processes checking at once, one warns.
      const claimed = await db
        .insertInto('overdue_warnings')
        .values({ schedule_id: row.id, since, notified_at: now.toISOString() })
        .onConflict((oc) =>
          oc
            .column('schedule_id')
            .doUpdateSet((eb) => ({
              since: eb.ref('excluded.since'),
              notified_at: eb.ref('excluded.notified_at'),
            }))
            .where('overdue_warnings.since', '<>', since),
        )
        .returning('schedule_id')
        .executeTakeFirst();
      if (!claimed) continue;
      const latest =
        row.last_job_id == null
          ? undefined
          : await db
              .selectFrom('jobs')
              .selectAll()
              .where('id', '=', row.last_job_id)
              .executeTakeFirst();
      const notification = buildEvent({
        event: 'backup.overdue',
        now,
        job: latest ? jobInfo(latest) : null,
        schedule: await this.scheduleInfo(row),
        customerId: row.customer_id,
        customerName: await this.customerName(row.customer_id),
      });
      await this.send(notification);
      sent.push(notification);
    }
    // Episodes that ended (a success, the schedule disabled): the next overdue stretch warns again.
    for (const id of warned.keys()) {
      if (!overdue.has(id))
        await db.deleteFrom('overdue_warnings').where('schedule_id', '=', id).execute();
    }
    return sent;
  }

  /** Checks for overdue schedules now and every 15 minutes. */
  start(): void {
    if (this.timer || !this.enabled) return;
    const tick = () =>
      this.track(
        this.checkOverdue().then(
          () => undefined,
          (caught: unknown) => this.log(`overdue check failed: ${message(caught)}`),
        ),
      );
    this.timer = setInterval(tick, this.opts.overdueCheckIntervalMs ?? OVERDUE_CHECK_INTERVAL_MS);
    this.timer.unref();
    tick();
  }

  /** Waits for notifications being sent (each bounded by its channel's timeouts). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.idle();
    for (const channel of this.opts.channels) channel.close?.();
  }

  /** Sends to every channel; a failing channel is logged, without its secrets. */
  async send(event: NotifyEvent): Promise<void> {
    await Promise.all(
      this.opts.channels.map(async (channel) => {
        try {
          await channel.send(event);
        } catch (caught) {
          this.log(
            redact(`${event.event} notification by ${channel.name} failed: ${message(caught)}`, [
              ...channel.secrets,
            ]),
          );
        }
      }),
    );
  }

  private track(promise: Promise<void>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  private log(line: string): void {
    const secrets = this.opts.channels.flatMap((c) => c.secrets);
    this.opts.log(`notify: ${redact(line, secrets)}`);
  }

  private async scheduleInfo(row: ScheduleRow) {
    const kinds = await this.opts.targets.kinds(row.target_id === null ? [] : [row.target_id]);
    return scheduleInfo(row, (row.target_id !== null && kinds.get(row.target_id)) || 'unknown');
  }

  private scheduleRow(id: number): Promise<ScheduleRow | undefined> {
    return this.opts.store.db
      .selectFrom('schedules')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  private async customerName(id: string | null): Promise<string | null> {
    if (id === null) return null;
    const customer = await this.opts.customers.getCustomer(id).catch(() => undefined);
    return customer?.name ?? null;
  }
}

function eventFor(
  type: string,
  status: 'successful' | 'failed' | 'canceled',
  onSuccess: boolean,
): NotifyEventName | undefined {
  if (type === 'backup' && status === 'failed') return 'backup.failed';
  if (type === 'backup' && status === 'successful' && onSuccess) return 'backup.succeeded';
  if (type === 'restore' && status === 'failed') return 'restore.failed';
  if (type === 'drill' && status === 'failed') return 'drill.failed';
  if (type === 'copy' && status === 'failed') return 'copy.failed';
  return undefined;
}

/** The guard's lines of a job's log, without their prefix: what the notice tells. */
function guardFindings(log: string | null): string[] {
  const prefix = 'Mass-change guard: ';
  // A log line may carry a time stamp before the words.
  return (log ?? '')
    .split('\n')
    .filter((line) => line.includes(prefix))
    .map((line) => line.slice(line.indexOf(prefix) + prefix.length));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
