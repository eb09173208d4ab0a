/** Table types of notifications (migration 0005). */
export interface OverdueWarningsTable {
  schedule_id: number;
  /** ISO 8601: the last success (or the schedule's creation) the warning was about. */
  since: string;
  notified_at: string;
}
