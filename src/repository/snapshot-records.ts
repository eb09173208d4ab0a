/** The snapshot list the store keeps for the Restore tab: one row per snapshot a backup made. */
import type { SnapshotRow, Store } from '../store/index.js';

export function findSnapshot(
  store: Store,
  repositoryId: number,
  id: string,
): Promise<SnapshotRow | undefined> {
  return store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('repository_id', '=', repositoryId)
    .where('id', '=', id)
    .executeTakeFirst();
}
