import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { JobStore } from '../job/job-store.js';
import { Keyring } from '../repository/keyring.js';
import type { Store } from '../store/index.js';
import { openStore } from '../store/index.js';
import { customerScheduleRows } from '../../test/support/schedule-rows.js';
import { openTestStore } from '../../test/support/store.js';
import { nextRun, scheduleStartMinute } from './next-run.js';
import { plannerLease, RowLease, soleLease } from './planner-lease.js';
import { ScheduleService } from './schedule-service.js';
import { Scheduler, type ScheduleStore } from './scheduler.js';

/** One clock for every controller of a test, moved by hand. */
class FakeClock {
  t: number;
  constructor(iso: string) {
    this.t = Date.parse(iso);
  }
  now = (): Date => new Date(this.t);
}

const opened: Store[] = [];
after(() => Promise.all(opened.map((store) => store.close())));

/**
 * The test store of the run (PostgreSQL in scripts/test-postgres.sh, where controllers share one):
 * the row lease is used directly, as plannerLease would give it on PostgreSQL.
 */
async function store(): Promise<Store> {
  const s = await openTestStore();
  opened.push(s);
  return s;
}

const LEASE = { ttlMs: 15_000, renewEveryMs: 3_000, marginMs: 3_000 };

describe('planner lease', () => {
  test('of two controllers exactly one holds it; renewals keep it', async () => {
    const s = await store();
    const clock = new FakeClock('2025-03-10T12:00:00Z');
    const changes: string[] = [];
    const a = new RowLease(s, {
      ...LEASE,
      holder: 'a',
      clock,
      onChange: (held, term) => changes.push(`a ${held} ${term}`),
    });
    const b = new RowLease(s, { ...LEASE, holder: 'b', clock });
    assert.deepEqual(await Promise.all([a.renew(), b.renew()]).then((r) => r.sort()), [
      false,
      true,
    ]);
    const [holder, standBy] = a.held() ? [a, b] : [b, a];
    assert.equal(standBy.held(), false);
    for (let i = 0; i < 20; i++) {
      clock.t += 3_000;
      assert.equal(await holder.renew(), true);
      assert.equal(await standBy.renew(), false);
    }
    const row = await s.db.selectFrom('planner_leases').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.holder, holder.holder);
    assert.equal(row.term, 1);
    assert.deepEqual(changes, holder === a ? ['a true 1'] : []);
  });

  test('a holder that stops renewing is replaced within 30 s, and stops planning first', async () => {
    const s = await store();
    const clock = new FakeClock('2025-03-10T12:00:00Z');
    const a = new RowLease(s, { ...LEASE, holder: 'a', clock });
    const b = new RowLease(s, { ...LEASE, holder: 'b', clock });
    assert.equal(await a.renew(), true);
    const died = clock.t;
    // a is dead: only b tries, every 3 s.
    let aStopped: number | undefined;
    while (!(await b.renew())) {
      if (aStopped === undefined && !a.held()) aStopped = clock.t;
      clock.t += 1_000;
      if (clock.t - died > 60_000) assert.fail('b never took the lease');
    }
    const tookOver = clock.t - died;
    assert.ok(tookOver <= 30_000, `took over after ${tookOver} ms`);
    assert.ok(tookOver > 15_000 - 1_000, `not before the lease expired (${tookOver} ms)`);
    // The dead holder's own deadline passed before b took over: never two planners at once.
    assert.ok(aStopped !== undefined && aStopped < died + tookOver);
    assert.equal(a.held(), false);
    // Back from the dead, a finds the lease taken and plans no more.
    assert.equal(await a.renew(), false);
    const row = await s.db.selectFrom('planner_leases').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual([row.holder, row.term], ['b', 2]);
  });

  test('stop() releases it: the stand-by takes it at its next try', async () => {
    const s = await store();
    const clock = new FakeClock('2025-03-10T12:00:00Z');
    const a = new RowLease(s, { ...LEASE, holder: 'a', clock });
    const b = new RowLease(s, { ...LEASE, holder: 'b', clock });
    assert.equal(await a.renew(), true);
    assert.equal(await b.renew(), false);
    await a.stop();
    assert.equal(a.held(), false);
    assert.equal(await b.renew(), true);
  });

  test('a renewal that fails keeps the lease until its deadline, then it is lost', async () => {
    const s = await store();
    const clock = new FakeClock('2025-03-10T12:00:00Z');
    const errors: unknown[] = [];
    const changes: boolean[] = [];
    const broken = { ...s, db: s.db };
    const a = new RowLease(broken, {
      ...LEASE,
      holder: 'a',
      clock,
      onError: (error) => errors.push(error),
      onChange: (held) => changes.push(held),
    });
    assert.equal(await a.renew(), true);
    // The store goes away: every statement fails.
    broken.db = new Proxy(s.db, {
      get: (target, key) =>
        key === 'insertInto'
          ? () => {
              throw new Error('connection refused');
            }
          : Reflect.get(target, key),
    });
    clock.t += 3_000;
    assert.equal(await a.renew(), true);
    clock.t += 9_000; // 12 s after the last renewal: the lease's 15 s less its 3 s margin
    assert.equal(await a.renew(), false);
    assert.equal(errors.length, 2);
    assert.deepEqual(changes, [true, false]);
  });

  test('SQLite: one process, trivially held', async () => {
    const s = await openStore({ memory: true });
    opened.push(s);
    const lease = plannerLease(s);
    assert.equal(lease.held(), true);
    assert.equal(await lease.renew(), true);
    assert.equal(soleLease().held(), true);
  });

  test('refuses a renewal interval that would let the lease lapse between two renewals', () => {
    assert.throws(
      () => new RowLease({} as Store, { ttlMs: 10_000, renewEveryMs: 9_000, marginMs: 2_000 }),
      /renewed more often than it lasts/,
    );
  });
});

describe('two schedulers on one store, a handover in the middle of the night', () => {
  test('every slot of six hours starts exactly once, the 02:00 ones across the handover', async () => {
    const s = await store();
    const clock = new FakeClock('2025-03-10T00:00:05Z');
    const keyring = new Keyring(Buffer.alloc(32, 7));
    const controller = (holder: string) => {
      const jobs = new JobStore(s, clock.now);
      const schedules = new ScheduleService({
        store: s,
        keyring,
        customers: { getCustomer: async () => undefined, getPackage: async () => undefined },
        jobs,
        localRepositoryDir: '/var/backups/hostvault',
        now: clock.now,
      });
      // Renewed every 10 s, the test's step; a stand-by takes over at most 20 + 10 s after.
      const lease = new RowLease(s, {
        ttlMs: 20_000,
        renewEveryMs: 10_000,
        marginMs: 4_000,
        holder,
        clock,
      });
      return { jobs, schedules, lease };
    };
    const a = controller('a');
    const b = controller('b');
    // From 02:30 on, a dies in the first tick that starts something: its jobs are made, the
    // record of their starts never is (a kill between the two). The daily schedules start over
    // the hour from 02:00, so the handover falls among their starts. Six hours, not a whole day:
    // each simulated 10 s is a few queries on PostgreSQL, and the day took minutes of the suite.
    const handover = Date.parse('2025-03-10T02:30:00Z');
    let aDead = false;
    let diedAt = 0;
    let leftDue: number[] = [];
    const aStore: ScheduleStore = {
      findDue: (now, limit) => a.schedules.findDue(now, limit),
      markStarted: (id, next) => a.schedules.markStarted(id, next),
      markStartedMany: async (starts) => {
        if (clock.t >= handover && starts.length > 0) {
          aDead = true;
          diedAt = clock.t;
          leftDue = starts.map((start) => start.id);
          throw new Error('killed');
        }
        await a.schedules.markStartedMany(starts);
      },
    };
    const scheduler = (c: typeof a, store: ScheduleStore) =>
      new Scheduler({
        store,
        enqueue: (id, _reason, slot) => c.schedules.enqueueScheduled(id, slot),
        clock,
        lease: c.lease,
      });
    const aScheduler = scheduler(a, aStore);
    const bScheduler = scheduler(b, b.schedules);

    // 40 customers' hourly schedules and 20 daily ones at the default 02:00, each at its
    // customer's minute.
    const rows = customerScheduleRows({ hourly: 40, daily: 20 }, clock.now());
    await s.db.insertInto('schedules').values(rows).execute();

    // A worker that runs every job at once: a slot's job has long finished when a planner that
    // took over looks at the slot, so only the slot's record keeps it from running again.
    const work = async () => {
      while (
        await a.jobs
          .claimNext()
          .then((job) => job && a.jobs.finish(job.id, { status: 'successful' }))
      );
    };
    const end = Date.parse('2025-03-10T06:00:00Z');
    const planners = new Set<string>();
    const startedAgain = new Set<number>();
    let handedOver: number | undefined;
    for (let step = 0; clock.t < end; step++, clock.t += 10_000) {
      if (!aDead) await a.lease.renew();
      await b.lease.renew();
      assert.ok(!(a.lease.held() && b.lease.held()), 'two planners at once');
      if (handedOver === undefined && aDead && b.lease.held()) handedOver = clock.t;
      // Ticks every 30 s (coarser than the service's 5 s, to keep the simulated hours short); a dead
      // controller ticks no more.
      if (step % 3 !== 0) continue;
      const [ra, rb] = await Promise.all([
        aDead ? undefined : aScheduler.tick(),
        bScheduler.tick(),
      ]);
      if (ra?.queued.length) planners.add('a');
      if (rb.queued.length) planners.add('b');
      for (const id of rb.alreadyStarted) startedAgain.add(id);
      await work();
    }
    assert.deepEqual([...planners].sort(), ['a', 'b']);
    assert.ok(leftDue.length > 0, 'a died between making jobs and recording their starts');
    assert.ok(handedOver !== undefined && handedOver - diedAt <= 30_000);
    // b found those slots due and their jobs finished: it recorded them, started none again.
    assert.deepEqual([...startedAgain].sort(), [...leftDue].sort());

    const made = await s.db
      .selectFrom('jobs')
      .select(['schedule_id', 'slot', 'status'])
      .orderBy('id')
      .execute();
    for (const row of rows) {
      const minute = scheduleStartMinute({ id: row.id, customerId: row.customer_id });
      const expected: string[] = [];
      for (
        let t = nextRun(
          { frequency: row.frequency, hour: 2, minute },
          new Date('2025-03-10T00:00:05Z'),
        );
        t.getTime() < end;
        t = nextRun({ frequency: row.frequency, hour: 2, minute }, t)
      )
        expected.push(t.toISOString());
      const slots = made.filter((j) => j.schedule_id === row.id).map((j) => j.slot);
      assert.deepEqual(slots, expected, `schedule ${row.id} (${row.frequency} at :${minute})`);
    }
    assert.equal(made.length, 40 * 6 + 20);
    assert.ok(made.every((j) => j.status === 'successful'));
  });
});
