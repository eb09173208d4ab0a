/**
 * Holds on snapshots: the one reader and writer of the `snapshot_holds` table (migration 0013).
 *
 * - `legal`: the provider holds any snapshot, with a reason and an optional end (a legal hold,
 *   an investigation).
 * - `keep`: a customer marks one of their own snapshots "keep", up to their package's keep limit.
 * - `guard`: the mass-change guard holds the snapshots before a flagged backup for 30 days
 *   (src/backup/mass-change.ts).
 *
 * A snapshot is held while any of its holds has no end or ends after "now". Retention (after each
 * backup), the deletion of a schedule with its snapshots and the weekly forget of safety
 * snapshots leave held snapshots alone: the control plane sends their ids with the request and
 * the agent leaves them out of what it forgets. An expired hold is simply no longer counted; the
 * next retention then forgets the snapshot if the policy lets it go. "Now" is injected, so tests
 * move the clock instead of waiting.
 */
import { HostvaultError, NotFoundError, ValidationError } from '../errors/index.js';
import type { HoldKind, SnapshotHoldRow, SnapshotRow, Store } from '../store/index.js';

export type { HoldKind } from '../store/index.js';

/** How long the guard holds the snapshots before a flagged backup. */
export const GUARD_HOLD_DAYS = 30;

/** The customer has marked as many snapshots "keep" as the package allows. */
export class KeepLimitError extends HostvaultError {
  constructor(readonly max: number) {
    super(
      'snapshot.keep_limit',
      `Your package lets you keep at most ${max} snapshot(s). Remove "Keep" from another snapshot first.`,
      { params: { max } },
    );
    this.name = 'KeepLimitError';
  }
}

/** A hold as the API, the CLI and the UI show it. */
export interface Hold {
  id: number;
  repositoryId: number;
  snapshotId: string;
  customerId: string;
  kind: HoldKind;
  reason: string;
  /** ISO 8601 UTC; null: until released. */
  expiresAt: string | null;
  createdBy: string;
  createdAt: string;
  /** For a guard hold: the flagged backup job. */
  jobId: number | null;
}

export function holdOf(row: SnapshotHoldRow): Hold {
  return {
    id: Number(row.id),
    repositoryId: Number(row.repository_id),
    snapshotId: row.snapshot_id,
    customerId: row.customer_id,
    kind: row.kind,
    reason: row.reason,
    expiresAt: row.expires_at,
    createdBy: row.created_by,
    createdAt: row.created_at,
    jobId: row.job_id === null ? null : Number(row.job_id),
  };
}

type SnapshotRef = Pick<SnapshotRow, 'id' | 'repository_id' | 'customer_id'>;

export class SnapshotHolds {
  private readonly now: () => Date;

  constructor(
    private readonly deps: {
      store: Store;
      /** The customer's package's keep limit (inventory: packages.keep_limit). */
      keepLimit: (customerId: string) => Promise<number>;
      now?: () => Date;
    },
  ) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * The provider's hold on `snapshot` (already reached by the caller, who may see it), with a
   * reason and an optional end; a second legal hold on the same snapshot replaces the first.
   */
  async hold(
    snapshot: SnapshotRef,
    opts: { reason: string; expiresAt?: string | null; by?: string },
  ): Promise<Hold> {
    const reason = opts.reason.trim();
    if (reason === '')
      throw new ValidationError([
        {
          field: 'reason',
          code: 'field.required',
          message: 'Give a reason for the hold.',
          params: { label: 'Reason' },
        },
      ]);
    const expiresAt = opts.expiresAt ?? null;
    if (expiresAt !== null && Date.parse(expiresAt) <= this.now().getTime())
      throw new HostvaultError(
        'snapshot.hold_expiry_past',
        'The end of the hold must be in the future.',
      );
    return this.put(snapshot, 'legal', { reason, expiresAt, by: opts.by ?? 'admin' });
  }

  /** Ends the provider's hold on `snapshot`; NotFoundError when it has none. */
  async release(snapshot: SnapshotRef, kind: 'legal' | 'guard' = 'legal'): Promise<void> {
    const { numDeletedRows } = await this.deps.store.db
      .deleteFrom('snapshot_holds')
      .where('repository_id', '=', snapshot.repository_id)
      .where('snapshot_id', '=', snapshot.id)
      .where('kind', '=', kind)
      .executeTakeFirst();
    if (Number(numDeletedRows) === 0) throw new NotFoundError('This snapshot has no such hold.');
  }

  /**
   * The customer marks their own snapshot "keep". Counted against the package's keep limit
   * (KeepLimitError, nothing changed); keeping a kept snapshot again changes nothing.
   */
  async keep(snapshot: SnapshotRef): Promise<Hold> {
    const db = this.deps.store.db;
    const existing = await db
      .selectFrom('snapshot_holds')
      .selectAll()
      .where('repository_id', '=', snapshot.repository_id)
      .where('snapshot_id', '=', snapshot.id)
      .where('kind', '=', 'keep')
      .executeTakeFirst();
    if (existing) return holdOf(existing);
    const max = await this.deps.keepLimit(snapshot.customer_id);
    const kept = await db
      .selectFrom('snapshot_holds')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('customer_id', '=', snapshot.customer_id)
      .where('kind', '=', 'keep')
      .executeTakeFirstOrThrow();
    if (Number(kept.n) >= max) throw new KeepLimitError(max);
    return this.put(snapshot, 'keep', {
      reason: 'Kept by the customer',
      expiresAt: null,
      by: `customer:${snapshot.customer_id}`,
    });
  }

  /** Removes the customer's "keep"; nothing happens when there was none. */
  async unkeep(snapshot: SnapshotRef): Promise<void> {
    await this.deps.store.db
      .deleteFrom('snapshot_holds')
      .where('repository_id', '=', snapshot.repository_id)
      .where('snapshot_id', '=', snapshot.id)
      .where('kind', '=', 'keep')
      .execute();
  }

  /**
   * The guard's hold on each of `snapshots` for GUARD_HOLD_DAYS from now, naming the flagged job;
   * an existing guard hold is extended, never shortened.
   */
  async guard(snapshots: readonly SnapshotRef[], jobId: number, reason: string): Promise<Hold[]> {
    const expiresAt = new Date(this.now().getTime() + GUARD_HOLD_DAYS * 86_400_000).toISOString();
    const out: Hold[] = [];
    for (const snapshot of snapshots)
      out.push(await this.put(snapshot, 'guard', { reason, expiresAt, by: 'guard', jobId }));
    return out;
  }

  /** Holds in force now, of one customer or (absent) of everyone; newest first. */
  async list(opts: { customerId?: string; repositoryId?: number } = {}): Promise<Hold[]> {
    let query = this.active();
    if (opts.customerId !== undefined) query = query.where('customer_id', '=', opts.customerId);
    if (opts.repositoryId !== undefined)
      query = query.where('repository_id', '=', opts.repositoryId);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(holdOf);
  }

  /**
   * The ids of the held snapshots of one repository (of one customer, if given) at this moment:
   * what retention and deletion must leave alone.
   */
  async heldIds(repositoryId: number, customerId?: string): Promise<string[]> {
    const holds = await this.list({ repositoryId, customerId });
    return [...new Set(holds.map((h) => h.snapshotId))];
  }

  private active() {
    const now = this.now().toISOString();
    return this.deps.store.db
      .selectFrom('snapshot_holds')
      .selectAll()
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
  }

  private async put(
    snapshot: SnapshotRef,
    kind: HoldKind,
    opts: { reason: string; expiresAt: string | null; by: string; jobId?: number },
  ): Promise<Hold> {
    const db = this.deps.store.db;
    const values = {
      repository_id: snapshot.repository_id,
      snapshot_id: snapshot.id,
      customer_id: snapshot.customer_id,
      kind,
      reason: opts.reason,
      expires_at: opts.expiresAt,
      created_by: opts.by,
      created_at: this.now().toISOString(),
      job_id: opts.jobId ?? null,
    };
    await db
      .insertInto('snapshot_holds')
      .values(values)
      .onConflict((oc) =>
        oc.columns(['repository_id', 'snapshot_id', 'kind']).doUpdateSet({
          reason: values.reason,
          expires_at: values.expires_at,
          created_by: values.created_by,
          created_at: values.created_at,
          job_id: values.job_id,
        }),
      )
      .execute();
    const row = await db
      .selectFrom('snapshot_holds')
      .selectAll()
      .where('repository_id', '=', snapshot.repository_id)
      .where('snapshot_id', '=', snapshot.id)
      .where('kind', '=', kind)
      .executeTakeFirstOrThrow();
    return holdOf(row);
  }
}
