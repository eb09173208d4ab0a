/**
 * A job's steps (the API's `steps`, by code and params) in the page's words: the catalog's texts,
 * sizes and durations by the same formatters as the rest of the page (one unit system: the log
 * and the detail view both say "85.3 MB").
 */
import type { JobDetail } from '../api/types';
import { m } from '../messages';
import { formatBytes, formatDuration } from './format';

export type JobStep = JobDetail['steps'][number];

export function stepText(step: JobStep): string {
  const p = step.params;
  const t = m.jobLog;
  const str = (key: string) => String(p[key] ?? '');
  const num = (key: string) => Number(p[key] ?? 0);
  const type = m.banner.type[str('type') as keyof typeof m.banner.type] ?? str('type');
  switch (step.code) {
    case 'job.started':
      return t.started(type);
    case 'job.finished':
      return t.finished(type);
    case 'job.failed':
      return t.failed(type, str('error'));
    case 'job.canceled':
      return t.canceled(type);
    case 'job.recovered':
      return t.recovered(type);
    case 'backup.dumping':
      return t.dumping(num('count'), str('names'));
    case 'backup.parent':
      return t.parent;
    case 'backup.summary': {
      const line = t.summary(
        num('files'),
        formatBytes(num('bytes')),
        formatBytes(num('added')),
        num('filesNew'),
        num('filesChanged'),
        num('filesUnmodified'),
        // restic's own time; a run under a second reads as one, not as "0 s".
        formatDuration(Math.max(1, num('seconds'))),
      );
      const more =
        num('added') > num('bytes') && formatBytes(num('added')) !== formatBytes(num('bytes'));
      return more ? `${line} ${m.job.addedMore}` : line;
    }
    case 'backup.unreadable':
      return t.unreadable(num('count'));
    case 'backup.retention':
      return t.retention(num('count'), num('keep'));
    case 'restore.web':
      return t.restoreWeb;
    case 'restore.file':
      return t.restoreFile(str('path'));
    case 'restore.database':
      return t.restoreDatabase(str('name'));
    case 'restore.mailbox':
      return t.restoreMailbox(str('address'));
    case 'restore.safety':
      return t.safety;
    case 'restore.undo':
      return t.undo(num('restoreJobId'));
    case 'restore.partial':
      return t.partial;
    case 'restore.verified':
      return t.verified(str('name'), num('tables'));
    case 'restore.recoveredDatabase':
      return t.recoveredDatabase(str('name'));
    case 'restore.rolledBackDatabase':
      return t.rolledBackDatabase(str('name'));
  }
}
