/**
 * What a notification says: one event with the job and schedule it is about, as the webhook's JSON
 * and as a plain-words e-mail (no links: the reader may be on a phone, and a link in a backup alert
 * is what phishing looks like).
 */
import { oneLine } from '../control-characters.js';
import type { Frequency } from '../inventory/schema.js';
import { INTERVAL_MS, scheduleStartMinute } from '../schedule/next-run.js';
import { WEEKDAY_NAMES } from '../schedule/schedule-schema.js';
import { SCOPE_LABELS, type Scope } from '../scope/scope.js';
import type { JobRow, ScheduleRow } from '../store/index.js';

export type NotifyEventName =
  | 'backup.failed'
  | 'backup.succeeded'
  | 'backup.overdue'
  | 'backup.mass_change'
  | 'restore.failed'
  | 'drill.failed'
  | 'copy.failed';

export interface JobInfo {
  id: number;
  type: string;
  status: string;
  trigger: string;
  scheduleName: string | null;
  scope: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  snapshotId: string | null;
  bytesAdded: number | null;
  bytesProcessed: number | null;
}

/** A schedule without its target: the target may hold credentials. */
export interface ScheduleInfo {
  id: number;
  name: string;
  ownerKind: 'customer' | 'server';
  customerId: string | null;
  scope: string;
  frequency: string;
  hour: number;
  day: number | null;
  /** Minute of the hour its runs start at (src/schedule/next-run.ts, startMinute). */
  startMinute: number;
  enabled: boolean;
  targetKind: string;
  createdAt: string;
  nextRunAt: string | null;
  lastStatus: string | null;
  lastSuccessAt: string | null;
}

/** The webhook's body. */
export interface NotifyEvent {
  event: NotifyEventName;
  /** When the event was raised (ISO 8601, UTC). */
  time: string;
  /** The customer the job or schedule is about; null for the entire server. */
  customerId: string | null;
  customerName: string | null;
  /** The job that finished; for an overdue schedule, its latest job (if any). */
  job: JobInfo | null;
  schedule: ScheduleInfo | null;
  /** backup.mass_change: what the guard found, in plain words (the job log's guard lines). */
  findings?: string[];
  /** The e-mail's subject line: a one-line summary for chat webhooks. */
  text: string;
}

export function jobInfo(row: JobRow): JobInfo {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    trigger: row.trigger,
    scheduleName: row.schedule_name,
    scope: row.scope,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
    snapshotId: row.snapshot_id,
    bytesAdded: row.bytes_added,
    bytesProcessed: row.bytes_processed,
  };
}

/** `targetKind`: the kind of the schedule's target record (the record itself holds credentials). */
export function scheduleInfo(row: ScheduleRow, targetKind: string): ScheduleInfo {
  return {
    id: row.id,
    name: row.name,
    ownerKind: row.owner_kind,
    customerId: row.customer_id,
    scope: row.scope,
    frequency: row.frequency,
    hour: row.hour,
    day: row.day,
    startMinute: scheduleStartMinute({ id: row.id, customerId: row.customer_id }),
    enabled: row.enabled === 1,
    targetKind,
    createdAt: row.created_at,
    nextRunAt: row.next_run_at,
    lastStatus: row.last_status,
    lastSuccessAt: row.last_success_at,
  };
}

export function buildEvent(opts: {
  event: NotifyEventName;
  now: Date;
  job: JobInfo | null;
  schedule: ScheduleInfo | null;
  customerId: string | null;
  customerName: string | null;
  findings?: string[];
}): NotifyEvent {
  const partial = { ...opts, time: opts.now.toISOString() };
  return {
    event: opts.event,
    time: partial.time,
    customerId: opts.customerId,
    customerName: opts.customerName,
    job: opts.job,
    schedule: opts.schedule,
    ...(opts.findings ? { findings: opts.findings.map(oneLine) } : {}),
    text: subjectOf(partial),
  };
}

type EventParts = Omit<NotifyEvent, 'text'>;

/**
 * The subject line, on one line whatever the names hold: schedule and customer names are
 * validated where they enter, and this keeps a name stored before that check from adding a
 * header of its own.
 */
export function subjectOf(e: EventParts): string {
  return oneLine(summaryOf(e));
}

function summaryOf(e: EventParts): string {
  const name = e.schedule?.name ?? e.job?.scheduleName ?? 'backup';
  const who = whoOf(e);
  switch (e.event) {
    case 'backup.failed':
      return `Backup failed: "${name}" for ${who}`;
    case 'backup.succeeded':
      return `Backup succeeded: "${name}" for ${who}`;
    case 'backup.overdue':
      return `Backup overdue: "${name}" for ${who} has not succeeded for ${twice(e.schedule?.frequency)}`;
    case 'backup.mass_change':
      return `Warning: backup "${name}" for ${who} found many files changed or encrypted at once`;
    case 'restore.failed':
      return `Restore failed for ${who}`;
    case 'drill.failed':
      return `Restore drill failed: ${name}`;
    case 'copy.failed':
      return `Second copy failed: "${name}" for ${who}`;
  }
}

/** The e-mail body: what happened, what it was about, and where to read more on the server. */
export function bodyOf(e: NotifyEvent): string {
  // Names on one line here too, so a stored one cannot forge lines of the mail.
  const name = oneLine(e.schedule?.name ?? e.job?.scheduleName ?? 'backup');
  const who = oneLine(whoOf(e));
  const lines: string[] = [];
  switch (e.event) {
    case 'backup.failed':
      lines.push(`The backup "${name}" for ${who} failed.`, '');
      lines.push(`What went wrong: ${e.job?.error ?? 'no reason was recorded.'}`, '');
      break;
    case 'backup.succeeded':
      lines.push(`The backup "${name}" for ${who} finished successfully.`, '');
      break;
    case 'backup.overdue':
      lines.push(
        `The backup "${name}" for ${who} has not succeeded for more than ${twice(e.schedule?.frequency)}.`,
        '',
      );
      break;
    case 'backup.mass_change':
      lines.push(
        `The backup "${name}" for ${who} found an unusual share of files changed, deleted or encrypted at once.`,
        'This is what ransomware does. If nobody meant to make these changes, restore from a snapshot before this backup.',
        'The snapshots before it are held for 30 days: no retention or deletion removes them.',
        '',
      );
      for (const finding of e.findings ?? []) lines.push(`- ${finding}`);
      if (e.findings?.length) lines.push('');
      break;
    case 'restore.failed':
      lines.push(`A restore for ${who} failed.`, '');
      lines.push(`What went wrong: ${e.job?.error ?? 'no reason was recorded.'}`, '');
      break;
    case 'drill.failed':
      lines.push(
        `The restore drill "${name}" found that a backup does not restore as recorded.`,
        '',
      );
      lines.push(`What differs: ${e.job?.error ?? 'no reason was recorded.'}`, '');
      break;
    case 'copy.failed':
      lines.push(
        `The second copy of the backup "${name}" for ${who} failed. The backup itself is on its first target.`,
        '',
      );
      lines.push(`What went wrong: ${e.job?.error ?? 'no reason was recorded.'}`, '');
      break;
  }
  const rows: [string, string | null | undefined][] = [];
  if (e.schedule) {
    rows.push(['Schedule', `${name} (${describeSchedule(e.schedule)})`]);
  } else if (e.job?.scheduleName) {
    rows.push([e.job.type === 'restore' ? 'Restore' : 'Schedule', name]);
  }
  rows.push(['Customer', oneLine(customerLine(e))]);
  if (e.event === 'backup.overdue' && e.schedule) {
    rows.push([
      'Last success',
      e.schedule.lastSuccessAt
        ? formatTime(e.schedule.lastSuccessAt)
        : `never (schedule created ${formatTime(e.schedule.createdAt)})`,
    ]);
    if (e.job) {
      rows.push([
        'Latest job',
        `${e.job.id}, ${e.job.status}${e.job.error ? `: ${e.job.error}` : ''}`,
      ]);
    }
    rows.push(['Next run', e.schedule.nextRunAt ? formatTime(e.schedule.nextRunAt) : null]);
  } else if (e.job) {
    rows.push(['Started', formatTime(e.job.startedAt ?? e.job.createdAt)]);
    rows.push(['Finished', e.job.finishedAt ? formatTime(e.job.finishedAt) : null]);
    rows.push(['Job', `${e.job.id} (${triggerLabel(e.job.trigger)})`]);
    if (e.job.snapshotId && e.event === 'backup.succeeded')
      rows.push(['Snapshot', e.job.snapshotId]);
  }
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  for (const [label, value] of rows) {
    if (value) lines.push(`${`${label}:`.padEnd(width)}${value}`);
  }
  lines.push('');
  if (e.job)
    lines.push(
      `The job's log is on the Backups page (History), or on the server: hostvault jobs show ${e.job.id}`,
    );
  else if (e.schedule)
    lines.push(
      `The schedule's jobs are on the Backups page (History), or on the server: hostvault jobs list${e.customerId ? ` --customer ${e.customerId}` : ''}`,
    );
  lines.push('', '-- ', 'hostvault, the backup service of your hosting server');
  return lines.join('\n') + '\n';
}

function whoOf(e: Pick<EventParts, 'customerId' | 'customerName'>): string {
  if (e.customerId === null) return 'the entire server';
  return e.customerName && e.customerName !== e.customerId
    ? `customer ${e.customerName} (${e.customerId})`
    : `customer ${e.customerId}`;
}

function customerLine(e: EventParts): string {
  if (e.customerId === null) return 'every customer (entire server)';
  return e.customerName && e.customerName !== e.customerId
    ? `${e.customerName} (${e.customerId})`
    : e.customerId;
}

function triggerLabel(trigger: string): string {
  if (trigger === 'schedule') return 'started by its schedule';
  if (trigger === 'manual') return 'started by hand';
  return trigger;
}

/** "daily at 02:00 UTC, Web, local target". */
export function describeSchedule(s: ScheduleInfo): string {
  return `${describeTiming(s)}, ${s.targetKind} target`;
}

/** "daily at 02:17 UTC, Web". */
export function describeTiming(
  s: Pick<ScheduleInfo, 'frequency' | 'hour' | 'day' | 'scope' | 'startMinute'>,
): string {
  const minute = String(s.startMinute).padStart(2, '0');
  const at = `${String(s.hour).padStart(2, '0')}:${minute} UTC`;
  const when =
    s.frequency === 'hourly'
      ? `every hour at minute ${minute}`
      : s.frequency === 'daily'
        ? `daily at ${at}`
        : s.frequency === 'weekly'
          ? `weekly on ${WEEKDAY_NAMES[s.day ?? 0] ?? `day ${s.day}`} at ${at}`
          : `monthly on day ${s.day ?? 1} at ${at}`;
  const scope = SCOPE_LABELS[s.scope as Scope] ?? s.scope;
  return `${when}, ${scope}`;
}

/** Twice a frequency's interval, in words: "2 days". */
function twice(frequency: string | undefined): string {
  const ms = 2 * (INTERVAL_MS[frequency as Frequency] ?? INTERVAL_MS.daily);
  const hours = ms / 3_600_000;
  if (hours < 48) return `${hours} hours`;
  const days = hours / 24;
  return days % 7 === 0 ? `${days / 7} weeks` : `${days} days`;
}

/** "2025-03-10 02:00:04 UTC". */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
