/**
 * The snapshot list the store keeps for the Restore tab: one row per snapshot a backup made, and
 * one per safety snapshot a restore saved before it overwrote live data. This module is the one
 * writer of the `snapshots` table.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { ValidationError } from '../errors/index.js';
import { CONTENTS, type Content } from '../scope/scope.js';
import { decodeStored, type SnapshotRow, type Store } from '../store/index.js';

/** A snapshot's paths per content, as its backup recorded them. */
export type SnapshotRoots = Partial<Record<Content, string[]>>;

const contentsSchema = z.array(z.enum(CONTENTS));
const rootsSchema = z.partialRecord(z.enum(CONTENTS), z.array(z.string()));

function rowName(row: Pick<SnapshotRow, 'id' | 'repository_id'>): string {
  return `snapshot ${row.id} of repository ${row.repository_id}`;
}

/** What a snapshot holds, decoded from its row; StoredValueError when the column is damaged. */
export function snapshotContents(
  row: Pick<SnapshotRow, 'id' | 'repository_id' | 'contents'>,
): Content[] {
  return decodeStored(contentsSchema, row.contents, { row: rowName(row), column: 'contents' });
}

/**
 * A snapshot's paths per content, decoded from its row (none for rows recorded before roots
 * were); StoredValueError when the column is damaged.
 */
export function snapshotRoots(
  row: Pick<SnapshotRow, 'id' | 'repository_id' | 'roots'>,
): SnapshotRoots {
  if (row.roots == null) return {};
  return decodeStored(rootsSchema, row.roots, { row: rowName(row), column: 'roots' });
}

/** Two or more snapshots start with the id given: restic would refuse it too. */
export class AmbiguousSnapshotError extends ValidationError {
  constructor(
    readonly repositoryId: number,
    readonly ref: string,
  ) {
    const message = `Snapshot ID ${ref} names more than one snapshot; give more of it.`;
    const params = { ref };
    super([{ field: 'snapshotId', code: 'snapshot.ambiguous_id', message, params }]);
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

/** Records a backup's snapshot and drops the rows of the snapshots its retention forgot. */
export async function recordBackupSnapshot(
  store: Store,
  row: {
    id: string;
    repositoryId: number;
    scheduleId: number;
    customerId: string;
    time: string;
    scope: string;
    contents: readonly Content[];
    roots: Partial<Record<Content, string[]>>;
    size: number;
    forgotten: readonly string[];
    /** Files the backup read; the guard counts the next backup's deletions from it. */
    files?: number;
    /** The guard's shares (src/agent/mass-change.ts); left null for a flagged backup. */
    changeShare?: number | null;
    randomShare?: number | null;
  },
): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('snapshots')
      .values({
        id: row.id,
        repository_id: row.repositoryId,
        schedule_id: row.scheduleId,
        customer_id: row.customerId,
        time: row.time,
        scope: row.scope,
        contents: JSON.stringify(row.contents),
        roots: JSON.stringify(row.roots),
        size: row.size,
        tags: JSON.stringify([]),
        files: row.files ?? null,
        change_share: row.changeShare ?? null,
        random_share: row.randomShare ?? null,
      })
      .onConflict((oc) => oc.columns(['repository_id', 'id']).doNothing())
      .execute();
    // restic reports forgotten snapshots by full id, backup summaries (0.14) by short id.
    for (const full of row.forgotten) {
      await trx
        .deleteFrom('snapshots')
        .where('repository_id', '=', row.repositoryId)
        .where(sql<boolean>`${full} like ${sql.ref('id')} || '%'`)
        .execute();
    }
  });
}

/**
 * Records a safety snapshot beside the snapshots of the schedule whose snapshot was restored
 * (same repository, so the same target): the API and the command line then reach it like any
 * snapshot, with the same checks of who may see it.
 */
export async function recordSafetySnapshot(
  store: Store,
  row: {
    id: string;
    repositoryId: number;
    scheduleId: number | null;
    customerId: string;
    restoreJobId: number;
    time: string;
    content: Content;
    roots: Partial<Record<Content, string[]>>;
    tags: readonly string[];
    size?: number;
    /** The restore request that puts back what it saved. */
    undo: unknown;
  },
): Promise<void> {
  await store.db
    .insertInto('snapshots')
    .values({
      id: row.id,
      repository_id: row.repositoryId,
      schedule_id: row.scheduleId,
      customer_id: row.customerId,
      time: row.time,
      scope: null,
      contents: JSON.stringify([row.content]),
      roots: JSON.stringify(row.roots),
      size: row.size ?? null,
      tags: JSON.stringify(row.tags),
      kind: 'safety',
      restore_job_id: row.restoreJobId,
      undo: JSON.stringify(row.undo),
    })
    .onConflict((oc) => oc.columns(['repository_id', 'id']).doNothing())
    .execute();
}

/** Drops the rows of forgotten snapshots, matched as restic names them (full or short id). */
export async function dropSnapshotRows(
  store: Store,
  repositoryId: number,
  ids: readonly string[],
): Promise<void> {
  for (const full of ids) {
    await store.db
      .deleteFrom('snapshots')
      .where('repository_id', '=', repositoryId)
      .where(sql<boolean>`${full} like ${sql.ref('id')} || '%'`)
      .execute();
  }
}

/** Every snapshot row a schedule made (its backups and the safety snapshots of its restores). */
export async function snapshotsOfSchedule(
  store: Store,
  scheduleId: number,
): Promise<SnapshotRow[]> {
  return store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('schedule_id', '=', scheduleId)
    .orderBy('time', 'desc')
    .execute();
}

/** Drops the rows of a schedule's snapshots in one repository, once the agent forgot them. */
export async function dropScheduleSnapshotRows(
  store: Store,
  scheduleId: number,
  repositoryId: number,
  /** Held snapshots, which the agent left in the repository: their rows stay. */
  held: readonly string[] = [],
): Promise<void> {
  let query = store.db
    .deleteFrom('snapshots')
    .where('schedule_id', '=', scheduleId)
    .where('repository_id', '=', repositoryId);
  if (held.length > 0) query = query.where('id', 'not in', [...held]);
  await query.execute();
}

/**
 * A schedule's second copy as the second repository now holds it (after the copy and its
 * retention): a row per copy, made from the first repository's row of the snapshot it copies
 * (`copy_of` names that one), and the rows of copies its retention forgot dropped. The Restore
 * tab lists them beside the first copy's; a restore reaches them by (repository, id) like any.
 */
export async function recordCopies(
  store: Store,
  row: {
    scheduleId: number;
    fromRepositoryId: number;
    toRepositoryId: number;
    copies: readonly { id: string; original: string; time: string }[];
  },
): Promise<number> {
  let recorded = 0;
  await store.db.transaction().execute(async (trx) => {
    const originals = await trx
      .selectFrom('snapshots')
      .selectAll()
      .where('repository_id', '=', row.fromRepositoryId)
      .where('schedule_id', '=', row.scheduleId)
      .where('kind', '=', 'backup')
      .execute();
    for (const copy of row.copies) {
      // Rows of 0.14's backups hold short ids; restic names the original in full.
      const source = originals.find((o) => copy.original.startsWith(o.id));
      if (!source) continue;
      const inserted = await trx
        .insertInto('snapshots')
        .values({
          id: copy.id,
          repository_id: row.toRepositoryId,
          schedule_id: row.scheduleId,
          customer_id: source.customer_id,
          time: source.time,
          scope: source.scope,
          contents: source.contents,
          roots: source.roots,
          size: source.size,
          tags: source.tags,
          files: source.files,
          copy_of: source.id,
        })
        .onConflict((oc) => oc.columns(['repository_id', 'id']).doNothing())
        .executeTakeFirst();
      recorded += Number(inserted.numInsertedOrUpdatedRows ?? 0);
    }
    let drop = trx
      .deleteFrom('snapshots')
      .where('repository_id', '=', row.toRepositoryId)
      .where('schedule_id', '=', row.scheduleId)
      .where('copy_of', 'is not', null);
    const kept = row.copies.map((c) => c.id);
    if (kept.length > 0) drop = drop.where('id', 'not in', kept);
    await drop.execute();
  });
  return recorded;
}

/** Drops every snapshot row of one repository and customer (a purge), held ones excepted. */
export async function dropCustomerSnapshotRows(
  store: Store,
  repositoryId: number,
  customerId: string,
  held: readonly string[] = [],
): Promise<number> {
  let query = store.db
    .deleteFrom('snapshots')
    .where('repository_id', '=', repositoryId)
    .where('customer_id', '=', customerId);
  if (held.length > 0) query = query.where('id', 'not in', [...held]);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Follows a rewrite (a path purged from a customer's snapshots): each row takes its snapshot's
 * new id, and so does each copy's `copy_of`; matched as restic names them (the row may hold a
 * short id).
 */
export async function renameSnapshotRows(
  store: Store,
  repositoryId: number,
  renamed: readonly { from: string; to: string }[],
): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    for (const { from, to } of renamed)
      await trx
        .updateTable('snapshots')
        .set({ id: to })
        .where('repository_id', '=', repositoryId)
        .where(sql<boolean>`${from} like ${sql.ref('id')} || '%'`)
        .execute();
    // The second copies of a rewritten backup name it by its new id (their own rows follow the
    // rewrite of the second repository).
    for (const { from, to } of renamed)
      await trx
        .updateTable('snapshots')
        .set({ copy_of: to })
        .where(sql<boolean>`${from} like ${sql.ref('copy_of')} || '%'`)
        .execute();
  });
}
