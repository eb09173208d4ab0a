/**
 * How often and how much a restore drill proves, with its defaults.
 *
 * DECISION — the defaults: a drill after a backup costs about what a restore of its sample costs
 * (the listing of the snapshot, up to `sampleFiles` files and `sampleBytes` bytes restored and
 * read twice, every dump imported once). One backup in ten is drilled (`afterBackupRate` 0.1),
 * and no server runs more than `perServerPerHour` (4) such drills in an hour, so a night of many
 * small backups does not turn into a night of drills; the weekly drill of every repository
 * (`weeklyEveryDays` 7) makes sure none goes unproven whatever the sampling skipped. Measured
 * cost: bench case `drill` (see bench/README.md).
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
  afterBackupRate: 0.1,
  perServerPerHour: 4,
  weeklyEveryDays: 7,
  sampleFiles: 20,
  sampleBytes: 64 * 1024 * 1024,
};
