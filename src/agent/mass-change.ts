/**
 * The mass-change guard's decision: did this backup find an unusual share of the customer's files
 * changed or deleted at once, or the changed content turned into random bytes, compared with that
 * customer's own history? Pure, and shared by both sides of the agent boundary: the host judges
 * right after restic's backup and withholds that run's retention when it is flagged (a flagged
 * run must not push good snapshots out); the control plane judges the same counts from the answer
 * and acts (flag the job, hold the snapshots before it for 30 days, notify;
 * src/backup/backup-job.ts). The unit test feeds it a simulated year.
 *
 * The two signals (defaults in DEFAULT_GUARD, reasons in docs/operator-guide.md):
 *
 * 1. Change share: of the files the previous backup had, how many this one found changed or gone.
 *    restic's summary gives files_new, files_changed and files_unmodified against the parent; the
 *    files deleted are the previous backup's count (the store's `snapshots.files`) less the
 *    changed and unmodified ones. New files do not count: uploads add files, ransomware that
 *    renames `a.php` to `a.php.locked` shows as one new and one deleted, and the deleted one
 *    counts. The threshold is the customer's own: `historyFactor` × the 95th percentile of their
 *    last `historyLength` backups' shares, never below `minShare` (a quiet site's tiny history
 *    would otherwise flag a plugin update) and never above `maxShare` (a site that churns half its
 *    files daily must still be guarded against losing nearly all of them).
 * 2. Random content: the host samples the files modified since the previous backup and counts
 *    those whose first 64 KiB read as random (src/host/change-sample.ts; restic 0.14 has no
 *    compression to measure). The estimated random files as a share of the previous backup's
 *    files are compared the same way with the customer's own history of that share (so a site
 *    that uploads photos daily is measured against its own uploads), with `minRandomShare` as the
 *    floor, and only when most of the sample (`randomSampleShare`) is random.
 *
 * Both need at least `minFiles` files touched: on a site of 30 files, 10 edited is no alarm.
 */

export interface GuardPolicy {
  minShare: number;
  maxShare: number;
  historyFactor: number;
  historyLength: number;
  minFiles: number;
  minRandomShare: number;
  randomSampleShare: number;
  minSampled: number;
}

export const DEFAULT_GUARD: GuardPolicy = {
  minShare: 0.25,
  maxShare: 0.8,
  historyFactor: 4,
  historyLength: 30,
  minFiles: 50,
  minRandomShare: 0.1,
  randomSampleShare: 0.75,
  minSampled: 8,
};

/** What one backup found, against the previous backup of the same schedule and customer. */
export interface ChangeCounts {
  /** Files the previous backup read; undefined: no previous backup (or one recorded before). */
  previousFiles?: number;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  /** The host's sample of the files modified since the previous backup. */
  sample?: { modified: number; sampled: number; random: number };
}

/** The customer's recent backups, newest first (their recorded shares). */
export interface GuardHistory {
  changeShares: readonly number[];
  randomShares: readonly number[];
}

export interface GuardVerdict {
  flagged: boolean;
  /** Changed + deleted of the previous backup's files, 0–1; null without a previous backup. */
  changeShare: number | null;
  /** Estimated random modified files of the previous backup's files; null without a sample. */
  randomShare: number | null;
  changed: number;
  deleted: number;
  changeThreshold: number;
  randomThreshold: number;
  /** Plain words for the job's log and the notification; empty when nothing was found. */
  reasons: string[];
}

/** The 95th percentile of `values` (0 for none). */
export function p95(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
}

function threshold(history: readonly number[], floor: number, policy: GuardPolicy): number {
  const own = p95(history.slice(0, policy.historyLength)) * policy.historyFactor;
  return Math.min(policy.maxShare, Math.max(floor, own));
}

const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;

export function judgeChanges(
  counts: ChangeCounts,
  history: GuardHistory,
  policy: GuardPolicy = DEFAULT_GUARD,
): GuardVerdict {
  const changeThreshold = threshold(history.changeShares, policy.minShare, policy);
  const randomThreshold = threshold(history.randomShares, policy.minRandomShare, policy);
  const previous = counts.previousFiles;
  if (previous === undefined || previous <= 0)
    return {
      flagged: false,
      changeShare: null,
      randomShare: null,
      changed: counts.filesChanged,
      deleted: 0,
      changeThreshold,
      randomThreshold,
      reasons: [],
    };
  const changed = counts.filesChanged;
  const deleted = Math.max(0, previous - counts.filesChanged - counts.filesUnmodified);
  const touched = changed + deleted;
  const changeShare = Math.min(1, touched / previous);
  const reasons: string[] = [];
  if (touched >= policy.minFiles && changeShare >= changeThreshold)
    reasons.push(
      `${pct(changeShare)} of the files of the previous backup were changed or deleted at once ` +
        `(${changed} changed, ${deleted} deleted of ${previous}); this customer's usual most is ` +
        `${pct(p95(history.changeShares.slice(0, policy.historyLength)))}, the alarm level ${pct(changeThreshold)}`,
    );
  let randomShare: number | null = null;
  const s = counts.sample;
  if (s && s.sampled > 0) {
    const randomModified = (s.modified * s.random) / s.sampled;
    randomShare = Math.min(1, randomModified / previous);
    if (
      s.sampled >= policy.minSampled &&
      s.random / s.sampled >= policy.randomSampleShare &&
      randomModified >= policy.minFiles &&
      randomShare >= randomThreshold
    )
      reasons.push(
        `${s.random} of ${s.sampled} sampled modified files read as random bytes (encrypted); ` +
          `about ${Math.round(randomModified)} files, ${pct(randomShare)} of the site, against an alarm level of ${pct(randomThreshold)}`,
      );
  }
  return {
    flagged: reasons.length > 0,
    changeShare,
    randomShare,
    changed,
    deleted,
    changeThreshold,
    randomThreshold,
    reasons,
  };
}
