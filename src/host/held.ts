/**
 * Whether a snapshot restic lists (full id) is one of the held ids the control plane sent (as the
 * store records them: restic 0.14's backup summary gives short ids, later lists full ones).
 * Retention, a schedule's deletion and the forget of safety snapshots leave held ones alone
 * (src/repository/snapshot-holds.ts decides what is held).
 */
export function isHeld(id: string, held: readonly string[]): boolean {
  return held.some((h) => h.length > 0 && (id.startsWith(h) || h.startsWith(id)));
}
