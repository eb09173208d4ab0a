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
 *
 * **The start minute.** Every slot above is shifted by the schedule's `minute` (0–59): a daily
 * schedule at hour 2 with minute 17 runs at 02:17. The service gives each owner a stable minute
 * (`startMinute`, a hash of the customer's id), so that a fleet where 100,000 schedules were left
 * at the default 02:00 starts about 1,700 per minute over the hour instead of 100,000 at once,
 * and targets and hosting servers are not all hit in the same minute.
 * Every schedule is spread, not only those at the default hour: the store cannot tell "left at
 * the default" from "picked 02:00", a provider's panel may preset another hour for everyone, and
 * one rule reads simpler ("your backups start at minute 17 of the hour you pick"). The hour a
 * customer picks still holds: the start stays within it, and the API and the Schedules tab show
 * the real start ("Daily at 03:17 UTC", next run 03:17), never a time the scheduler will not
 * keep.
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
  /** Minute of the hour the slots start at, 0–59 (default 0); see startMinute. */
  minute?: number;
}

/** Minutes in the hour over which startMinute spreads the owners. */
export const START_MINUTES = 60;

/**
 * The minute of the hour at which an owner's schedules start: deterministic (the same on every
 * server and after every restart, nothing stored) and near uniform over 0–59 for any set of ids.
 * FNV-1a over the id's UTF-16 code units, then murmur3's finalizer: FNV alone leaves short ids
 * that differ in their last characters ("c1", "c2", …) close together in the low bits that the
 * modulo keeps.
 */
export function startMinute(ownerKey: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ownerKey.length; i++) {
    h ^= ownerKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % START_MINUTES;
}

/**
 * Whose minute a schedule takes: its customer's (a customer's own schedules and a server-wide
 * schedule of one customer alike, so one customer's backups start together); a server-wide
 * schedule of every customer has no customer and takes one of its own, from its id.
 */
export function scheduleStartMinute(schedule: { id: number; customerId: string | null }): number {
  return startMinute(
    schedule.customerId === null ? `server-schedule:${schedule.id}` : schedule.customerId,
  );
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
  const minute = schedule.minute ?? 0;
  checkInteger('minute', minute, 0, START_MINUTES - 1);
  if (minute === 0) return onTheHour(schedule, after);
  // Every slot moves by the same minutes, none across a day (the slots are whole hours): the
  // first shifted slot after t is the first whole-hour slot after t − minute, shifted.
  const shift = minute * 60_000;
  return new Date(onTheHour(schedule, new Date(after.getTime() - shift)).getTime() + shift);
}

function onTheHour(schedule: Timing, after: Date): Date {
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
