import assert from 'node:assert/strict';
import { after, describe, mock, test } from 'node:test';
import { CompiledQuery, type KyselyPlugin, type RootOperationNode } from 'kysely';
import type { Frequency } from '../inventory/schema.js';
import { JobStore } from '../job/job-store.js';
import { Keyring } from '../repository/keyring.js';
import { openStore, type Store } from '../store/index.js';
import { openTestStore } from '../../test/support/store.js';
import { nextRun, startMinute } from './next-run.js';
import { ScheduleService } from './schedule-service.js';
import {
  Scheduler,
  type EnqueueResult,
  type ScheduleId,
  type ScheduleStore,
  type SchedulerOptions,
} from './scheduler.js';

/** A clock the test moves by hand. */
class FakeClock {
  #t: number;
  constructor(iso: string) {
    this.#t = Date.parse(iso);
  }
  now = (): Date => new Date(this.#t);
  set(iso: string): void {
    this.#t = Date.parse(iso);
  }
  advance(ms: number): void {
    this.#t += ms;
  }
}

/**
 * The job queue as the scheduler sees it: one pending or running job per schedule at most. It is
 * also where a start is recorded (the job's creation time); the schedule keeps only its next run.
 */
class FakeQueue {
  readonly active = new Set<ScheduleId>();
  readonly started: { id: ScheduleId; at: Date }[] = [];
  constructor(private readonly clock: FakeClock) {}
  enqueue = (id: ScheduleId, reason: 'schedule'): EnqueueResult => {
    assert.equal(reason, 'schedule');
    if (this.active.has(id)) return 'already-running';
    this.active.add(id);
    this.started.push({ id, at: this.clock.now() });
    return 'queued';
  };
  finish(id: ScheduleId): void {
    this.active.delete(id);
  }
  finishAll(): void {
    this.active.clear();
  }
}

interface NewSchedule {
  id: ScheduleId;
  frequency: Frequency;
  hour: number;
  day?: number | null;
  enabled?: boolean;
  nextRunAt: Date;
  /** Default ON_THE_HOUR. */
  customerId?: string;
}

/**
 * The customer of these tests' schedules: one whose start minute (next-run.ts, startMinute) is 0,
 * so their slots fall on whole hours and the tests read as the policy they check.
 */
const ON_THE_HOUR = 'c24';
assert.equal(startMinute(ON_THE_HOUR), 0);

const opened: Store[] = [];
after(() => Promise.all(opened.map((store) => store.close())));

/**
 * The production store, ScheduleService over the service's SQLite store (in memory, through the
 * real migrations): the scheduler has no other store. `add` and `nextRunOf` reach the schedules
 * table directly, as the API's create and edit would leave it.
 */
async function openSchedules(capture?: KyselyPlugin, sqlite = false) {
  // The query-plan test reads SQLite's plan, and the mocked-timer test counts event-loop turns,
  // which only an in-process store answers within; every other test runs on the test store of
  // the run (PostgreSQL in scripts/test-postgres.sh).
  const store = capture || sqlite ? await openStore({ memory: true }) : await openTestStore();
  opened.push(store);
  const service = new ScheduleService({
    store: capture ? { ...store, db: store.db.withPlugin(capture) } : store,
    keyring: new Keyring(Buffer.alloc(32, 7)),
    customers: { getCustomer: async () => undefined, getPackage: async () => undefined },
    jobs: new JobStore(store),
    localRepositoryDir: '/var/backups/hostvault',
  });
  const stamp = '2025-03-01T00:00:00.000Z';
  const add = async (...schedules: NewSchedule[]): Promise<void> => {
    await store.db
      .insertInto('schedules')
      .values(
        schedules.map((s) => ({
          id: s.id,
          owner_kind: 'customer' as const,
          customer_id: s.customerId ?? ON_THE_HOUR,
          name: `schedule ${s.id}`,
          scope: 'full',
          frequency: s.frequency,
          hour: s.hour,
          day: s.day ?? null,
          retention: 7,
          enabled: s.enabled === false ? 0 : 1,
          next_run_at: s.nextRunAt.toISOString(),
          created_at: stamp,
          updated_at: stamp,
        })),
      )
      .execute();
  };
  const nextRunOf = async (id: ScheduleId): Promise<string | null | undefined> =>
    (
      await store.db
        .selectFrom('schedules')
        .select('next_run_at')
        .where('id', '=', id)
        .executeTakeFirst()
    )?.next_run_at;
  return { db: store.db, service, add, nextRunOf };
}

async function setup(now: string, options: Partial<SchedulerOptions> = {}, sqlite = false) {
  const clock = new FakeClock(now);
  const schedules = await openSchedules(undefined, sqlite);
  const queue = new FakeQueue(clock);
  const scheduler = new Scheduler({
    store: schedules.service,
    enqueue: queue.enqueue,
    clock,
    ...options,
  });
  return { clock, queue, scheduler, ...schedules };
}

const iso = (d: Date | undefined): string | undefined => d?.toISOString();

describe('due schedules', () => {
  test('start at their slot, once, and move to the next slot', async () => {
    const { clock, add, nextRunOf, queue, scheduler } = await setup('2025-03-10T01:59:30Z');
    await add({ id: 1, frequency: 'daily', hour: 2, nextRunAt: new Date('2025-03-10T02:00:00Z') });

    assert.deepEqual((await scheduler.tick()).queued, []);
    clock.set('2025-03-10T02:00:00Z');
    const report = await scheduler.tick();
    assert.deepEqual(report.queued, [1]);
    assert.equal(report.maxLatenessMs, 0);
    assert.equal(await nextRunOf(1), '2025-03-11T02:00:00.000Z');
    // The start is recorded by the job the enqueue created, at the tick's time.
    assert.deepEqual(
      queue.started.map((s) => [s.id, iso(s.at)]),
      [[1, '2025-03-10T02:00:00.000Z']],
    );

    queue.finishAll();
    clock.advance(30_000);
    assert.deepEqual((await scheduler.tick()).queued, []);
    assert.equal(queue.started.length, 1);
  });

  test('disabled schedules never start', async () => {
    const { add, queue, scheduler } = await setup('2025-03-10T05:00:00Z');
    // A next run in the past: only the enabled flag keeps it from starting.
    await add({
      id: 1,
      enabled: false,
      frequency: 'hourly',
      hour: 0,
      nextRunAt: new Date('2025-03-10T04:00:00Z'),
    });
    await scheduler.tick();
    assert.equal(queue.started.length, 0);
  });

  test('ticking every 30 s for 3 days: every slot starts once, within a minute', async () => {
    const { clock, add, nextRunOf, queue, scheduler } = await setup('2025-02-27T00:00:10Z');
    const schedules = [
      { id: 1, frequency: 'hourly', hour: 2, day: null },
      { id: 2, frequency: 'daily', hour: 23, day: null },
      { id: 3, frequency: 'weekly', hour: 0, day: 6 }, // Saturday 2025-03-01
      { id: 4, frequency: 'monthly', hour: 2, day: 31 }, // 2025-02-28, February's last day
    ] as const;
    for (const s of schedules) await add({ ...s, nextRunAt: nextRun(s, clock.now()) });

    for (let i = 0; i < 3 * 24 * 120; i++) {
      clock.advance(30_000);
      const report = await scheduler.tick();
      assert.ok(report.maxLatenessMs < 60_000);
      queue.finishAll();
    }
    const startsOf = (id: number) =>
      queue.started.filter((s) => s.id === id).map((s) => s.at.toISOString().slice(0, 16));
    assert.equal(startsOf(1).length, 72);
    assert.ok(startsOf(1).every((t) => t.endsWith(':00')));
    assert.deepEqual(startsOf(2), ['2025-02-27T23:00', '2025-02-28T23:00', '2025-03-01T23:00']);
    assert.deepEqual(startsOf(3), ['2025-03-01T00:00']);
    assert.deepEqual(startsOf(4), ['2025-02-28T02:00']);
    assert.equal(await nextRunOf(4), '2025-03-31T02:00:00.000Z');
  });
});

describe('after downtime', () => {
  test('a missed schedule runs once, not once per missed slot, and moves on from now', async () => {
    const { clock, add, nextRunOf, queue, scheduler } = await setup('2025-03-10T00:00:00Z');
    await add(
      { id: 1, frequency: 'hourly', hour: 0, nextRunAt: new Date('2025-03-07T01:00:00Z') },
      { id: 2, frequency: 'daily', hour: 2, nextRunAt: new Date('2025-03-01T02:00:00Z') },
      { id: 3, frequency: 'weekly', hour: 2, day: 1, nextRunAt: new Date('2025-02-03T02:00:00Z') },
      {
        id: 4,
        frequency: 'monthly',
        hour: 2,
        day: 31,
        nextRunAt: new Date('2024-10-31T02:00:00Z'),
      },
    );
    // The service comes back on 2025-03-10 at 09:17 (a Monday).
    clock.set('2025-03-10T09:17:00Z');
    const report = await scheduler.tick();
    assert.deepEqual(report.queued, [4, 3, 2, 1]); // most overdue first
    assert.equal(
      report.maxLatenessMs,
      Date.parse('2025-03-10T09:17:00Z') - Date.parse('2024-10-31T02:00:00Z'),
    );
    assert.equal(await nextRunOf(1), '2025-03-10T10:00:00.000Z');
    assert.equal(await nextRunOf(2), '2025-03-11T02:00:00.000Z');
    assert.equal(await nextRunOf(3), '2025-03-17T02:00:00.000Z');
    assert.equal(await nextRunOf(4), '2025-03-31T02:00:00.000Z');

    queue.finishAll();
    clock.advance(60_000);
    await scheduler.tick();
    assert.equal(queue.started.length, 4);
  });

  test('more due schedules than one batch: each starts once in the same tick', async () => {
    const { add, service, queue, scheduler } = await setup('2025-03-10T12:00:00Z', {
      batchSize: 100,
    });
    const findDue = mock.method(service, 'findDue');
    await add(
      ...Array.from({ length: 250 }, (_, i) => ({
        id: i + 1,
        frequency: 'daily' as const,
        hour: 2,
        nextRunAt: new Date('2025-03-10T02:00:00Z'),
      })),
    );
    const report = await scheduler.tick();
    assert.equal(report.queued.length, 250);
    assert.equal(new Set(queue.started.map((s) => s.id)).size, 250);
    assert.equal(findDue.mock.callCount(), 3);
  });
});

describe('one schedule never runs twice at once', () => {
  test('a schedule still running at its next slot skips that slot', async () => {
    const { clock, add, nextRunOf, queue, scheduler } = await setup('2025-03-10T10:00:00Z');
    await add({ id: 1, frequency: 'hourly', hour: 0, nextRunAt: new Date('2025-03-10T10:00:00Z') });
    assert.deepEqual((await scheduler.tick()).queued, [1]);

    // The backup is still running at 11:00.
    clock.set('2025-03-10T11:00:05Z');
    const report = await scheduler.tick();
    assert.deepEqual(report.queued, []);
    assert.deepEqual(report.alreadyRunning, [1]);
    assert.equal(await nextRunOf(1), '2025-03-10T12:00:00.000Z');
    assert.equal(queue.started.length, 1);

    // Nor does a later tick in the same slot try again.
    clock.set('2025-03-10T11:00:35Z');
    assert.deepEqual(await scheduler.tick().then((r) => r.alreadyRunning), []);

    queue.finish(1);
    clock.set('2025-03-10T12:00:00Z');
    assert.deepEqual((await scheduler.tick()).queued, [1]);
    assert.equal(queue.started.length, 2);
  });

  test('overlapping tick() calls share one tick', async () => {
    const { add, queue, scheduler } = await setup('2025-03-10T10:00:00Z');
    await add({ id: 1, frequency: 'hourly', hour: 0, nextRunAt: new Date('2025-03-10T10:00:00Z') });
    const [a, b] = await Promise.all([scheduler.tick(), scheduler.tick()]);
    assert.equal(a, b);
    assert.equal(queue.started.length, 1);
  });

  test('two schedulers on one store (two processes) start it once', async () => {
    const clock = new FakeClock('2025-03-10T10:00:00Z');
    const { add, service } = await openSchedules();
    const queue = new FakeQueue(clock);
    await add({ id: 1, frequency: 'hourly', hour: 0, nextRunAt: new Date('2025-03-10T10:00:00Z') });
    // Both read the store before either writes (each waits for the other's read): the job
    // queue's answer keeps it to one job.
    let arrived = 0;
    let bothRead!: () => void;
    const barrier = new Promise<void>((resolve) => (bothRead = resolve));
    const slowStore: ScheduleStore = {
      findDue: async (now, limit) => {
        const due = await service.findDue(now, limit);
        if (++arrived === 2) bothRead();
        await barrier;
        return due;
      },
      markStarted: (id, next) => service.markStarted(id, next),
    };
    const one = new Scheduler({ store: slowStore, enqueue: queue.enqueue, clock });
    const two = new Scheduler({ store: slowStore, enqueue: queue.enqueue, clock });
    const [r1, r2] = await Promise.all([one.tick(), two.tick()]);
    assert.deepEqual([...r1.queued, ...r2.queued], [1]);
    assert.deepEqual([...r1.alreadyRunning, ...r2.alreadyRunning], [1]);
    assert.equal(queue.started.length, 1);
  });

  test('a crash between enqueue and markStarted does not start it twice', async () => {
    const clock = new FakeClock('2025-03-10T10:00:30Z');
    const { add, nextRunOf, service } = await openSchedules();
    const queue = new FakeQueue(clock);
    await add({ id: 1, frequency: 'hourly', hour: 0, nextRunAt: new Date('2025-03-10T10:00:00Z') });
    let crash = true;
    const flakyStore: ScheduleStore = {
      findDue: (now, limit) => service.findDue(now, limit),
      markStarted: async (id, next) => {
        if (crash) throw new Error('database is locked');
        await service.markStarted(id, next);
      },
    };
    const errors: unknown[] = [];
    const scheduler = new Scheduler({
      store: flakyStore,
      enqueue: queue.enqueue,
      clock,
      onError: (error) => errors.push(error),
    });
    const first = await scheduler.tick();
    assert.equal(first.failed.length, 1);
    assert.equal(errors.length, 1);
    assert.equal(await nextRunOf(1), '2025-03-10T10:00:00.000Z'); // still due

    crash = false;
    clock.advance(30_000);
    const second = await scheduler.tick();
    assert.deepEqual(second.alreadyRunning, [1]);
    assert.equal(queue.started.length, 1);
    assert.equal(await nextRunOf(1), '2025-03-10T11:00:00.000Z');
  });

  test('a batch whose record fails stays due and is not started twice', async () => {
    const clock = new FakeClock('2025-03-10T02:00:30Z');
    const { add, nextRunOf, service } = await openSchedules();
    const queue = new FakeQueue(clock);
    for (let id = 1; id <= 3; id++) {
      await add({ id, frequency: 'daily', hour: 2, nextRunAt: new Date('2025-03-10T02:00:00Z') });
    }
    let fail = true;
    const flaky: ScheduleStore = {
      findDue: (now, limit) => service.findDue(now, limit),
      markStarted: () => Promise.reject(new Error('not used when markStartedMany exists')),
      markStartedMany: async (starts) => {
        if (fail) throw new Error('database is locked');
        await service.markStartedMany(starts);
      },
    };
    const scheduler = new Scheduler({ store: flaky, enqueue: queue.enqueue, clock });
    const first = await scheduler.tick();
    assert.deepEqual(
      first.failed.map((f) => f.id),
      [1, 2, 3],
    );
    assert.equal(await nextRunOf(1), '2025-03-10T02:00:00.000Z');

    fail = false;
    clock.advance(30_000);
    const second = await scheduler.tick();
    assert.deepEqual(second.alreadyRunning, [1, 2, 3]);
    assert.equal(queue.started.length, 3);
    assert.equal(await nextRunOf(3), '2025-03-11T02:00:00.000Z');
  });
});

describe('failures', () => {
  test('one schedule failing to enqueue does not hold up the others and is retried', async () => {
    const clock = new FakeClock('2025-03-10T02:00:10Z');
    const { add, service } = await openSchedules();
    const queue = new FakeQueue(clock);
    let refuse = true;
    const scheduler = new Scheduler({
      store: service,
      clock,
      batchSize: 2,
      enqueue: (id, reason) => {
        if (id === 1 && refuse) throw new Error('queue unavailable');
        return queue.enqueue(id, reason);
      },
    });
    for (let id = 1; id <= 5; id++) {
      await add({ id, frequency: 'daily', hour: 2, nextRunAt: new Date('2025-03-10T02:00:00Z') });
    }
    const first = await scheduler.tick();
    assert.deepEqual(first.queued, [2, 3, 4, 5]);
    assert.deepEqual(
      first.failed.map((f) => f.id),
      [1],
    );

    refuse = false;
    clock.advance(30_000);
    assert.deepEqual((await scheduler.tick()).queued, [1]);
  });

  test('a tick starts at most maxStartsPerTick, the most overdue first; the next ticks start the rest once', async () => {
    const { clock, add, queue, scheduler } = await setup('2025-03-10T02:00:10Z', {
      batchSize: 2,
      maxStartsPerTick: 3,
    });
    for (let id = 1; id <= 7; id++) {
      // id 7 is the most overdue, id 1 the least.
      await add({
        id,
        frequency: 'daily',
        hour: 2,
        nextRunAt: new Date(Date.UTC(2025, 2, 10, 2, 0, 0) - id * 60_000),
      });
    }
    assert.deepEqual((await scheduler.tick()).queued, [7, 6, 5]);
    clock.advance(30_000);
    assert.deepEqual((await scheduler.tick()).queued, [4, 3, 2]);
    clock.advance(30_000);
    assert.deepEqual((await scheduler.tick()).queued, [1]);
    clock.advance(30_000);
    assert.deepEqual((await scheduler.tick()).queued, []);
    assert.equal(queue.started.length, 7);
  });

  test('a tick whose every due schedule fails stops instead of spinning', async () => {
    const clock = new FakeClock('2025-03-10T02:00:10Z');
    const { add, service } = await openSchedules();
    const enqueue = mock.fn((): EnqueueResult => {
      throw new Error('queue unavailable');
    });
    const scheduler = new Scheduler({ store: service, clock, batchSize: 2, enqueue });
    for (let id = 1; id <= 5; id++) {
      await add({ id, frequency: 'daily', hour: 2, nextRunAt: new Date('2025-03-10T02:00:00Z') });
    }
    const report = await scheduler.tick();
    assert.equal(report.failed.length, 2);
    assert.equal(enqueue.mock.callCount(), 2);
  });

  test('a schedule whose timing is broken is reported and never enqueued', async () => {
    const { add, queue, scheduler } = await setup('2025-03-10T02:00:10Z');
    await add(
      { id: 1, frequency: 'weekly', hour: 2, day: 9, nextRunAt: new Date(0) },
      { id: 2, frequency: 'daily', hour: 2, nextRunAt: new Date(0) },
    );
    const report = await scheduler.tick();
    assert.deepEqual(
      report.failed.map((f) => f.id),
      [1],
    );
    assert.deepEqual(report.queued, [2]);
    assert.deepEqual(
      queue.started.map((s) => s.id),
      [2],
    );
  });

  test('a failing store rejects tick()', async () => {
    const scheduler = new Scheduler({
      store: {
        findDue: () => Promise.reject(new Error('disk I/O error')),
        markStarted: () => Promise.resolve(),
      },
      enqueue: () => 'queued',
    });
    await assert.rejects(scheduler.tick(), /disk I\/O error/);
  });
});

test('start() ticks at once and then every interval; stop() ends it (mocked timers)', async () => {
  // Before the timers are mocked: opening the store and its migrations need none, but stay clear.
  const { clock, add, queue, scheduler } = await setup('2025-03-10T10:00:00Z', {}, true);
  await add({ id: 1, frequency: 'hourly', hour: 0, nextRunAt: new Date('2025-03-10T10:00:00Z') });
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const tick = mock.method(scheduler, 'tick');
    // The store answers through promises, so a tick needs a few turns of the event loop.
    const settle = async () => {
      for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    };

    scheduler.start(30_000);
    await settle();
    assert.equal(tick.mock.callCount(), 1);
    assert.equal(queue.started.length, 1);

    queue.finishAll();
    clock.set('2025-03-10T11:00:00Z');
    mock.timers.tick(30_000);
    await settle();
    assert.equal(tick.mock.callCount(), 2);
    assert.equal(queue.started.length, 2);

    await scheduler.stop();
    mock.timers.tick(300_000);
    await settle();
    assert.equal(tick.mock.callCount(), 2);
  } finally {
    mock.timers.reset();
  }
});

describe("the service's store (ScheduleService)", () => {
  test('finds due enabled schedules, earliest first, and catches up once', async () => {
    const { clock, add, nextRunOf, queue, service, scheduler } =
      await setup('2025-03-10T09:17:00Z');
    await add(
      { id: 1, frequency: 'hourly', hour: 0, nextRunAt: new Date('2025-03-07T01:00:00.000Z') },
      { id: 2, frequency: 'monthly', hour: 2, day: 31, nextRunAt: new Date('2024-10-31T02:00Z') },
      {
        id: 3,
        enabled: false,
        frequency: 'daily',
        hour: 2,
        nextRunAt: new Date('2025-03-01T02:00Z'),
      },
      { id: 4, frequency: 'daily', hour: 2, nextRunAt: new Date('2025-03-11T02:00Z') }, // not yet due
      { id: 5, frequency: 'weekly', hour: 9, day: 1, nextRunAt: new Date('2025-03-10T09:17Z') }, // due exactly now
    );

    const due = await service.findDue(clock.now(), 10);
    assert.deepEqual(
      due.map((d) => d.id),
      [2, 1, 5],
    );
    assert.deepEqual(due[0], {
      id: 2,
      nextRunAt: new Date('2024-10-31T02:00:00Z'),
      frequency: 'monthly',
      hour: 2,
      day: 31,
      minute: 0,
    });
    assert.deepEqual(
      (await service.findDue(clock.now(), 1)).map((d) => d.id),
      [2],
    );

    assert.deepEqual((await scheduler.tick()).queued, [2, 1, 5]);
    assert.equal(await nextRunOf(1), '2025-03-10T10:00:00.000Z');
    assert.equal(await nextRunOf(2), '2025-03-31T02:00:00.000Z');
    assert.equal(await nextRunOf(5), '2025-03-17T09:00:00.000Z');
    queue.finishAll();
    assert.deepEqual((await scheduler.tick()).queued, []);
  });

  test('schedules due at the same time come in id order', async () => {
    const { add, service } = await setup('2025-03-10T02:00:30Z');
    // Inserted out of order, so the answer's order is not just the order of insertion.
    for (const id of [5, 2, 4, 1, 3]) {
      await add({ id, frequency: 'daily', hour: 2, nextRunAt: new Date('2025-03-10T02:00:00Z') });
    }
    const due = await service.findDue(new Date('2025-03-10T02:00:30Z'), 10);
    assert.deepEqual(
      due.map((d) => d.id),
      [1, 2, 3, 4, 5],
    );
  });

  test("slots start at the minute of the schedule's customer", async () => {
    const { clock, add, nextRunOf, queue, service, scheduler } =
      await setup('2025-03-10T09:10:20Z');
    // Customer c1's backups start at minute 10 of the hour (next-run.test.ts pins it).
    assert.equal(startMinute('c1'), 10);
    await add(
      {
        id: 1,
        customerId: 'c1',
        frequency: 'hourly',
        hour: 0,
        nextRunAt: new Date('2025-03-10T09:10Z'),
      },
      {
        id: 2,
        customerId: 'c1',
        frequency: 'daily',
        hour: 3,
        nextRunAt: new Date('2025-03-10T03:10Z'),
      },
    );
    assert.deepEqual(
      (await service.findDue(clock.now(), 10)).map((d) => d.minute),
      [10, 10],
    );
    assert.deepEqual((await scheduler.tick()).queued, [2, 1]);
    assert.equal(await nextRunOf(1), '2025-03-10T10:10:00.000Z');
    assert.equal(await nextRunOf(2), '2025-03-11T03:10:00.000Z');
    queue.finishAll();
    clock.set('2025-03-10T10:09:59Z');
    assert.deepEqual((await scheduler.tick()).queued, []);
    clock.set('2025-03-10T10:10:00Z');
    assert.deepEqual((await scheduler.tick()).queued, [1]);
  });

  test('a tick records every start of a batch in one statement, and touches nothing else', async () => {
    const { add, db, queue, scheduler } = await setup('2025-03-10T02:00:30Z', { batchSize: 2 });
    await add(
      ...Array.from({ length: 5 }, (_, i) => ({
        id: i + 1,
        frequency: 'daily' as const,
        hour: 2,
        nextRunAt: new Date('2025-03-10T02:00:00.000Z'),
      })),
      { id: 6, frequency: 'daily', hour: 2, nextRunAt: new Date('2025-03-11T02:00:00.000Z') },
    );
    // A disabled schedule has no next run (the API clears it).
    await db
      .insertInto('schedules')
      .values({
        id: 7,
        owner_kind: 'customer',
        customer_id: 'c1',
        name: 'disabled',
        scope: 'full',
        frequency: 'daily',
        hour: 2,
        day: null,
        retention: 7,
        enabled: 0,
        next_run_at: null,
        created_at: '2025-03-01T00:00:00.000Z',
        updated_at: '2025-03-01T00:00:00.000Z',
      })
      .execute();
    assert.deepEqual((await scheduler.tick()).queued, [1, 2, 3, 4, 5]);
    const next = await db
      .selectFrom('schedules')
      .select(['id', 'next_run_at'])
      .orderBy('id')
      .execute();
    assert.deepEqual(
      next.map((r) => r.next_run_at),
      [...Array(6).fill('2025-03-11T02:00:00.000Z'), null],
    );
    queue.finishAll();
    assert.deepEqual((await scheduler.tick()).queued, []);
  });

  test('the due query uses the (enabled, next_run_at) index, for its order too', async () => {
    const seen: { node: RootOperationNode; queryId: unknown }[] = [];
    const capture: KyselyPlugin = {
      transformQuery: (args) => {
        seen.push(args);
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const { db, service } = await openSchedules(capture);
    await service.findDue(new Date('2025-03-10T00:00:00Z'), 100);
    assert.equal(seen.length, 1);
    const { node, queryId } = seen[0]!;
    const due = db.getExecutor().compileQuery(node, queryId as never);
    assert.match(due.sql, /^select .* from "schedules"/);
    const plan = await db.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`explain query plan ${due.sql}`, [...due.parameters]),
    );
    const details = plan.rows.map((p) => p.detail).join('\n');
    assert.match(details, /USING INDEX schedules_due_idx/);
    // No sort of its own: the index hands rows over in the order asked for.
    assert.doesNotMatch(details, /TEMP B-TREE/);
  });
});
