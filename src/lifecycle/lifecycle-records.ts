/**
 * The one owner of `customer_lifecycle` (who is suspended or terminated, and when a terminated
 * customer's backups go) and `lifecycle_audit` (what the life cycle did, kept after the customer
 * and their repositories are gone). Migration 0018.
 */
import type { CustomerLifecycleRow, LifecycleAuditRow, Store } from '../store/index.js';

export type LifecycleState = 'active' | 'suspended' | 'terminated';

export interface LifecycleStatus {
  customerId: string;
  state: LifecycleState;
  changedAt: string | null;
  /** Terminated: when the backups are purged (ISO 8601 UTC). */
  purgeAfter: string | null;
  purgedAt: string | null;
}

export interface AuditEntry {
  id: number;
  customerId: string;
  action: string;
  at: string;
  actor: string;
  detail: unknown;
}

export class LifecycleRecords {
  constructor(private readonly store: Store) {}

  async status(customerId: string): Promise<LifecycleStatus> {
    const row = await this.store.db
      .selectFrom('customer_lifecycle')
      .selectAll()
      .where('customer_id', '=', customerId)
      .executeTakeFirst();
    return row
      ? statusOf(row)
      : { customerId, state: 'active', changedAt: null, purgeAfter: null, purgedAt: null };
  }

  async set(
    customerId: string,
    state: 'active' | 'suspended' | 'terminated',
    at: Date,
    purgeAfter: Date | null,
  ): Promise<void> {
    if (state === 'active') {
      await this.store.db
        .deleteFrom('customer_lifecycle')
        .where('customer_id', '=', customerId)
        .execute();
      return;
    }
    const values = {
      state,
      changed_at: at.toISOString(),
      purge_after: purgeAfter?.toISOString() ?? null,
      purged_at: null,
    };
    await this.store.db
      .insertInto('customer_lifecycle')
      .values({ customer_id: customerId, ...values })
      .onConflict((oc) => oc.column('customer_id').doUpdateSet(values))
      .execute();
  }

  async markPurged(customerId: string, at: Date): Promise<void> {
    await this.store.db
      .updateTable('customer_lifecycle')
      .set({ purged_at: at.toISOString() })
      .where('customer_id', '=', customerId)
      .execute();
  }

  /** Terminated customers whose kept time is over and who are not purged yet. */
  async duePurges(now: Date): Promise<LifecycleStatus[]> {
    const rows = await this.store.db
      .selectFrom('customer_lifecycle')
      .selectAll()
      .where('state', '=', 'terminated')
      .where('purged_at', 'is', null)
      .where('purge_after', '<=', now.toISOString())
      .orderBy('purge_after')
      .execute();
    return rows.map(statusOf);
  }

  async audit(entry: {
    customerId: string;
    action: string;
    at: Date;
    actor: string;
    detail: unknown;
  }): Promise<void> {
    await this.store.db
      .insertInto('lifecycle_audit')
      .values({
        customer_id: entry.customerId,
        action: entry.action,
        at: entry.at.toISOString(),
        actor: entry.actor,
        detail: JSON.stringify(entry.detail ?? {}),
      })
      .execute();
  }

  async auditOf(customerId?: string): Promise<AuditEntry[]> {
    let query = this.store.db.selectFrom('lifecycle_audit').selectAll();
    if (customerId !== undefined) query = query.where('customer_id', '=', customerId);
    const rows = await query.orderBy('id').execute();
    return rows.map(entryOf);
  }
}

function statusOf(row: CustomerLifecycleRow): LifecycleStatus {
  return {
    customerId: row.customer_id,
    state: row.state,
    changedAt: row.changed_at,
    purgeAfter: row.purge_after,
    purgedAt: row.purged_at,
  };
}

function entryOf(row: LifecycleAuditRow): AuditEntry {
  let detail: unknown;
  try {
    detail = JSON.parse(row.detail);
  } catch {
    // A damaged detail still shows what it was.
    detail = row.detail;
  }
  return {
    id: row.id,
    customerId: row.customer_id,
    action: row.action,
    at: row.at,
    actor: row.actor,
    detail,
  };
}
