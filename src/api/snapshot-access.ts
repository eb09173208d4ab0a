/**
 * Who may reach a snapshot: its customer (through a schedule of their own) and admins. Every
 * route about one snapshot asks here, so they all answer the one 404 alike.
 */
import type { Authenticated } from '../auth/index.js';
import type { Viewer } from '../auth/viewer.js';
import type { ScheduleService } from '../schedule/schedule-service.js';
import type { ScheduleRow, SnapshotRow, Store } from '../store/index.js';
import { findSnapshotByRef } from '../repository/snapshot-records.js';
import { notFound } from './errors.js';

export function viewerOf(principal: Authenticated): Viewer {
  return principal.role === 'customer' && principal.customerId
    ? { role: 'customer', customerId: principal.customerId }
    : { role: 'admin' };
}

/**
 * The snapshot and the schedule that made it, if the caller may see both. Server-wide
 * schedules' snapshots are the provider's: a customer gets the same 404 as for a missing id.
 */
export async function reachSnapshot(
  deps: { store: Store; schedules: ScheduleService },
  principal: Authenticated,
  repositoryId: number,
  snapshotId: string,
): Promise<{ snapshot: SnapshotRow; schedule: ScheduleRow }> {
  const viewer = viewerOf(principal);
  const snapshot = await findSnapshotByRef(deps.store, repositoryId, snapshotId, {
    customerId: viewer.role === 'customer' ? viewer.customerId : undefined,
  });
  if (!snapshot || snapshot.schedule_id == null) throw notFound();
  const schedule = await deps.schedules.getRow(viewer, snapshot.schedule_id).catch(() => undefined);
  if (!schedule) throw notFound();
  return { snapshot, schedule };
}
