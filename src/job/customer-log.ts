/**
 * A job's log as its customer reads it: steps by code and params, which the web UI words from
 * its catalog (so German works too) and the API words in English for other clients. The raw log
 * (restic's lines, staging folders, timings of the swap, server paths) stays the provider's.
 *
 * It is read from what the job recorded: the raw log's lines that mark a step the customer
 * cares about (an allow-list: a line not recognised here is never shown), the job's statistics
 * for the numbers, and its params for what a restore restores, the file named under the
 * customer's areas ("Web files/robots.txt"). Times are full ISO 8601 (UTC), so the page shows
 * them in the viewer's time zone.
 */
import type { JobRow } from '../store/index.js';
import { restoreJobParams } from './job-params.js';

export const CUSTOMER_LOG_CODES = [
  'job.started',
  'job.finished',
  'job.failed',
  'job.canceled',
  'job.recovered',
  'backup.dumping',
  'backup.parent',
  'backup.summary',
  'backup.unreadable',
  'backup.retention',
  'restore.web',
  'restore.file',
  'restore.database',
  'restore.mailbox',
  'restore.safety',
  'restore.undo',
  'restore.partial',
  'restore.verified',
  'restore.recoveredDatabase',
  'restore.rolledBackDatabase',
] as const;

export type CustomerLogCode = (typeof CUSTOMER_LOG_CODES)[number];

export interface CustomerLogLine {
  /** ISO 8601, UTC. */
  at: string;
  code: CustomerLogCode;
  params: Record<string, string | number>;
}

type Row = Pick<
  JobRow,
  'id' | 'type' | 'status' | 'log' | 'stats' | 'params' | 'error' | 'started_at' | 'created_at'
>;

/** One backup run's numbers, as the backup job stores them in `stats` (one per customer). */
interface RunStats {
  filesNew?: number;
  filesChanged?: number;
  filesUnmodified?: number;
  totalFilesProcessed?: number;
  totalBytesProcessed?: number;
  dataAdded?: number;
  totalDuration?: number;
}

const STAMPED = /^(\d\d):(\d\d):(\d\d) (.*)$/;

export function customerLog(row: Row): CustomerLogLine[] {
  const lines: CustomerLogLine[] = [];
  const stats = runStats(row.stats);
  let summaries = 0;
  const restore = row.type === 'restore' ? restoreOf(row) : undefined;
  const clock = dayClock(row.started_at ?? row.created_at);
  const add = (at: string, code: CustomerLogCode, params: CustomerLogLine['params'] = {}) =>
    lines.push({ at, code, params });

  for (const raw of (row.log ?? '').split('\n')) {
    const stamped = STAMPED.exec(raw);
    if (!stamped) continue;
    const at = clock(Number(stamped[1]), Number(stamped[2]), Number(stamped[3]));
    const line = stamped[4] ?? '';
    let match: RegExpExecArray | null;
    if (/^(Backup|Restore|Maintenance) started$/.test(line)) {
      add(at, 'job.started', { type: row.type });
    } else if (/^(Backup|Restore|Maintenance) finished successfully$/.test(line)) {
      add(at, 'job.finished', { type: row.type });
    } else if (line === 'Canceled') {
      add(at, 'job.canceled', { type: row.type });
    } else if (line.startsWith('Failed: ')) {
      // The job's error is its message in plain words (HostvaultError), never restic's output.
      add(at, 'job.failed', { type: row.type, error: row.error ?? '' });
    } else if ((match = /^Dumping (\d+) database\(s\): (.*)$/.exec(line))) {
      add(at, 'backup.dumping', { count: Number(match[1]), names: match[2] ?? '' });
    } else if (/^Parent snapshot [0-9a-f]+: unchanged files are not read again$/.test(line)) {
      add(at, 'backup.parent');
    } else if (line.startsWith('Files: ')) {
      const s = stats[summaries++] ?? {};
      add(at, 'backup.summary', {
        filesNew: s.filesNew ?? 0,
        filesChanged: s.filesChanged ?? 0,
        filesUnmodified: s.filesUnmodified ?? 0,
        files: s.totalFilesProcessed ?? 0,
        bytes: s.totalBytesProcessed ?? 0,
        added: s.dataAdded ?? 0,
        seconds: Math.round((s.totalDuration ?? 0) * 10) / 10,
      });
    } else if ((match = /^Warning: (\d+) file\(s\) could not be read/.exec(line))) {
      add(at, 'backup.unreadable', { count: Number(match[1]) });
    } else if ((match = /^Retention: forgot (\d+) snapshot\(s\) beyond (\d+)$/.exec(line))) {
      add(at, 'backup.retention', { count: Number(match[1]), keep: Number(match[2]) });
    } else if (line.startsWith('Restoring web files into ')) {
      add(at, 'restore.web');
    } else if ((match = /^Restoring database (\S+)$/.exec(line))) {
      add(at, 'restore.database', { name: match[1] ?? '' });
    } else if ((match = /^Restoring mailbox (\S+?)(, keeping newer mail)?$/.exec(line))) {
      add(at, 'restore.mailbox', { address: match[1] ?? '', keepNewer: match[2] ? 1 : 0 });
    } else if (line.startsWith('Restoring /') && restore) {
      // Named as the customer knows it; a restore queued before that was recorded by its name.
      add(at, 'restore.file', { path: restore.shownPath ?? baseName(restore.request.path) });
    } else if (/^safety snapshot [0-9a-f]+ holds /.test(line)) {
      add(at, 'restore.safety');
    } else if (line.startsWith('To undo this restore: ')) {
      add(at, 'restore.undo', { restoreJobId: row.id });
    } else if (line.startsWith('The restore stopped part way')) {
      add(at, 'restore.partial');
    } else if (
      /^(Backup|Restore|Maintenance) completed when the service started again$/.test(line)
    ) {
      add(at, 'job.recovered', { type: row.type });
    } else if (
      (match = /^(\S+): (\d+) table\(s\) match the checksums recorded at backup time/.exec(line))
    ) {
      add(at, 'restore.verified', { name: match[1] ?? '', tables: Number(match[2]) });
    } else if (
      (match = /^Database (\S+) was restored completely when the service started again\./.exec(
        line,
      ))
    ) {
      add(at, 'restore.recoveredDatabase', { name: match[1] ?? '' });
    } else if ((match = /^Database (\S+) was left as it was before the restore\./.exec(line))) {
      add(at, 'restore.rolledBackDatabase', { name: match[1] ?? '' });
    }
  }
  return lines;
}

/** The customer's log in English words, for API clients that read `log` as text. */
export function customerLogText(lines: readonly CustomerLogLine[]): string {
  return lines.map((l) => `${l.at.slice(11, 19)} ${englishLine(l)}\n`).join('');
}

const TYPE: Record<string, string> = {
  backup: 'Backup',
  restore: 'Restore',
  maintenance: 'Maintenance',
};

function englishLine({ code, params: p }: CustomerLogLine): string {
  const type = TYPE[String(p.type)] ?? 'Job';
  switch (code) {
    case 'job.started':
      return `${type} started`;
    case 'job.finished':
      return `${type} finished successfully`;
    case 'job.failed':
      return `${type} failed: ${String(p.error)}`;
    case 'job.canceled':
      return `${type} was canceled`;
    case 'job.recovered':
      return `${type} completed when the service started again`;
    case 'backup.dumping':
      return `Saving ${p.count} database(s): ${String(p.names)}`;
    case 'backup.parent':
      return 'Files unchanged since the last backup are not read again';
    case 'backup.summary':
      return `Files: ${p.filesNew} new, ${p.filesChanged} changed, ${p.filesUnmodified} unchanged, ${p.files} in all (${size(Number(p.bytes))}); ${size(Number(p.added))} added to the backup storage in ${p.seconds} s`;
    case 'backup.unreadable':
      return `${p.count} file(s) could not be read and are not in this backup`;
    case 'backup.retention':
      return `Removed ${p.count} old snapshot(s); the newest ${p.keep} are kept`;
    case 'restore.web':
      return 'Restoring your web files';
    case 'restore.file':
      return `Restoring ${String(p.path)}`;
    case 'restore.database':
      return `Restoring database ${String(p.name)}`;
    case 'restore.mailbox':
      return `Restoring mailbox ${String(p.address)}`;
    case 'restore.safety':
      return 'Saved a copy of the current data before overwriting it';
    case 'restore.undo':
      return `To undo this restore, restore "Safety copy before restore #${p.restoreJobId}" on the Restore tab`;
    case 'restore.partial':
      return 'The restore stopped part way';
    case 'restore.verified':
      return `${String(p.name)}: ${p.tables} table(s) match the checksums recorded at backup time`;
    case 'restore.recoveredDatabase':
      return `Database ${String(p.name)} was restored completely when the service started again.`;
    case 'restore.rolledBackDatabase':
      return `Database ${String(p.name)} was left as it was before the restore.`;
  }
}

/** Sizes in decimal units, as the page shows them ("85.3 MB"). */
export function size(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function baseName(path: string | undefined): string {
  return (path ?? '').slice((path ?? '').lastIndexOf('/') + 1);
}

function restoreOf(row: Row): ReturnType<typeof restoreJobParams> | undefined {
  try {
    return restoreJobParams(row);
  } catch {
    return undefined;
  }
}

function runStats(text: string | null): RunStats[] {
  if (text === null) return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? (parsed as RunStats[]) : [];
  } catch {
    return [];
  }
}

/**
 * The raw log stamps lines with the UTC time of day only; the day is the job's start, and a time
 * earlier than the line before means the job ran past midnight.
 */
function dayClock(start: string): (h: number, m: number, s: number) => string {
  const first = new Date(start);
  let day = Number.isNaN(first.getTime())
    ? Date.UTC(1970, 0, 1)
    : Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate());
  let last = -1;
  return (h, m, s) => {
    const seconds = h * 3600 + m * 60 + s;
    if (last >= 0 && seconds < last) day += 86_400_000;
    last = seconds;
    return new Date(day + seconds * 1000).toISOString();
  };
}
