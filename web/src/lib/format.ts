/**
 * Dates, durations and sizes in the viewer's words: local time labelled with its zone ("Today,
 * 3:00 AM CET"), short durations ("2 min 5 s") and sizes in decimal units as file managers show
 * them.
 *
 * The one rule for times: a schedule's hour is in UTC and says so ("Daily at 2:17 AM UTC");
 * every other time is the viewer's and carries the viewer's zone. Each language has one clock:
 * the locale's (12-hour for en-US, 24-hour for de-DE), the same for UTC hours and local times.
 */
import { m } from '../messages/index.js';

/** Formatters per locale, made on first use: the language can change while the page is open. */
const formatters = new Map<string, ReturnType<typeof makeFormatters>>();

function makeFormatters(locale: string) {
  const date = { year: 'numeric', month: 'short', day: 'numeric' } as const;
  // English writes "3:00 AM"; German (and most 24-hour locales) "03:00".
  const hour = locale.startsWith('en') ? 'numeric' : '2-digit';
  // Local times carry their zone ("3:00 AM CET", "03:00 MEZ"): a schedule's hour next to them
  // is in UTC, and neither may be mistaken for the other.
  const zone = { timeZoneName: 'short' } as const;
  return {
    time: new Intl.DateTimeFormat(locale, { hour, minute: '2-digit', ...zone }),
    /** A clock time without a zone, for a caller that names the zone itself. */
    clock: new Intl.DateTimeFormat(locale, { hour, minute: '2-digit' }),
    /** A UTC hour in the same clock as local times ("2:17 AM", "02:17"). */
    utcClock: new Intl.DateTimeFormat(locale, { hour, minute: '2-digit', timeZone: 'UTC' }),
    dateTime: new Intl.DateTimeFormat(locale, { ...date, hour, minute: '2-digit', ...zone }),
    dateTimeSeconds: new Intl.DateTimeFormat(locale, {
      ...date,
      hour,
      minute: '2-digit',
      second: '2-digit',
      ...zone,
    }),
    seconds: new Intl.DateTimeFormat(locale, { hour, minute: '2-digit', second: '2-digit' }),
    number: new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }),
  };
}

function f(): ReturnType<typeof makeFormatters> {
  let made = formatters.get(m.locale);
  if (!made) {
    made = makeFormatters(m.locale);
    formatters.set(m.locale, made);
  }
  return made;
}

function dayDiff(date: Date, now: Date): number {
  const start = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  return Math.round((start(date) - start(now)) / 86_400_000);
}

/** "Today, 3:00 AM", "Yesterday, 11:15 PM", "Tomorrow, 2:00 AM", then the date and time. */
export function formatWhen(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return m.common.none;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const diff = dayDiff(date, now);
  if (diff === 0) return m.dates.today(f().time.format(date));
  if (diff === -1) return m.dates.yesterday(f().time.format(date));
  if (diff === 1) return m.dates.tomorrow(f().time.format(date));
  return f().dateTime.format(date);
}

/** Full local date and time with seconds, for the detail view. */
export function formatExact(iso: string | null | undefined): string {
  if (!iso) return m.common.none;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : f().dateTimeSeconds.format(date);
}

export function formatClock(date: Date): string {
  return f().time.format(date);
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0)
    return m.common.none;
  const s = Math.round(seconds);
  if (s < 60) return m.units.seconds(s);
  if (s < 3600) return m.units.minutes(Math.floor(s / 60), s % 60);
  return m.units.hours(Math.floor(s / 3600), Math.floor((s % 3600) / 60));
}

export function durationBetween(start: string | null, end: string | null): number | null {
  if (!start || !end) return null;
  return (new Date(end).getTime() - new Date(start).getTime()) / 1000;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return m.common.none;
  const units = m.units.bytes;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? String(value) : f().number.format(value)} ${units[unit]}`;
}

export function formatPercent(percent: number): string {
  return f().number.format(Math.max(0, Math.min(100, percent)));
}

/**
 * A UTC clock time in the language's clock ("2:00 AM", "02:00"), without the zone: the schedule
 * texts and the hour field say "UTC" themselves.
 */
export function formatHour(hour: number, minute = 0): string {
  return f().utcClock.format(new Date(Date.UTC(2000, 0, 1, hour, minute)));
}

/** A local time of day with seconds and without the zone, for log lines under a zone heading. */
export function formatLogTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : f().seconds.format(date);
}

/** The viewer's time zone by its IANA name ("Europe/Berlin"), for the time zone rule. */
export function viewerTimeZone(): string {
  return f().time.resolvedOptions().timeZone;
}

/** The viewer's local clock time at `hour` UTC today, with its zone, for the hour field. */
export function localTimeOfUtcHour(hour: number, now = new Date()): string {
  const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour));
  return f().time.format(at);
}
