/**
 * The store-backed implementations of the API's small interfaces that no service owns yet:
 * health and job metrics.
 */
import { sql, SqliteAdapter } from 'kysely';
import type { Store } from '../store/index.js';
import type { HealthCheck, JobMetricsSource } from './deps.js';
import { DURATION_BUCKETS, type JobMetrics } from './metrics.js';

export function storeHealth(store: Store): HealthCheck {
  return {
    async check() {
      await sql`select 1`.execute(store.db);
    },
  };
}

/** Three grouped queries; the duration buckets are summed in SQL, not by reading every job. */
export function storeJobMetrics(store: Store): JobMetricsSource {
  const sqlite = store.db.getExecutor().adapter instanceof SqliteAdapter;
  // Seconds between two ISO 8601 text timestamps, in each dialect the store may run on.
  const seconds = sqlite
    ? sql<number>`((julianday(finished_at) - julianday(started_at)) * 86400.0)`
    : sql<number>`extract(epoch from (finished_at::timestamptz - started_at::timestamptz))`;
  return {
    async collect(): Promise<JobMetrics> {
      const db = store.db;
      const jobs = await db
        .selectFrom('jobs')
        .select(['type', 'status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['type', 'status'])
        .execute();
      const durationRows = await db
        .selectFrom(
          db
            .selectFrom('jobs')
            .select(['type', seconds.as('d')])
            .where('started_at', 'is not', null)
            .where('finished_at', 'is not', null)
            .as('f'),
        )
        .select((eb) => [
          'f.type',
          eb.fn.countAll<number>().as('n'),
          sql<number>`coalesce(sum(f.d), 0)`.as('total'),
          ...DURATION_BUCKETS.map((le, i) =>
            sql<number>`sum(case when f.d <= ${sql.lit(le)} then 1 else 0 end)`.as(`b${i}`),
          ),
        ])
        .groupBy('f.type')
        .execute();
      const bytes = await db
        .selectFrom('jobs')
        .select(['type', sql<number>`coalesce(sum(bytes_added), 0)`.as('bytes')])
        .groupBy('type')
        .execute();
      return {
        jobs: jobs.map((r) => ({ type: r.type, status: r.status, count: Number(r.n) })),
        durations: durationRows.map((r) => {
          const row = r as unknown as Record<string, unknown>;
          return {
            type: String(row.type),
            count: Number(row.n),
            sumSeconds: Math.max(0, Number(row.total)),
            buckets: DURATION_BUCKETS.map((_, i) => Number(row[`b${i}`] ?? 0)),
          };
        }),
        bytesAdded: bytes.map((r) => ({ type: r.type, bytes: Number(r.bytes) })),
      };
    },
  };
}
