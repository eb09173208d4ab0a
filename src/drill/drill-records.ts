/**
 * The record of restore drills: one row per drill, verified or failed with what differed. This
 * module is the one reader and writer of the `drills` table (migration 0014).
 */
import { sql } from 'kysely';
import type { DrillRow, Store } from '../store/index.js';

export interface DrillOutcome {
  jobId: number | null;
  snapshotId: string;
  repositoryId: number;
  customerId: string;
  status: 'verified' | 'failed';
  finishedAt: string;
  filesCompared: number;
  databasesCompared: number;
  difference?: string;
}

export async function recordDrill(store: Store, outcome: DrillOutcome): Promise<void> {
  await store.db
    .insertInto('drills')
    .values({
      job_id: outcome.jobId,
      snapshot_id: outcome.snapshotId,
      repository_id: outcome.repositoryId,
      customer_id: outcome.customerId,
      status: outcome.status,
      finished_at: outcome.finishedAt,
      files_compared: outcome.filesCompared,
      databases_compared: outcome.databasesCompared,
      difference: outcome.difference ?? null,
    })
    .execute();
}

/** The customer's latest verified drill: "Last verified restore" on the Restore tab. */
export async function lastVerified(
  store: Store,
  customerId: string,
): Promise<Pick<DrillRow, 'snapshot_id' | 'finished_at'> | undefined> {
  return store.db
    .selectFrom('drills')
    .select(['snapshot_id', 'finished_at'])
    .where('customer_id', '=', customerId)
    .where('status', '=', 'verified')
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Every drill of a snapshot, newest first (tests, the CLI). */
export async function drillsOf(store: Store, snapshotId: string): Promise<DrillRow[]> {
  return store.db
    .selectFrom('drills')
    .selectAll()
    .where('snapshot_id', '=', snapshotId)
    .orderBy('id', 'desc')
    .execute();
}

/** The date of the latest drill per repository, for the weekly planner (one query). */
export async function lastDrillPerRepository(store: Store): Promise<Map<number, string>> {
  const rows = await store.db
    .selectFrom('drills')
    .select((eb) => ['repository_id', eb.fn.max('finished_at').as('last')])
    .groupBy('repository_id')
    .execute();
  return new Map(rows.map((r) => [r.repository_id, String(r.last)]));
}

/** The latest verified drill per customer, in one grouped query (the coverage view). */
export async function lastVerifiedPerCustomer(store: Store): Promise<Map<string, string>> {
  const rows = await store.db
    .selectFrom('drills')
    .select((eb) => ['customer_id', eb.fn.max('finished_at').as('last')])
    .where('status', '=', 'verified')
    .groupBy('customer_id')
    .execute();
  return new Map(rows.map((r) => [r.customer_id, String(r.last)]));
}

/** The latest verified drill of each of these snapshots, in one query (the snapshot list). */
export async function verifiedAtOf(
  store: Store,
  snapshotIds: string[],
): Promise<Map<string, string>> {
  if (snapshotIds.length === 0) return new Map();
  const rows = await store.db
    .selectFrom('drills')
    .select((eb) => ['snapshot_id', eb.fn.max('finished_at').as('last')])
    .where('status', '=', 'verified')
    .where('snapshot_id', 'in', snapshotIds)
    .groupBy('snapshot_id')
    .execute();
  return new Map(rows.map((r) => [r.snapshot_id, String(r.last)]));
}

/**
 * Follows a rewrite (a path purged from a customer's snapshots, restic writing each anew under
 * another id): the drills of a rewritten snapshot move to its new id, so its verified mark stays
 * with it. The mark speaks of what the drill restored and compared, which the rewrite left as it
 * was (it only takes paths out); a drill after the purge checks the new snapshot as a whole again.
 */
export async function renameDrillSnapshots(
  store: Store,
  repositoryId: number,
  renamed: readonly { from: string; to: string }[],
): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    for (const { from, to } of renamed)
      await trx
        .updateTable('drills')
        .set({ snapshot_id: to })
        .where('repository_id', '=', repositoryId)
        .where(sql<boolean>`${from} like ${sql.ref('snapshot_id')} || '%'`)
        .execute();
  });
}
