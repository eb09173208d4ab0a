/**
 * How a schedule reads in a table: "Sundays at 2:17 AM UTC (for you: Sundays at 3:17 AM CET)",
 * "S3: my-bucket". A weekly or monthly schedule's day is UTC's day, like its hour: where the
 * viewer's zone is not UTC, the same moment follows in the viewer's day and time.
 */
import type { Schedule } from '../api/types.js';
import { m } from '../messages/index.js';
import { formatClock, formatHour } from './format.js';

const DAY_MS = 86_400_000;

/** The next moment at or after `now` on UTC weekday `day` at hour:minute UTC. */
function nextWeekly(day: number, hour: number, minute: number, now: Date): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour, minute);
  const ahead = (day - now.getUTCDay() + 7) % 7;
  return new Date(today + ahead * DAY_MS);
}

/** This month's run: UTC day `day` (the last day in a shorter month) at hour:minute UTC. */
function thisMonth(day: number, hour: number, minute: number, now: Date): Date {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(day, last), hour, minute));
}

/** The viewer's calendar day at `at` against UTC's: -1, 0 or 1. */
function dayShift(at: Date): number {
  const local = Date.UTC(at.getFullYear(), at.getMonth(), at.getDate());
  const utc = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  return Math.round((local - utc) / DAY_MS);
}

/**
 * At the real start: the hour the schedule names and the minute its customer's backups start at
 * (the server spreads starts over the hour), so "Daily at 03:17 UTC" and Next run agree.
 */
export function describeWhen(
  s: Pick<Schedule, 'frequency' | 'hour' | 'day' | 'startMinute'>,
  now = new Date(),
): string {
  const minute = String(s.startMinute).padStart(2, '0');
  // The language's clock, as every local time on the page shows it ("2:17 AM", "02:17").
  const hour = formatHour(s.hour, s.startMinute);
  switch (s.frequency) {
    case 'hourly':
      return m.when.hourly(minute);
    case 'daily':
      return m.when.daily(hour);
    case 'weekly': {
      const text = m.when.weekly(m.weekdaysPlural[s.day ?? 0] ?? '', hour);
      const at = nextWeekly(s.day ?? 0, s.hour, s.startMinute, now);
      if (at.getTimezoneOffset() === 0) return text;
      const local = m.when.localWeekly(m.weekdaysPlural[at.getDay()] ?? '', formatClock(at));
      return `${text} (${m.when.local(local)})`;
    }
    case 'monthly': {
      const text = m.when.monthly(s.day ?? 1, hour);
      const at = thisMonth(s.day ?? 1, s.hour, s.startMinute, now);
      if (at.getTimezoneOffset() === 0) return text;
      const local = m.when.localMonthly(dayShift(at), s.day ?? 1, formatClock(at));
      return `${text} (${m.when.local(local)})`;
    }
  }
}

export function describeTarget(target: Schedule['target']): string {
  if (target.kind === 's3') return m.target.s3Summary(String(target.bucket ?? ''));
  if (target.kind === 'ftp') return m.target.ftpSummary(String(target.host ?? ''));
  if (target.kind === 'vault') return m.target.vaultSummary(String(target.url ?? ''));
  return m.target.localSummary;
}
