/**
 * When a schedule runs next, in UTC (so daylight saving time never shifts, skips or repeats a run).
 *
 * - hourly: minute 0 of every hour; `hour` and `day` are ignored.
 * - daily: every day at `hour`:00.
 * - weekly: on weekday `day` (0 = Sunday … 6 = Saturday; default 0) at `hour`:00.
 * - monthly: on day of month `day` (1–31; default 1) at `hour`:00; a month without that day (the
 *   31st in April, the 29th–31st in February) runs on its last day.
 *
 * The result is always strictly after `after`, so a run at exactly 02:00:00.000 schedules the next
 * one, not itself again.
 */
import type { Frequency } from '../inventory/schema.js';

/** Hour (UTC) when a schedule gives none. */
export const DEFAULT_HOUR = 2;
/** Weekday when a weekly schedule gives none: 0 = Sunday. */
export const DEFAULT_WEEKDAY = 0;
/** Day of the month when a monthly schedule gives none. */
export const DEFAULT_MONTH_DAY = 1;

export interface Timing {
  frequency: Frequency;
  /** 0–23, UTC. */
  hour: number;
  /** Weekday (weekly) or day of month (monthly); ignored otherwise. */
  day?: number | null;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The nominal interval of each frequency, for the "has not succeeded for twice its interval"
 * warning. A month counts as 31 days, the longest gap between two monthly runs (a 31st schedule
 * runs Jan 31 → Feb 28 → Mar 31: 28 and 31 days), so a monthly schedule never warns early.
 */
export const INTERVAL_MS: Readonly<Record<Frequency, number>> = {
  hourly: HOUR_MS,
  daily: DAY_MS,
  weekly: 7 * DAY_MS,
  monthly: 31 * DAY_MS,
};

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

const daysInMonth = (year: number, month: number): number =>
  new Date(Date.UTC(year, month + 1, 0)).getUTCDate();

export function nextRun(schedule: Timing, after: Date): Date {
  const t = after.getTime();
  if (!Number.isFinite(t)) throw new RangeError('nextRun: invalid date');
  const { frequency } = schedule;

  if (frequency === 'hourly') {
    return new Date(Math.floor(t / HOUR_MS) * HOUR_MS + HOUR_MS);
  }

  checkInteger('hour', schedule.hour, 0, 23);
  const { hour } = schedule;
  const y = after.getUTCFullYear();
  const m = after.getUTCMonth();
  const d = after.getUTCDate();

  switch (frequency) {
    case 'daily': {
      const today = Date.UTC(y, m, d, hour);
      return new Date(today > t ? today : Date.UTC(y, m, d + 1, hour));
    }
    case 'weekly': {
      const weekday = schedule.day ?? DEFAULT_WEEKDAY;
      checkInteger('day (weekday)', weekday, 0, 6);
      const ahead = (weekday - after.getUTCDay() + 7) % 7;
      const candidate = Date.UTC(y, m, d + ahead, hour);
      return new Date(candidate > t ? candidate : Date.UTC(y, m, d + ahead + 7, hour));
    }
    case 'monthly': {
      const monthDay = schedule.day ?? DEFAULT_MONTH_DAY;
      checkInteger('day (day of month)', monthDay, 1, 31);
      const inMonth = (year: number, month: number): number =>
        Date.UTC(year, month, Math.min(monthDay, daysInMonth(year, month)), hour);
      const candidate = inMonth(y, m);
      if (candidate > t) return new Date(candidate);
      // Date.UTC and daysInMonth both carry month 12 into January of the next year.
      const next = new Date(Date.UTC(y, m + 1, 1));
      return new Date(inMonth(next.getUTCFullYear(), next.getUTCMonth()));
    }
    default: {
      const never: never = frequency;
      throw new RangeError(`unknown frequency ${String(never)}`);
    }
  }
}

/**
 * True when a schedule has gone more than twice its interval (INTERVAL_MS) without a successful
 * backup: for a daily schedule, 48 hours after the last success, i.e. two runs in a row missed or
 * failed. For a schedule that never succeeded, pass the time it was created (or last enabled).
 * Disabled schedules should not be asked.
 */
export function isOverdue(lastSuccessAt: Date, frequency: Frequency, now: Date): boolean {
  return now.getTime() - lastSuccessAt.getTime() > 2 * INTERVAL_MS[frequency];
}
