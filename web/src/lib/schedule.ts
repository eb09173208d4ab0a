/** How a schedule reads in a table: "Weekly on Sunday at 02:00 UTC", "S3: my-bucket". */
import type { Schedule } from '../api/types';
import { m } from '../messages';
import { formatHour } from './format';

export function describeWhen(s: Pick<Schedule, 'frequency' | 'hour' | 'day'>): string {
  const hour = formatHour(s.hour);
  switch (s.frequency) {
    case 'hourly':
      return m.when.hourly;
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
  return m.target.localSummary;
}
