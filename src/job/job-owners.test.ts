// Who runs a job (migration 0016): the rules of owners and leases that let several controllers
// share one store. Runs on SQLite and, under scripts/test-postgres.sh, on PostgreSQL.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { currentAdoption, currentDetach } from '../agent/adoption.js';
import type { Store } from '../store/index.js';
import { openTestStore } from '../../test/support/store.js';
import { JobStore, type JobOwner } from './job-store.js';
import { Worker } from './worker.js';

let store: Store;
let jobs: JobStore;
let clock: Date;
const a: JobOwner = { id: 'controller-a', leaseMs: 30_000 };
const b: JobOwner = { id: 'controller-b', leaseMs: 30_000 };

beforeEach(async () => {
  store = await openTestStore();
  clock = new Date('2026-12-05T03:00:00Z');
  jobs = new JobStore(store, () => clock);
});
afterEach(async () => {
  await store.close();
});

async function runningJob(owner: JobOwner | undefined, customerId = 'alice'): Promise<number> {
  const made = await jobs.create({ type: 'backup', trigger: 'manual', customerId });
  assert.ok(made.created);
  const claimed = await jobs.claimNext(owner);
  assert.equal(claimed?.id, made.id);
  return made.id;
}

const later = (ms: number) => (clock = new Date(clock.getTime() + ms));

describe('job owners and leases', () => {
  test('a claimed job names its owner and a lease; renewing moves the lease forward', async () => {
    const id = await runningJob(a);
    const row = await jobs.get(id);
    assert.equal(row?.owner, 'controller-a');
    assert.equal(row?.lease_until, '2026-12-05T03:00:30.000Z');
    later(10_000);
    assert.deepEqual(await jobs.renewLeases(a, [id]), [id]);
    assert.equal((await jobs.get(id))?.lease_until, '2026-12-05T03:00:40.000Z');
    assert.deepEqual(await jobs.renewLeases(b, [id]), [], "b cannot renew a's job");
    assert.equal((await jobs.get(id))?.lease_until, '2026-12-05T03:00:40.000Z');
  });

  test("a restart marks its own and expired jobs interrupted, never a live owner's", async () => {
    const mine = await runningJob(a, 'alice');
    const theirs = await runningJob(b, 'bob');
    const expired = await runningJob({ id: 'controller-c', leaseMs: 5_000 }, 'carol');
    const unowned = await runningJob(undefined, 'dave');
    later(10_000);
    const marked = await jobs.markInterrupted(new Map(), new Set(), a.id);
    assert.deepEqual(marked.map((j) => j.id).sort(), [mine, expired, unowned].sort());
    assert.equal((await jobs.get(mine))?.status, 'failed');
    assert.equal((await jobs.get(expired))?.status, 'failed');
    assert.equal((await jobs.get(unowned))?.status, 'failed');
    const left = await jobs.get(theirs);
    assert.equal(left?.status, 'running', "b's job runs on");
    assert.equal(left?.error, null);
    // Once b's lease has lapsed too (b died), the next restart marks it.
    later(30_000);
    assert.deepEqual(
      (await jobs.markInterrupted(new Map(), new Set(), a.id)).map((j) => j.id),
      [theirs],
    );
  });

  test('a job is adopted only once its lease expired, by one controller, who then holds it', async () => {
    const id = await runningJob(a);
    assert.equal(await jobs.adoptExpired(b), undefined, 'a is alive');
    later(31_000);
    const c: JobOwner = { id: 'controller-c', leaseMs: 30_000 };
    const [byB, byC] = await Promise.all([jobs.adoptExpired(b), jobs.adoptExpired(c)]);
    const adopted = [byB, byC].filter((j) => j !== undefined);
    assert.equal(adopted.length, 1, 'exactly one controller adopts it');
    const adopter = byB ? b : c;
    assert.equal(adopted[0]?.id, id);
    assert.equal(adopted[0]?.owner, adopter.id);
    assert.equal(adopted[0]?.status, 'running');
    assert.equal(adopted[0]?.lease_until, new Date(clock.getTime() + 30_000).toISOString());
    assert.deepEqual(await jobs.renewLeases(a, [id]), [], 'a, back, no longer holds it');
    assert.deepEqual(await jobs.renewLeases(adopter, [id]), [id]);
    assert.equal(await jobs.adoptExpired(a), undefined, "the adopter's lease is live");
  });

  test('a controller never adopts its own job, and one that lost a job cannot record its outcome', async () => {
    const id = await runningJob(a);
    later(31_000);
    assert.equal(await jobs.adoptExpired(a), undefined, 'still running here: the store was away');
    assert.deepEqual(await jobs.takenOver(a, [id]), []);
    assert.equal((await jobs.adoptExpired(b))?.id, id);
    assert.deepEqual(await jobs.takenOver(a, [id]), [id]);
    assert.deepEqual(await jobs.takenOver(b, [id]), []);
    assert.equal(await jobs.finish(id, { status: 'failed', error: 'lost' }, a.id), false);
    assert.equal((await jobs.get(id))?.status, 'running');
    assert.equal(await jobs.finish(id, { status: 'successful', snapshotId: 'abc' }, b.id), true);
    const row = await jobs.get(id);
    assert.equal(row?.status, 'successful');
    assert.equal(row?.error, null);
  });

  test('pending and finished jobs are never adopted', async () => {
    const done = await runningJob(a);
    const pending = await jobs.create({ type: 'backup', trigger: 'manual', customerId: 'bob' });
    await jobs.finish(done, { status: 'successful' });
    later(60_000);
    assert.equal(await jobs.adoptExpired(b), undefined);
    assert.ok(pending.created);
    assert.equal((await jobs.get(pending.id))?.status, 'pending');
  });

  test("an adopting worker runs the dead owner's job as an adoption; one that does not adopt leaves it", async () => {
    const id = await runningJob(a);
    later(31_000);
    const seen: Array<number | undefined> = [];
    const handlers = {
      backup: async () => {
        seen.push(currentAdoption()?.jobId);
        return { snapshotId: 'f00dfeed' };
      },
    };
    const bystander = new Worker({ jobs, handlers, ownerId: 'serve-x', pollIntervalMs: 20 });
    bystander.start();
    await new Promise((r) => setTimeout(r, 100));
    await bystander.stop();
    assert.equal((await jobs.get(id))?.status, 'running', 'a worker that does not adopt leaves it');
    assert.deepEqual(seen, []);

    const adopter = new Worker({ jobs, handlers, ownerId: b.id, adopt: true, pollIntervalMs: 20 });
    adopter.start();
    for (let i = 0; i < 200 && (await jobs.get(id))?.status === 'running'; i++)
      await new Promise((r) => setTimeout(r, 20));
    await adopter.stop();
    const row = await jobs.get(id);
    assert.equal(row?.status, 'successful');
    assert.equal(row?.snapshot_id, 'f00dfeed');
    assert.equal(row?.owner, b.id);
    assert.match(row?.log ?? '', /Taken over by controller controller-b/);
    assert.deepEqual(seen, [id], 'the handler ran once, as the adoption of the job');
  });

  test('a worker that lost its job to another lets go: no outcome, no notice', async () => {
    const realJobs = new JobStore(store);
    const made = await realJobs.create({ type: 'backup', trigger: 'manual', customerId: 'erin' });
    assert.ok(made.created);
    const finished: number[] = [];
    const worker = new Worker({
      jobs: realJobs,
      ownerId: a.id,
      leaseMs: 300,
      pollIntervalMs: 20,
      handlers: {
        backup: async () => {
          // As a transport's call does: it stops following once the job was taken over.
          const detached = currentDetach();
          assert.ok(detached);
          await new Promise((resolve) => detached.addEventListener('abort', resolve));
          throw new Error('stopped following the agent');
        },
      },
      onFinished: (job) => finished.push(job.id),
      log: () => undefined,
    });
    worker.start();
    try {
      for (let i = 0; i < 100 && (await realJobs.get(made.id))?.status !== 'running'; i++)
        await new Promise((r) => setTimeout(r, 20));
      // Another controller adopted it while this one's renewals did not reach the store.
      await store.db.updateTable('jobs').set({ owner: b.id }).where('id', '=', made.id).execute();
      for (let i = 0; i < 100 && worker.runningCount() > 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.equal(worker.runningCount(), 0, 'the worker let go of the job');
    } finally {
      await worker.stop();
    }
    const row = await realJobs.get(made.id);
    assert.equal(row?.status, 'running', "the adopter's to finish");
    assert.equal(row?.owner, b.id);
    assert.doesNotMatch(row?.log ?? '', /Failed/);
    assert.deepEqual(finished, [], 'no notice of a failure that did not happen');
  });
});
