/**
 * How often and how much a restore drill proves, with its defaults.
 *
 * DECISION — the defaults: a drill costs the listing of the snapshot, one restore of up to
 * `sampleFiles` files (`sampleBytes` bytes) and the dumps, the files read twice, and every dump
 * imported and checksummed. Measured (bench case `drill`, 2,000 files / 100 MB and a 50,000-row
 * database, 2% changed per backup): one drill takes about 2.7 times an incremental backup, most
 * of it the database import. So that drills add at most 10% to the backups they follow, every
 * 33rd backup of a server is drilled (`afterBackupRate` 0.03; counted, see drill-planner.ts), and no server runs more than
 * `perServerPerHour` (4) of those in an hour, so a night of many small backups does not turn
 * into a night of drills. The weekly drill of every repository (`weeklyEveryDays` 7, skipped
 * when any drill ran in the week) is the guarantee whatever the sampling skipped; for a
 * repository backed up daily it is one drill per seven backups.
 */
export interface DrillPolicy {
  /** Share of backups followed by a drill of their snapshot, 0 to 1. */
  afterBackupRate: number;
  /** At most this many drills after backups per server and hour (weekly ones not counted). */
  perServerPerHour: number;
  /** A repository whose last drill is older than this gets one of its newest snapshot. */
  weeklyEveryDays: number;
  /** Files restored and compared at most per drill. */
  sampleFiles: number;
  /** Bytes of those files at most. */
  sampleBytes: number;
}

export const DEFAULT_DRILL_POLICY: DrillPolicy = {
  afterBackupRate: 0.03,
  perServerPerHour: 4,
  weeklyEveryDays: 7,
  sampleFiles: 20,
  sampleBytes: 64 * 1024 * 1024,
};
