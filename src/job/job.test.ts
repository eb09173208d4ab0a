import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../store/index.js';
import { openTestStore } from '../../test/support/store.js';
import { JobStore } from './job-store.js';
import { Worker, type JobHandler } from './worker.js';

let store: Store;
let jobs: JobStore;
let clock: Date;

beforeEach(async () => {
  store = await openTestStore();
  clock = new Date('2026-11-28T03:00:00Z');
  jobs = new JobStore(store, () => clock);
});
afterEach(async () => {
  await store.close();
});

describe('job store', () => {
  test('a hundred "Run now" clicks on one schedule make exactly one job', async () => {
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        jobs.create({ type: 'backup', trigger: 'manual', scheduleId: 7, customerId: 'alice' }),
      ),
    );
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal(await jobs.count({ scheduleId: 7 }), 1);
    const created = results.find((r) => r.created);
    assert.ok(results.every((r) => r.created || r.existingId === (created as { id: number }).id));
  });

  test('the next job goes to the customer with the fewest running jobs', async () => {
    await jobs.create({ type: 'backup', trigger: 'manual', customerId: 'alice', scheduleId: 1 });
    await jobs.create({ type: 'backup', trigger: 'manual', customerId: 'alice', scheduleId: 2 });
    await jobs.create({ type: 'backup', trigger: 'manual', customerId: 'bob', scheduleId: 3 });
    const first = await jobs.claimNext();
    const second = await jobs.claimNext();
    assert.equal(first?.customer_id, 'alice');
    assert.equal(second?.customer_id, 'bob', "bob goes before alice's second job");
    assert.equal(second?.status, 'running');
  });

  test('"Delete old entries" removes finished jobs older than 30 days, never an active one', async () => {
    const old = await jobs.create({ type: 'backup', trigger: 'manual', customerId: 'alice' });
    const oldPending = await jobs.create({
      type: 'backup',
      trigger: 'manual',
      customerId: 'alice',
    });
    assert.ok(old.created && oldPending.created);
    await jobs.finish(old.id, { status: 'successful' });
    clock = new Date('2027-01-15T03:00:00Z');
    const recent = await jobs.create({ type: 'backup', trigger: 'manual', customerId: 'alice' });
    assert.ok(recent.created);
    await jobs.finish(recent.id, { status: 'failed', error: 'x' });
    assert.equal(await jobs.deleteOld(30, 'alice', true), 1);
    assert.equal(await jobs.deleteOld(30, 'bob'), 0, "only the asking customer's entries");
    assert.equal(await jobs.deleteOld(30, 'alice'), 1);
    assert.equal(await jobs.get(old.id), undefined);
    assert.equal((await jobs.get(oldPending.id))?.status, 'pending');
    assert.equal((await jobs.get(recent.id))?.status, 'failed');
  });

  test('after a crash, running jobs are marked interrupted', async () => {
    const a = await jobs.create({ type: 'backup', trigger: 'manual', customerId: 'alice' });
    await jobs.claimNext();
    const marked = await jobs.markInterrupted();
    assert.ok(a.created);
    assert.deepEqual(
      marked.map((j) => j.id),
      [a.id],
    );
    const row = await jobs.get(a.id);
    assert.equal(row?.status, 'failed');
    assert.match(row?.error ?? '', /Interrupted: the service stopped/);
  });

  test("after a crash, what recovery did for a job is in its error and log, and only in that job's", async () => {
    const a = await jobs.create({ type: 'restore', trigger: 'manual', customerId: 'alice' });
    const b = await jobs.create({ type: 'restore', trigger: 'manual', customerId: 'bob' });
    assert.ok(a.created && b.created);
    await jobs.claimNext();
    await jobs.claimNext();
    await jobs.markInterrupted(
      new Map([[a.id, '/srv/alice/www was restored completely when the service started again.']]),
    );
    const rowA = await jobs.get(a.id);
    assert.match(rowA?.error ?? '', /Interrupted.*\/srv\/alice\/www was restored completely/);
    assert.match(rowA?.log ?? '', /\/srv\/alice\/www was restored completely/);
    const rowB = await jobs.get(b.id);
    assert.equal(rowB?.error, 'Interrupted: the service stopped while this job was running.');
    assert.doesNotMatch(rowB?.log ?? '', /alice/);
  });

  test('after a crash, a job whose work recovery finished reads successful, with that in its log', async () => {
    const a = await jobs.create({ type: 'restore', trigger: 'manual', customerId: 'alice' });
    const b = await jobs.create({ type: 'restore', trigger: 'manual', customerId: 'bob' });
    assert.ok(a.created && b.created);
    await jobs.claimNext();
    await jobs.claimNext();
    await jobs.markInterrupted(
      new Map([
        [a.id, '/srv/alice/www was restored completely when the service started again.'],
        [b.id, '/srv/bob/www was left as it was before the restore.'],
      ]),
      new Set([a.id]),
    );
    const rowA = await jobs.get(a.id);
    assert.equal(rowA?.status, 'successful');
    assert.equal(rowA?.error, null);
    assert.ok(rowA?.finished_at);
    assert.match(
      rowA?.log ?? '',
      /\/srv\/alice\/www was restored completely when the service started again\.\n.* Restore completed when the service started again\n$/,
    );
    const rowB = await jobs.get(b.id);
    assert.equal(rowB?.status, 'failed');
    assert.equal(
      rowB?.error,
      'Interrupted: the service stopped while this job was running. /srv/bob/www was left as it was before the restore.',
    );
  });
});

describe('worker', () => {
  test('runs jobs up to the concurrency limit, records progress, log and outcome', async () => {
    let concurrent = 0;
    let peak = 0;
    // The first two jobs wait until the test has seen their progress in the store: a fixed
    // sleep was too short on a busy machine with PostgreSQL below.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const backup: JobHandler = async (job, ctx) => {
      concurrent++;
      peak = Math.max(peak, concurrent);
      ctx.log(`working on ${job.id}`);
      ctx.progress({ percent: 50, bytesDone: 5, bytesTotal: 10, filesDone: 1, filesTotal: 2 });
      await gate;
      await sleep(10);
      concurrent--;
      if (job.schedule_id === 3) throw new Error('The backup target could not be reached.');
      return { snapshotId: `snap${job.id}`, bytesAdded: 123 };
    };
    const worker = new Worker({
      jobs,
      handlers: { backup },
      concurrency: 2,
      flushIntervalMs: 10,
      pollIntervalMs: 20,
    });
    for (let i = 1; i <= 4; i++)
      await jobs.create({
        type: 'backup',
        trigger: 'schedule',
        scheduleId: i,
        customerId: `c${i}`,
      });
    worker.start();
    let seen = false;
    for (let i = 0; i < 500 && !seen; i++) {
      const midway = await jobs.active();
      seen = midway.some((j) => j.status === 'running' && j.progress?.includes('"percent":50'));
      if (!seen) await sleep(20);
    }
    release();
    assert.ok(seen, 'progress is visible while running');
    await worker.idle();
    await worker.stop();
    assert.equal(peak, 2);
    const done = await jobs.list();
    assert.equal(done.length, 4);
    const failed = done.find((j) => j.schedule_id === 3);
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.error, 'The backup target could not be reached.');
    const ok = await jobs.get(done.find((j) => j.schedule_id === 1)!.id);
    assert.equal(ok?.status, 'successful');
    assert.equal(ok?.snapshot_id, `snap${ok?.id}`);
    assert.match(
      ok?.log ?? '',
      /Backup started\n.*working on \d+\n.*Backup finished successfully/s,
    );
  });

  test('cancel: a pending job at once, a running one through its signal', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const backup: JobHandler = (_job, ctx) =>
      new Promise((_resolve, reject) => {
        started();
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
      });
    const worker = new Worker({
      jobs,
      handlers: { backup },
      concurrency: 1,
      flushIntervalMs: 10,
      pollIntervalMs: 20,
    });
    const a = await jobs.create({
      type: 'backup',
      trigger: 'manual',
      scheduleId: 1,
      customerId: 'alice',
    });
    const b = await jobs.create({
      type: 'backup',
      trigger: 'manual',
      scheduleId: 2,
      customerId: 'alice',
    });
    assert.ok(a.created && b.created);
    worker.start();
    await running;
    assert.equal(await worker.cancel(b.id), 'canceled');
    assert.equal(await worker.cancel(a.id), 'canceling');
    await worker.idle();
    await worker.stop();
    assert.equal((await jobs.get(a.id))?.status, 'canceled');
    assert.equal((await jobs.get(b.id))?.status, 'canceled');
    assert.equal(await worker.cancel(a.id), 'not-active');
  });

  test('a store away for a moment (PostgreSQL restarted): claims, progress and the outcome are tried again', async () => {
    // What the fleet drill that restarts PostgreSQL mid-job found: an unheard rejection of a
    // claim ended the controller, and a failed write of the outcome left the job "running".
    const unhandled: unknown[] = [];
    const hear = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', hear);
    let claimsRefused = 2;
    let finishesRefused = 2;
    let storeDown = false;
    const away = () => new Error('connect ECONNREFUSED 10.231.77.1:5432');
    const claimNext = jobs.claimNext.bind(jobs);
    jobs.claimNext = async () => {
      if (claimsRefused > 0 && claimsRefused--) throw away();
      return claimNext();
    };
    const saveProgress = jobs.saveProgress.bind(jobs);
    jobs.saveProgress = async (...args) => {
      if (storeDown) throw away();
      return saveProgress(...args);
    };
    const finish = jobs.finish.bind(jobs);
    jobs.finish = async (...args) => {
      if (finishesRefused > 0 && finishesRefused--) throw away();
      return finish(...args);
    };
    const lines: string[] = [];
    const backup: JobHandler = async (_job, ctx) => {
      storeDown = true;
      ctx.log('written while the store was away');
      ctx.progress({ percent: 50, bytesDone: 5, bytesTotal: 10, filesDone: 1, filesTotal: 2 });
      await sleep(60);
      storeDown = false;
      return { snapshotId: 'snap-after-restart' };
    };
    const worker = new Worker({
      jobs,
      handlers: { backup },
      concurrency: 1,
      flushIntervalMs: 10,
      pollIntervalMs: 20,
      log: (line) => lines.push(line),
    });
    try {
      const made = await jobs.create({
        type: 'backup',
        trigger: 'manual',
        scheduleId: 1,
        customerId: 'alice',
      });
      assert.ok(made.created);
      worker.start();
      for (let i = 0; i < 500; i++) {
        const job = await jobs.get(made.id);
        if (job?.status !== 'pending' && job?.status !== 'running') break;
        await sleep(20);
      }
      await worker.idle();
      const job = await jobs.get(made.id);
      assert.equal(job?.status, 'successful');
      assert.equal(job?.snapshot_id, 'snap-after-restart');
      assert.match(job?.log ?? '', /written while the store was away/);
      assert.equal(claimsRefused, 0);
      assert.equal(finishesRefused, 0);
      assert.ok(
        lines.some((l) => /cannot claim jobs: connect ECONNREFUSED/.test(l)),
        lines.join('\n'),
      );
      assert.ok(
        lines.some((l) => /recording its outcome failed, trying again/.test(l)),
        lines.join('\n'),
      );
      assert.deepEqual(unhandled, []);
    } finally {
      await worker.stop();
      process.off('unhandledRejection', hear);
    }
  });
});
