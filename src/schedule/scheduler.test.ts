import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { JobStore } from '../job/job-store.js';
import { Keyring } from '../repository/keyring.js';
import { openStore } from '../store/index.js';
import { MemoryScheduleStore } from './memory-store.js';
import { nextRun } from './next-run.js';
import { ScheduleService } from './schedule-service.js';
import { Scheduler, type EnqueueResult, type ScheduleId, type ScheduleStore } from './scheduler.js';
import { createSchedulesTable, FIND_DUE_SQL, SqliteScheduleStore } from './sqlite-store.js';

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

/** The job queue as the scheduler sees it: one pending or running job per schedule at most. */
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

function setup(now: string) {
  const clock = new FakeClock(now);
  const store = new MemoryScheduleStore();
  const queue = new FakeQueue(clock);
  const scheduler = new Scheduler({ store, enqueue: queue.enqueue, clock });
  return { clock, store, queue, scheduler };
}

const iso = (d: Date | undefined): string | undefined => d?.toISOString();

describe('due schedules', () => {
  test('start at their slot, once, and move to the next slot', async () => {
    const { clock, store, queue, scheduler } = setup('2025-03-10T01:59:30Z');
    store.add({ id: 1, frequency: 'daily', hour: 2, nextRunAt: new Date('2025-03-10T02:00:00Z') });

    assert.deepEqual((await scheduler.tick()).queued, []);
    clock.set('2025-03-10T02:00:00Z');
    const report = await scheduler.tick();
    assert.deepEqual(report.queued, [1]);
    assert.equal(report.maxLatenessMs, 0);
    assert.equal(iso(store.get(1)?.nextRunAt), '2025-03-11T02:00:00.000Z');
    assert.equal(iso(store.get(1)?.lastStartedAt ?? undefined), '2025-03-10T02:00:00.000Z');

    queue.finishAll();
    clock.advance(30_000);
    assert.deepEqual((await scheduler.tick()).queued, []);
    assert.equal(queue.started.length, 1);
  });

  test('disabled schedules never start', async () => {
    const { store, queue, scheduler } = setup('2025-03-10T05:00:00Z');
    store.add({
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
    const { clock, store, queue, scheduler } = setup('2025-02-27T00:00:10Z');
    const schedules = [
      { id: 1, frequency: 'hourly', hour: 2, day: null },
      { id: 2, frequency: 'daily', hour: 23, day: null },
      { id: 3, frequency: 'weekly', hour: 0, day: 6 }, // Saturday 2025-03-01
      { id: 4, frequency: 'monthly', hour: 2, day: 31 }, // 2025-02-28, February's last day
    ] as const;
    for (const s of schedules) store.add({ ...s, nextRunAt: nextRun(s, clock.now()) });

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
    assert.equal(iso(store.get(4)?.nextRunAt), '2025-03-31T02:00:00.000Z');
  });
});

describe('after downtime', () => {
  test('a missed schedule runs once, not once per missed slot, and moves on from now', async () => {
    const { clock, store, queue, scheduler } = setup('2025-03-10T00:00:00Z');
    store.add({ id: 1, frequency: 'hourly', hour: 0, nextRunAt: new Date('2025-03-07T01:00:00Z') });
    store.add({ id: 2, frequency: 'daily', hour: 2, nextRunAt: new Date('2025-03-01T02:00:00Z') });
    store.add({
      id: 3,
      frequency: 'weekly',
      hour: 2,
      day: 1,
      nextRunAt: new Date('2025-02-03T02:00:00Z'),
    });
    store.add({
      id: 4,
      frequency: 'monthly',
      hour: 2,
      day: 31,
      nextRunAt: new Date('2024-10-31T02:00:00Z'),
    });
    // The service comes back on 2025-03-10 at 09:17 (a Monday).
    clock.set('2025-03-10T09:17:00Z');
    const report = await scheduler.tick();
    assert.deepEqual(report.queued, [4, 3, 2, 1]); // most overdue first
    assert.equal(
      report.maxLatenessMs,
      Date.parse('2025-03-10T09:17:00Z') - Date.parse('2024-10-31T02:00:00Z'),
    );
    assert.equal(iso(store.get(1)?.nextRunAt), '2025-03-10T10:00:00.000Z');
    assert.equal(iso(store.get(2)?.nextRunAt), '2025-03-11T02:00:00.000Z');
    assert.equal(iso(store.get(3)?.nextRunAt), '2025-03-17T02:00:00.000Z');
    assert.equal(iso(store.get(4)?.nextRunAt), '2025-03-31T02:00:00.000Z');

    queue.finishAll();
    clock.advance(60_000);
    await scheduler.tick();
    assert.equal(queue.started.length, 4);
  });

  test('more due schedules than one batch: each starts once in the same tick', async () => {
    const clock = new FakeClock('2025-03-10T12:00:00Z');
    const store = new MemoryScheduleStore();
    const queue = new FakeQueue(clock);
    const findDue = mock.method(store, 'findDue');
    const scheduler = new Scheduler({ store, enqueue: queue.enqueue, clock, batchSize: 100 });
    for (let id = 1; id <= 250; id++) {
      store.add({ id, frequency: 'daily', hour: 2, nextRunAt: new Date('2025-03-10T02:00:00Z') });
    }
    const report = await scheduler.tick();
    assert.equal(report.queued.length, 250);
    assert.equal(new Set(queue.started.map((s) => s.id)).size, 250);
    assert.equal(findDue.mock.callCount(), 3);
  });
});

describe('one schedule never runs twice at once', () => {
  test('a schedule still running at its next slot skips that slot', async () => {
    const { clock, store, queue, scheduler } = setup('2025-03-10T10:00:00Z');
    store.add({ id: 1, frequency: 'hourly', hour: 0, nextRunAt: new Date('2025-03-10T10:00:00Z') });
    assert.deepEqual((await scheduler.tick()).queued, [1]);

    // The backup is still running at 11:00.
    clock.set('2025-03-10T11:00:05Z');
    const report = await scheduler.tick();
    assert.deepEqual(report.queued, []);
    assert.deepEqual(report.alreadyRunning, [1]);
    assert.equal(iso(store.get(1)?.nextRunAt), '2025-03-10T12:00:00.000Z');
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
    const { store, queue, scheduler } = setup('2025-03-10T10:00:00Z');
    store.add({ id: 1, frequency: 'hourly', hour: 0, nextRunAt: new Date('2025-03-10T10:00:00Z') });
    const [a, b] = await Promise.all([scheduler.tick(), scheduler.tick()]);
    assert.equal(a, b);
    assert.equal(queue.started.length, 1);
  });

  test('two schedulers on one store (two processes) start it once', async () => {
    const clock = new FakeClock('2025-03-10T10:00:00Z');
    const store = new MemoryScheduleStore();
    const queue = new FakeQueue(clock);
    store.add({ id: 1, frequency: 'hourly', hour: 0, nextRunAt: new Date('2025-03-10T10:00:00Z') });
    // Both read the store before either writes: the job queue's answer keeps it to one job.
    const slowStore: ScheduleStore = {
      findDue: async (now, limit) => {
        const due = await store.findDue(now, limit);
        await new Promise((resolve) => setImmediate(resolve));
        return due;
      },
      markStarted: (id, next, at) => store.markStarted(id, next, at),
    };
    const one = new Scheduler({ store: slowStore, enqueue: queue.enqueue, clock });
    const two = new Scheduler({ store: slowStore, enqueue: queue.enqueue, clock });
    const [r1, r2] = await Promise.all([one.tick(), two.tick()]);
    assert.deepEqual([...r1.queued, ...r2.queued], [1]);
    assert.deepEqual([...r1.alreadyRunning, ...r2.alreadyRunning], [1]);
    assert.equal(queue.started.length, 1);
  });

  test('a crash between enqueue and markStarted does not start it twice', async () => {
    const { clock, store, queue } = setup('2025-03-10T10:00:30Z');
    store.add({ id: 1, frequency: 'hourly', hour: 0, nextRunAt: new Date('2025-03-10T10:00:00Z') });
    let crash = true;
    const flakyStore: ScheduleStore = {
      findDue: (now, limit) => store.findDue(now, limit),
      markStarted: async (id, next, at) => {
        if (crash) throw new Error('database is locked');
        await store.markStarted(id, next, at);
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
    assert.equal(iso(store.get(1)?.nextRunAt), '2025-03-10T10:00:00.000Z'); // still due

    crash = false;
    clock.advance(30_000);
    const second = await scheduler.tick();
    assert.deepEqual(second.alreadyRunning, [1]);
    assert.equal(queue.started.length, 1);
    assert.equal(iso(store.get(1)?.nextRunAt), '2025-03-10T11:00:00.000Z');
  });
});

describe('failures', () => {
  test('one schedule failing to enqueue does not hold up the others and is retried', async () => {
    const clock = new FakeClock('2025-03-10T02:00:10Z');
    const store = new MemoryScheduleStore();
    const queue = new FakeQueue(clock);
    let refuse = true;
    const scheduler = new Scheduler({
      store,
      clock,
      batchSize: 2,
      enqueue: (id, reason) => {
        if (id === 1 && refuse) throw new Error('queue unavailable');
        return queue.enqueue(id, reason);
      },
    });
    for (let id = 1; id <= 5; id++) {
      store.add({ id, frequency: 'daily', hour: 2, nextRunAt: new Date('2025-03-10T02:00:00Z') });
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
    const clock = new FakeClock('2025-03-10T02:00:10Z');
    const store = new MemoryScheduleStore();
    const queue = new FakeQueue(clock);
    const scheduler = new Scheduler({
      store,
      clock,
      batchSize: 2,
      maxStartsPerTick: 3,
      enqueue: (id, reason) => queue.enqueue(id, reason),
    });
    for (let id = 1; id <= 7; id++) {
      // id 7 is the most overdue, id 1 the least.
      store.add({
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
    const store = new MemoryScheduleStore();
    const enqueue = mock.fn((): EnqueueResult => {
      throw new Error('queue unavailable');
    });
    const scheduler = new Scheduler({ store, clock, batchSize: 2, enqueue });
    for (let id = 1; id <= 5; id++) {
      store.add({ id, frequency: 'daily', hour: 2, nextRunAt: new Date('2025-03-10T02:00:00Z') });
    }
    const report = await scheduler.tick();
    assert.equal(report.failed.length, 2);
    assert.equal(enqueue.mock.callCount(), 2);
  });

  test('a schedule whose timing is broken is reported and never enqueued', async () => {
    const { store, queue, scheduler } = setup('2025-03-10T02:00:10Z');
    store.add({ id: 1, frequency: 'weekly', hour: 2, day: 9, nextRunAt: new Date(0) });
    store.add({ id: 2, frequency: 'daily', hour: 2, nextRunAt: new Date(0) });
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
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { clock, store, queue, scheduler } = setup('2025-03-10T10:00:00Z');
    store.add({ id: 1, frequency: 'hourly', hour: 0, nextRunAt: new Date('2025-03-10T10:00:00Z') });
    const tick = mock.method(scheduler, 'tick');
    const settle = () => new Promise((resolve) => setImmediate(resolve));

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

describe('SQLite store', () => {
  function sqliteSetup(now: string) {
    const db = new BetterSqlite3(':memory:');
    createSchedulesTable(db);
    const insert = db.prepare(
      'insert into schedules (id, enabled, frequency, hour, day, next_run_at) values (?, ?, ?, ?, ?, ?)',
    );
    const clock = new FakeClock(now);
    const queue = new FakeQueue(clock);
    const store = new SqliteScheduleStore(db);
    const scheduler = new Scheduler({ store, enqueue: queue.enqueue, clock });
    const nextRunOf = (id: number) =>
      (
        db.prepare('select next_run_at from schedules where id = ?').get(id) as {
          next_run_at: string;
        }
      ).next_run_at;
    return { db, insert, clock, queue, store, scheduler, nextRunOf };
  }

  test('finds due enabled schedules, earliest first, and catches up once', async () => {
    const { db, insert, clock, queue, store, scheduler, nextRunOf } =
      sqliteSetup('2025-03-10T09:17:00Z');
    insert.run(1, 1, 'hourly', 0, null, '2025-03-07T01:00:00.000Z');
    insert.run(2, 1, 'monthly', 2, 31, '2024-10-31T02:00:00.000Z');
    insert.run(3, 0, 'daily', 2, null, '2025-03-01T02:00:00.000Z'); // disabled
    insert.run(4, 1, 'daily', 2, null, '2025-03-11T02:00:00.000Z'); // not yet due
    insert.run(5, 1, 'weekly', 9, 1, '2025-03-10T09:17:00.000Z'); // due exactly now

    const due = await store.findDue(clock.now(), 10);
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
    });
    assert.deepEqual(
      (await store.findDue(clock.now(), 1)).map((d) => d.id),
      [2],
    );

    assert.deepEqual((await scheduler.tick()).queued, [2, 1, 5]);
    assert.equal(nextRunOf(1), '2025-03-10T10:00:00.000Z');
    assert.equal(nextRunOf(2), '2025-03-31T02:00:00.000Z');
    assert.equal(nextRunOf(5), '2025-03-17T09:00:00.000Z');
    queue.finishAll();
    assert.deepEqual((await scheduler.tick()).queued, []);
    db.close();
  });

  test('a batch whose record fails stays due and is not started twice', async () => {
    const { insert, clock, queue, store, nextRunOf } = sqliteSetup('2025-03-10T02:00:30Z');
    for (let id = 1; id <= 3; id++) insert.run(id, 1, 'daily', 2, null, '2025-03-10T02:00:00.000Z');
    let fail = true;
    const flaky: ScheduleStore = {
      findDue: (now, limit) => store.findDue(now, limit),
      markStarted: () => Promise.reject(new Error('not used when markStartedMany exists')),
      markStartedMany: async (starts) => {
        if (fail) throw new Error('database is locked');
        await store.markStartedMany(starts);
      },
    };
    const scheduler = new Scheduler({ store: flaky, enqueue: queue.enqueue, clock });
    const first = await scheduler.tick();
    assert.deepEqual(
      first.failed.map((f) => f.id),
      [1, 2, 3],
    );
    assert.equal(nextRunOf(1), '2025-03-10T02:00:00.000Z');

    fail = false;
    clock.advance(30_000);
    const second = await scheduler.tick();
    assert.deepEqual(second.alreadyRunning, [1, 2, 3]);
    assert.equal(queue.started.length, 3);
    assert.equal(nextRunOf(3), '2025-03-11T02:00:00.000Z');
  });

  test('the due query uses the (enabled, next_run_at) index', () => {
    const { db } = sqliteSetup('2025-03-10T00:00:00Z');
    const plan = db
      .prepare(`explain query plan ${FIND_DUE_SQL}`)
      .all('2025-03-10T00:00:00.000Z', 100) as { detail: string }[];
    assert.match(plan.map((p) => p.detail).join('\n'), /USING INDEX schedules_due_idx/);
    db.close();
  });
});

describe("the service's store (ScheduleService)", () => {
  test('a tick records every start of a batch in one statement, and touches nothing else', async () => {
    const store = await openStore({ memory: true });
    const service = new ScheduleService({
      store,
      keyring: new Keyring(Buffer.alloc(32, 7)),
      customers: { getCustomer: async () => undefined, getPackage: async () => undefined },
      jobs: new JobStore(store),
      localRepositoryDir: '/var/backups/hostvault',
    });
    const stamp = '2025-03-01T00:00:00.000Z';
    const row = (name: string, enabled: number, next: string | null) => ({
      owner_kind: 'customer' as const,
      customer_id: 'c1',
      name,
      scope: 'full',
      frequency: 'daily',
      hour: 2,
      day: null,
      retention: 7,
      target_kind: 'local',
      target_sealed: 'sealed',
      enabled,
      next_run_at: next,
      created_at: stamp,
      updated_at: stamp,
    });
    await store.db
      .insertInto('schedules')
      .values([
        ...Array.from({ length: 5 }, (_, i) => row(`due ${i}`, 1, '2025-03-10T02:00:00.000Z')),
        row('later', 1, '2025-03-11T02:00:00.000Z'),
        row('disabled', 0, null),
      ])
      .execute();
    const clock = new FakeClock('2025-03-10T02:00:30Z');
    const queue = new FakeQueue(clock);
    const scheduler = new Scheduler({
      store: service,
      enqueue: queue.enqueue,
      clock,
      batchSize: 2,
    });
    assert.deepEqual((await scheduler.tick()).queued, [1, 2, 3, 4, 5]);
    const next = await store.db
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
    await store.close();
  });
});
