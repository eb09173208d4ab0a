/** How a schedule reads in a table: "Weekly on Sunday at 2:17 AM UTC", "S3: my-bucket". */
import type { Schedule } from '../api/types';
import { m } from '../messages';
import { formatHour } from './format';

/**
 * At the real start: the hour the schedule names and the minute its customer's backups start at
 * (the server spreads starts over the hour), so "Daily at 03:17 UTC" and Next run agree.
 */
export function describeWhen(
  s: Pick<Schedule, 'frequency' | 'hour' | 'day' | 'startMinute'>,
): string {
  const minute = String(s.startMinute).padStart(2, '0');
  // The language's clock, as every local time on the page shows it ("2:17 AM", "02:17").
  const hour = formatHour(s.hour, s.startMinute);
  switch (s.frequency) {
    case 'hourly':
      return m.when.hourly(minute);
    case 'daily':
      return m.when.daily(hour);
    case 'weekly':
      return m.when.weekly(m.weekdays[s.day ?? 0] ?? '', hour);
    case 'monthly':
      return m.when.monthly(s.day ?? 1, hour);
  }
}

export function describeTarget(target: Schedule['target']): string {
  if (target.kind === 's3') return m.target.s3Summary(String(target.bucket ?? ''));
  if (target.kind === 'ftp') return m.target.ftpSummary(String(target.host ?? ''));
  if (target.kind === 'vault') return m.target.vaultSummary(String(target.url ?? ''));
  return m.target.localSummary;
}
