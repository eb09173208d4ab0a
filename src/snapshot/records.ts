/** The snapshot list the store keeps for the Restore tab: one row per snapshot a backup made. */
import type { SnapshotRow, Store } from '../store/index.js';

/** Two or more snapshots start with the id given: restic would refuse it too. */
export class AmbiguousSnapshotError extends Error {
  constructor(
    readonly repositoryId: number,
    readonly ref: string,
  ) {
    super(`Snapshot ID ${ref} names more than one snapshot; give more of it.`);
    this.name = 'AmbiguousSnapshotError';
  }
}

/**
 * The one way to find a snapshot by what people type: its full id or a prefix of it that names
 * exactly one snapshot in the repository (as restic does; the CLI shows full ids, people copy a
 * part). `customerId` limits the search to one customer's snapshots, so a customer's prefix can
 * never be ambiguous because of someone else's snapshot. Undefined when none matches;
 * AmbiguousSnapshotError when several do and none has exactly this id.
 */
export async function findSnapshotByRef(
  store: Store,
  repositoryId: number,
  ref: string,
  opts: { customerId?: string } = {},
): Promise<SnapshotRow | undefined> {
  // Also keeps LIKE's wildcards out of the pattern.
  if (!/^[0-9a-f]{4,64}$/.test(ref)) return undefined;
  let query = store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('repository_id', '=', repositoryId)
    .where('id', 'like', `${ref}%`);
  if (opts.customerId !== undefined) query = query.where('customer_id', '=', opts.customerId);
  const rows = await query.limit(2).execute();
  const exact = rows.find((row) => row.id === ref);
  if (exact) return exact;
  if (rows.length > 1) throw new AmbiguousSnapshotError(repositoryId, ref);
  return rows[0];
}
