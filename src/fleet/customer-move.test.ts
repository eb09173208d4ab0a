// Moving a customer: the refusals (unknown, revoked or same server, jobs waiting, a local
// target) change nothing; a move changes only the customer's server. On the store the tests
// run on (SQLite, or PostgreSQL with HOSTVAULT_TEST_STORE_URL).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createUser } from '@nats-io/nkeys';
import { openTestStore } from '../../test/support/store.js';
import { HostvaultError } from '../errors/index.js';
import { InventoryService } from '../inventory/inventory-service.js';
import { JobStore } from '../job/job-store.js';
import type { Store } from '../store/index.js';
import { CustomerMove } from './customer-move.js';
import { ServerRecords } from './server-records.js';

describe('CustomerMove', () => {
  let dir: string;
  let store: Store;
  let inventory: InventoryService;
  let moves: CustomerMove;
  let jobs: JobStore;

  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'moved',
      (error: unknown) => (error instanceof HostvaultError ? error.code : String(error)),
    );
  const serverOf = async (id: string) => (await inventory.getCustomer(id))?.server;

  async function schedule(customer: string, kind: 'local' | 's3'): Promise<void> {
    const now = new Date().toISOString();
    const target = await store.db
      .insertInto('targets')
      .values({
        owner: customer,
        kind,
        sealed: 'sealed',
        origin: 'provider',
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await store.db
      .insertInto('schedules')
      .values({
        owner_kind: 'customer',
        customer_id: customer,
        name: `Nightly ${kind}`,
        scope: 'web',
        frequency: 'daily',
        hour: 2,
        day: null,
        retention: 7,
        target_id: target.id,
        enabled: 1,
        next_run_at: null,
        last_job_id: null,
        last_status: null,
        last_success_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hv-customer-move-'));
    store = await openTestStore();
    inventory = new InventoryService({ store });
    jobs = new JobStore(store);
    const records = new ServerRecords(store);
    for (const server of ['web1', 'web2', 'web3']) {
      const { token } = await records.createEnrollment({ server, createdBy: 'test' });
      await records.enroll({ token, nkey: createUser().getPublicKey() });
    }
    await records.revoke('web3');
    await records.createEnrollment({ server: 'web4', createdBy: 'test' });
    const customers = ['alice', 'carol', 'dave'];
    for (const id of customers) await mkdir(join(dir, id), { recursive: true });
    await inventory.importInventory({
      packages: [
        { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 10, maxSchedules: 5 },
      ],
      customers: customers.map((id, i) => ({
        id,
        server: 'web1',
        name: id,
        linuxUser: id,
        uid: 4000 + i,
        gid: 4000 + i,
        packageId: 'basic',
        webRoot: join(dir, id),
      })),
    });
    await schedule('alice', 's3');
    await schedule('carol', 's3');
    await schedule('carol', 'local');
    moves = new CustomerMove({ store, records, inventory });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses unknown, never enrolled, revoked and the same server', async () => {
    assert.equal(await code(moves.move('alice', 'web9')), 'server.unknown');
    assert.equal(await code(moves.move('alice', 'web4')), 'server.unknown');
    assert.equal(await code(moves.move('alice', 'web3')), 'server.revoked');
    assert.equal(await code(moves.move('alice', 'web1')), 'server.move_same_server');
    assert.equal(await code(moves.move('nobody', 'web2')), 'customer.unknown');
    assert.equal(await serverOf('alice'), 'web1');
  });

  it('refuses a customer with a local target, naming the schedule', async () => {
    const refused = await moves.move('carol', 'web2').catch((e: HostvaultError) => e);
    assert.ok(refused instanceof HostvaultError);
    assert.equal(refused.code, 'server.move_local_target');
    assert.deepEqual(refused.params, {
      customer: 'carol',
      schedule: 'Nightly local',
      server: 'web1',
    });
    assert.equal(await serverOf('carol'), 'web1');
  });

  it('refuses while a job waits or runs, moves once it is gone', async () => {
    const job = await jobs.create({ type: 'backup', trigger: 'manual', customerId: 'alice' });
    assert.ok(job.created);
    assert.equal(await code(moves.move('alice', 'web2')), 'server.move_jobs_active');
    assert.equal(await serverOf('alice'), 'web1');
    assert.ok(await jobs.cancelPending(job.id));
    assert.deepEqual(await moves.move('alice', 'web2'), {
      customer: 'alice',
      from: 'web1',
      to: 'web2',
    });
    assert.equal(await serverOf('alice'), 'web2');
    // A customer without schedules moves as well.
    assert.equal(await code(moves.move('dave', 'web2')), 'moved');
  });
});
