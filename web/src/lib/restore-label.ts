/**
 * How a restore is named on the page, from what it restores: History, the banner and the Restore
 * tab's safety copies say the same words ("Restore web files from Today, 2:00 AM", "Undo restore
 * #12", "Holds the file index.php").
 */
import type { RestoreRequest, RestoreSummary } from '../api/types';
import { m } from '../messages';
import { formatWhen } from './format';

/** "web files", "database shop", "the file index.php": the file by its name only, as browsing shows it. */
export function restoredThing(
  request: Pick<RestoreRequest, 'what' | 'path' | 'database' | 'mailbox'>,
): string {
  const t = m.restoreJob;
  switch (request.what) {
    case 'database':
      return t.database(request.database ?? '');
    case 'mailbox':
      return t.mailbox(request.mailbox ?? '');
    case 'file':
      return t.file(request.path?.split('/').pop() ?? '');
    default:
      return t.what[request.what] ?? request.what;
  }
}

/** A job's name: a restore by what it restores and from when, any other job by its schedule. */
export function jobName(job: {
  scheduleName: string | null;
  restore: RestoreSummary | null;
}): string {
  const restore = job.restore;
  if (!restore) return job.scheduleName ?? m.banner.unnamed;
  if (restore.undoes !== null) return m.restoreJob.undo(restore.undoes);
  const thing = restoredThing(restore);
  return restore.snapshotTime
    ? m.restoreJob.name(thing, formatWhen(restore.snapshotTime))
    : m.restoreJob.nameWithoutTime(thing);
}
