/**
 * Retention of safety snapshots (what restores saved before they overwrote live data): per
 * customer, the last `keepLast` are kept, and every one younger than `keepDays` — whichever keeps
 * more. The weekly prune asks the agent to forget the rest first (src/host/safety-retention.ts),
 * and the maintenance job drops their rows as the agent reports them forgotten.
 */
export interface SafetyRetention {
  keepLast: number;
  keepDays: number;
}

export const SAFETY_RETENTION: SafetyRetention = { keepLast: 10, keepDays: 7 };
