/**
 * The fleet's scheduler (issue 12): 100,000 schedules in PostgreSQL, every one left at the
 * default daily 02:00 UTC, each of another customer. The starts spread over the hour by the
 * customers' start minutes (src/schedule/next-run.ts), so the busiest tick of the hour starts
 * one tick's share of about 1,700 a minute, at most maxStartsPerTick of them; target ≤ 50 ms.
 *
 * The store is PostgreSQL at HOSTVAULT_BENCH_DATABASE_URL, else the local socket as root (as
 * scripts/test-postgres.sh reaches it), in a schema of its own, dropped at the end; without an
 * answering server the case reports nothing. The scheduler holds a planner lease (a row lease,
 * renewed before every tick as the service's timer would, outside the timed tick) and checks it
 * per batch. As in the `scheduler` case the enqueue only answers 'queued': creating the jobs is
 * the job store's cost, not the tick's.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { JobStore } from '../../src/job/job-store.js';
import { Keyring } from '../../src/repository/keyring.js';
import { nextRun, scheduleStartMinute } from '../../src/schedule/next-run.js';
import { RowLease } from '../../src/schedule/planner-lease.js';
import { ScheduleService } from '../../src/schedule/schedule-service.js';
import { DEFAULT_TICK_INTERVAL_MS, Scheduler } from '../../src/schedule/scheduler.js';
import { openStore, type Store } from '../../src/store/index.js';
import { median, waitForQuiet, type Sample, type StandaloneCase } from '../harness.js';

const COUNT = 100_000;
const URL_ =
  process.env.HOSTVAULT_BENCH_DATABASE_URL ??
  'postgresql://root@localhost/postgres?host=/var/run/postgresql';
/** From just before 02:00 to just after 03:00, a tick at the service's interval. */
const FROM = Date.parse('2025-03-10T01:59:40Z');
const TICKS = 2 + (3600_000 + 60_000) / DEFAULT_TICK_INTERVAL_MS;
const TARGET = { on: 'measured', op: '<=', value: 50 } as const;

export const schedulerFleet: StandaloneCase = {
  name: 'scheduler-fleet',
  standalone: true,
  async run(ctx) {
    const schema = `hvbench_${randomBytes(4).toString('hex')}`;
    let store: Store;
    try {
      store = await openStore({ url: URL_, schema, poolSize: 4 });
    } catch (error) {
      ctx.log(`scheduler-fleet: no PostgreSQL at ${URL_} (${String(error)}); case skipped`);
      return [];
    }
    try {
      const built = performance.now();
      const keyring = new Keyring(randomBytes(32));
      const stamp = new Date(FROM).toISOString();
      for (let i = 0; i < COUNT; i += 2000) {
        await store.db
          .insertInto('schedules')
          .values(
            Array.from({ length: Math.min(2000, COUNT - i) }, (_, k) => {
              const id = i + k + 1;
              const customerId = `c${id}`;
              const minute = scheduleStartMinute({ id, customerId });
              return {
                owner_kind: 'customer' as const,
                customer_id: customerId,
                name: `Schedule ${id}`,
                scope: 'full',
                frequency: 'daily',
                hour: 2,
                day: null,
                retention: 14,
                enabled: 1,
                next_run_at: nextRun(
                  { frequency: 'daily', hour: 2, minute },
                  new Date(FROM),
                ).toISOString(),
                created_at: stamp,
                updated_at: stamp,
              };
            }),
          )
          .execute();
      }
      await sql`analyze schedules`.execute(store.db);
      ctx.log(
        `scheduler-fleet: ${COUNT} schedules in PostgreSQL in ${((performance.now() - built) / 1000).toFixed(1)} s`,
      );
      const service = new ScheduleService({
        store,
        keyring,
        customers: { getCustomer: async () => undefined, getPackage: async () => undefined },
        jobs: new JobStore(store),
        localRepositoryDir: '/backup',
      });
      let t = FROM;
      const clock = { now: () => new Date(t) };
      const lease = new RowLease(store, { holder: 'bench', clock });
      const scheduler = new Scheduler({ store: service, enqueue: () => 'queued', clock, lease });
      const ms: number[] = [];
      let started = 0;
      let busiest = { due: 0, ms: 0, at: '' };
      let slowest = { due: 0, ms: 0, at: '' };
      const perMinute = new Map<string, number>();
      await waitForQuiet(ctx);
      for (let i = 0; i < TICKS; i++, t += DEFAULT_TICK_INTERVAL_MS) {
        if (!(await lease.renew())) throw new Error('the bench lost its planner lease');
        const before = performance.now();
        const report = await scheduler.tick();
        const took = performance.now() - before;
        if (report.failed.length)
          throw new Error(`tick failed: ${String(report.failed[0]?.error)}`);
        ms.push(took);
        started += report.queued.length;
        const at = new Date(t).toISOString().slice(11, 19);
        perMinute.set(at.slice(0, 5), (perMinute.get(at.slice(0, 5)) ?? 0) + report.queued.length);
        if (report.queued.length > busiest.due)
          busiest = { due: report.queued.length, ms: took, at };
        if (took > slowest.ms) slowest = { due: report.queued.length, ms: took, at };
      }
      if (started !== COUNT) throw new Error(`started ${started} of ${COUNT}`);
      const minutes = [...perMinute.values()].filter((n) => n > 0);
      ctx.log(
        `scheduler-fleet: ${started} started between 02:00 and 03:00; busiest tick ${busiest.due} at ${busiest.at} ` +
          `in ${busiest.ms.toFixed(1)} ms; slowest tick ${slowest.ms.toFixed(1)} ms (${slowest.due} at ${slowest.at}); ` +
          `median ${median(ms).toFixed(1)} ms; starts per minute ${Math.min(...minutes)}–${Math.max(...minutes)}`,
      );
      return [
        {
          case: 'scheduler tick, 100,000 at default 02:00 on PostgreSQL, slowest',
          measured: slowest.ms,
          unit: 'ms',
          target: TARGET,
          notes: `${slowest.due} started in that tick at ${slowest.at}; busiest ${busiest.due} in ${busiest.ms.toFixed(1)} ms; ${TICKS} ticks ${DEFAULT_TICK_INTERVAL_MS / 1000} s apart, median ${median(ms).toFixed(1)} ms; starts per minute ${Math.min(...minutes)}–${Math.max(...minutes)}; enqueue is a no-op`,
        },
      ] satisfies Sample[];
    } finally {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
      await store.close();
    }
  },
};
