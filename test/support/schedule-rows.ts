/**
 * Schedule rows for the planner's tests: `hourly` customers' hourly schedules, then `daily` ones at
 * the default 02:00, each due at its customer's start minute from `from`, as the service would
 * have stored them.
 */
import { nextRun, scheduleStartMinute } from '../../src/schedule/next-run.js';

export function customerScheduleRows(counts: { hourly: number; daily: number }, from: Date) {
  const stamp = from.toISOString();
  return Array.from({ length: counts.hourly + counts.daily }, (_, i) => {
    const frequency = i < counts.hourly ? ('hourly' as const) : ('daily' as const);
    const customerId = `customer-${i}`;
    const minute = scheduleStartMinute({ id: i + 1, customerId });
    return {
      id: i + 1,
      owner_kind: 'customer' as const,
      customer_id: customerId,
      name: `schedule ${i + 1}`,
      scope: 'full',
      frequency,
      hour: 2,
      day: null,
      retention: 7,
      enabled: 1,
      next_run_at: nextRun({ frequency, hour: 2, minute }, from).toISOString(),
      created_at: stamp,
      updated_at: stamp,
    };
  });
}
