/**
 * Seeded customers for the coverage view's test and bench: six made by hand, one per condition
 * the view counts, and any number of healthy ones beside them, written in batches straight into
 * the store's tables (as the services would have left them).
 */
import type { Store } from '../../src/store/index.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** What the view must find among the hand-made six, counted by hand. */
export const HAND_COUNT = {
  unscheduled: ['c-unscheduled'],
  overdue: ['c-overdue'],
  failed: ['c-failed'],
  partial: ['c-partial'],
  uncovered: ['c-uncovered'],
  // Every scheduled customer without a verified drill in the last 14 days.
  unverified: ['c-overdue', 'c-failed', 'c-partial', 'c-uncovered'],
  ok: ['c-verified'],
  /** c-verified's two successful backups added 100 and 50 bytes. */
  verifiedBytes: 150,
};

export async function seedCoverage(store: Store, now: Date, healthy = 0): Promise<void> {
  const at = (ms: number) => new Date(now.getTime() - ms).toISOString();
  const stamp = at(30 * DAY);
  await store.db
    .insertInto('packages')
    .values({
      id: 'basic',
      name: 'Basic',
      frequencies: '["hourly","daily","weekly"]',
      max_retention: 0,
      max_schedules: 0,
      storage_quota_bytes: null,
      created_at: stamp,
      updated_at: stamp,
    })
    .execute();
  const customer = (id: string, databases: string[] = []) => ({
    id,
    name: `Customer ${id}`,
    linux_user: 'web',
    uid: 2000,
    gid: 2000,
    package_id: 'basic',
    web_root: `/srv/www/${id}`,
    database_user: null,
    databases: JSON.stringify(databases),
    mailboxes: '[]',
    ssl_files: '[]',
    config_files: '[]',
    created_at: stamp,
    updated_at: stamp,
  });
  const schedule = (
    customerId: string,
    scope: string,
    last: { status: string | null; success: string | null; jobId?: number },
  ) => ({
    owner_kind: 'customer' as const,
    customer_id: customerId,
    name: `${scope} of ${customerId}`,
    scope,
    frequency: 'daily',
    hour: 2,
    day: null,
    retention: 7,
    enabled: 1,
    next_run_at: at(-DAY),
    last_job_id: last.jobId ?? null,
    last_status: last.status,
    last_success_at: last.success,
    created_at: stamp,
    updated_at: stamp,
  });
  const job = (
    customerId: string,
    status: 'successful' | 'failed',
    bytes: number,
    stats?: unknown,
  ) => ({
    type: 'backup' as const,
    status,
    trigger: 'schedule',
    customer_id: customerId,
    created_at: at(HOUR),
    finished_at: at(HOUR),
    bytes_added: status === 'successful' ? bytes : null,
    stats: stats === undefined ? null : JSON.stringify(stats),
  });

  await store.db
    .insertInto('customers')
    .values([
      customer('c-unscheduled'),
      customer('c-overdue'),
      customer('c-failed'),
      customer('c-partial'),
      customer('c-uncovered', ['shop']),
      customer('c-verified', ['shop']),
    ])
    .execute();
  const partialJob = await store.db
    .insertInto('jobs')
    .values(
      job('c-partial', 'successful', 10, [
        { filesNew: 1, unreadable: ['/srv/www/c-partial/locked.txt'] },
      ]),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  const okJob = await store.db
    .insertInto('jobs')
    .values(job('c-verified', 'successful', 100, [{ filesNew: 1, unreadable: [] }]))
    .returning('id')
    .executeTakeFirstOrThrow();
  await store.db
    .insertInto('jobs')
    .values([job('c-verified', 'successful', 50), job('c-failed', 'failed', 0)])
    .execute();
  await store.db
    .insertInto('schedules')
    .values([
      schedule('c-overdue', 'full', { status: 'successful', success: at(5 * DAY) }),
      schedule('c-failed', 'full', { status: 'failed', success: at(HOUR) }),
      schedule('c-partial', 'full', {
        status: 'successful',
        success: at(HOUR),
        jobId: partialJob.id,
      }),
      schedule('c-uncovered', 'web', { status: 'successful', success: at(HOUR) }),
      schedule('c-verified', 'full', { status: 'successful', success: at(HOUR), jobId: okJob.id }),
    ])
    .execute();
  await store.db
    .insertInto('drills')
    .values([
      drill('c-verified', 'verified', at(DAY)),
      // A failed drill and an old verified one do not make a customer verified.
      drill('c-failed', 'failed', at(DAY)),
      drill('c-overdue', 'verified', at(20 * DAY)),
    ])
    .execute();

  for (let start = 0; start < healthy; start += 500) {
    const ids = Array.from(
      { length: Math.min(500, healthy - start) },
      (_, i) => `h-${String(start + i).padStart(6, '0')}`,
    );
    await store.db
      .insertInto('customers')
      .values(ids.map((id) => customer(id, ['db1'])))
      .execute();
    await store.db
      .insertInto('schedules')
      .values(ids.map((id) => schedule(id, 'full', { status: 'successful', success: at(HOUR) })))
      .execute();
    await store.db
      .insertInto('jobs')
      .values(ids.map((id) => job(id, 'successful', 1000)))
      .execute();
    await store.db
      .insertInto('drills')
      .values(ids.map((id) => drill(id, 'verified', at(DAY))))
      .execute();
  }
}

function drill(customerId: string, status: 'verified' | 'failed', finishedAt: string) {
  return {
    job_id: null,
    snapshot_id: `${customerId}-snapshot`.padEnd(16, '0'),
    repository_id: 1,
    customer_id: customerId,
    status,
    finished_at: finishedAt,
    files_compared: 3,
    databases_compared: 1,
    difference: status === 'failed' ? 'file /x: content differs' : null,
  };
}
