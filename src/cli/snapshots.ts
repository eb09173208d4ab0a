/**
 * `snapshots <schedule-id>`: a schedule's snapshots (also a deleted one's that were kept), newest
 * first, with what a restore needs.
 */
import type { Config } from '../config.js';
import { safetyLabel } from '../scope/labels.js';
import { snapshotContents, snapshotsOfSchedule } from '../repository/snapshot-records.js';
import type { SnapshotRow } from '../store/index.js';
import { CliError, id, parse } from './args.js';
import { withStore, type Io } from './context.js';
import { formatBytes, formatTable, time } from './format.js';

const CONTENT_LABELS: Record<string, string> = {
  web: 'web files',
  db: 'databases',
  mail: 'email',
  ssl: 'SSL',
  config: 'configuration',
};

export async function snapshotsList(config: Config, args: string[], io: Io): Promise<number> {
  const parsed = parse(args, {}, ['schedule id']);
  const scheduleId = id(parsed.positionals[0]!, 'schedule id');
  return withStore(config, async (store) => {
    const schedule = await store.db
      .selectFrom('schedules')
      .select(['id', 'name'])
      .where('id', '=', scheduleId)
      .executeTakeFirst();
    const rows = await snapshotsOfSchedule(store, scheduleId);
    // A schedule deleted with "keep snapshots" still names them: they restore as before.
    if (!schedule && rows.length === 0) throw new CliError(`no schedule ${scheduleId}`);
    if (rows.length === 0) {
      io.out(
        `no snapshots of schedule ${scheduleId} yet; run it with: hostvault run ${scheduleId} --wait\n`,
      );
      return 0;
    }
    io.out(snapshotsTable(rows));
    io.out(
      `restore with: hostvault restore <REPOSITORY> <SNAPSHOT> --what web|databases|email|everything|file|database|mailbox\n`,
    );
    return 0;
  });
}

export function snapshotsTable(rows: readonly SnapshotRow[]): string {
  return formatTable(
    ['REPOSITORY', 'SNAPSHOT', 'TIME (UTC)', 'CUSTOMER', 'SCOPE', 'CONTENTS', 'SIZE'],
    rows.map((s) => [
      String(s.repository_id),
      s.id,
      time(s.time),
      s.customer_id,
      s.kind === 'safety' ? safetyLabel(s) : (s.scope ?? '-'),
      snapshotContents(s)
        .map((c) => CONTENT_LABELS[c] ?? c)
        .join(', '),
      s.size == null ? '-' : formatBytes(s.size),
    ]),
  );
}
