/**
 * Dates, durations and sizes in the viewer's words: local time ("Today, 3:00 AM"), short
 * durations ("2 min 5 s") and sizes in decimal units as file managers show them.
 */
import { m } from '../messages';

/** Formatters per locale, made on first use: the language can change while the page is open. */
const formatters = new Map<string, ReturnType<typeof makeFormatters>>();

function makeFormatters(locale: string) {
  const date = { year: 'numeric', month: 'short', day: 'numeric' } as const;
  // English writes "3:00 AM"; German (and most 24-hour locales) "03:00".
  const hour = locale.startsWith('en') ? 'numeric' : '2-digit';
  return {
    time: new Intl.DateTimeFormat(locale, { hour, minute: '2-digit' }),
    dateTime: new Intl.DateTimeFormat(locale, { ...date, hour, minute: '2-digit' }),
    dateTimeSeconds: new Intl.DateTimeFormat(locale, {
      ...date,
      hour,
      minute: '2-digit',
      second: '2-digit',
    }),
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

/** "02:00" for an hour in UTC, as the schedule form labels it. */
export function formatHour(hour: number): string {
  return `${String(hour).padStart(2, '0')}:00`;
}

/** The viewer's local clock time at `hour` UTC today, for the hour field's description. */
/** The viewer's time zone by its IANA name ("Europe/Berlin"), for the time zone rule. */
export function viewerTimeZone(): string {
  return f().time.resolvedOptions().timeZone;
}

export function localTimeOfUtcHour(hour: number, now = new Date()): string {
  const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour));
  return f().time.format(at);
}
