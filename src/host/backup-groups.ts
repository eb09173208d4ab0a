/**
 * A backup whose database dumps were streamed (restic 0.17+) is several restic snapshots: one
 * per database, each holding `/<db>.sql`, and the backup's own snapshot with the files and the
 * table checksums, which names each dump's snapshot in a `dump=<db>@<id>` tag.
 *
 * DECISION — one backup, one recorded snapshot, its dumps as named parts: restic makes one
 * snapshot per run and `--stdin-from-command` saves one file per run, so a Full backup of N
 * databases is N+1 snapshots, and restic cannot merge them. Of the ways to make them read as
 * one backup:
 * - (a) N+1 equal snapshots grouped by a job tag would change what the control plane records
 *   (one row per backup, its id the one the Restore tab, browse, downloads and restores name)
 *   and make every reader gather the group from restic;
 * - (b), taken: the backup's own snapshot stays the one snapshot the control plane records, made
 *   last, and names its parts in its tags. Its paths are those of the staging path (the staging
 *   directory, now holding only the checksum records), so parent detection, the friendly roots
 *   and `/Databases/<db>.sql` mean the same whichever restic made the backup; whoever reads a
 *   dump finds its snapshot in the tags (the restore reads them with the snapshot's listing; the
 *   browse index lists each dump where a staged one would be and records its snapshot, which
 *   downloads read, src/snapshot/README.md).
 *   The parts carry the customer's and the schedule's tags, so deleting a schedule forgets them
 *   too, and a tag of their own (`database=`), so "latest" and retention never count them.
 *   Retention therefore is computed here over the schedule's snapshots (`keep-last` over backup
 *   snapshots only) and forgets by id: each backup with its parts, and parts that no backup
 *   names (left by a run that failed before its backup snapshot was made). A plain
 *   `restic forget --keep-last` over the schedule's tag would count the parts as backups.
 */
import type { SnapshotSummary } from '../engine/index.js';
import { isDumpSnapshot, streamedDumps } from '../scope/scope.js';
import { isHeld } from './held.js';

export interface RetentionPlan {
  /** Backup snapshots kept, newest first. */
  keep: string[];
  /** Backup snapshots beyond the policy, their dumps' snapshots, and dumps no backup names. */
  forget: string[];
}

/**
 * `keep-last` over one schedule's snapshots (`list`: all carrying its customer and schedule
 * tags), as restic's `forget --keep-last N --group-by ''` would apply it to backups alone.
 * Backups in `held` (ids as the store records them, short or full) are kept beyond the policy
 * with their dumps, and do not count toward N: a hold never pushes another backup out.
 */
export function planRetention(
  list: readonly SnapshotSummary[],
  keepLast: number,
  held: readonly string[] = [],
): RetentionPlan {
  if (!Number.isInteger(keepLast) || keepLast < 1)
    throw new Error('keepLast must be a whole number of at least 1');
  const backups = list
    .filter((s) => !isDumpSnapshot(s.tags))
    .sort((a, b) => b.time.localeCompare(a.time) || b.id.localeCompare(a.id));
  const isHeldBackup = (s: SnapshotSummary) => isHeld(s.id, held);
  const unheld = backups.filter((s) => !isHeldBackup(s));
  const lastN = new Set(unheld.slice(0, keepLast));
  const kept = backups.filter((s) => lastN.has(s) || isHeldBackup(s));
  const named = kept.flatMap((s) => [...streamedDumps(s.tags).values()]);
  const isNamed = (id: string) => named.some((ref) => id.startsWith(ref));
  const parts = list.filter((s) => isDumpSnapshot(s.tags));
  return {
    keep: kept.map((s) => s.id),
    forget: [
      ...backups.filter((s) => !kept.includes(s)).map((s) => s.id),
      ...parts.filter((s) => !isNamed(s.id)).map((s) => s.id),
    ],
  };
}

/** The schedule's newest backup snapshot: its dumps' snapshots are never a parent. */
export function latestBackup(list: readonly SnapshotSummary[]): SnapshotSummary | undefined {
  return list
    .filter((s) => !isDumpSnapshot(s.tags))
    .sort((a, b) => a.time.localeCompare(b.time))
    .at(-1);
}
