// Draining a server holds every job that would run on it, not only its customers' own: the
// maintenance of its customers' repositories (prune, check, a vault's retention), the prune and
// check of a server-wide repository whose schedule names it, drills and copies of its customers,
// and a server-wide backup of that server. Jobs bound for other servers go on; undraining lets
// the held ones start. On SQLite and, under scripts/test-postgres.sh, on PostgreSQL.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createUser } from '@nats-io/nkeys';
import { openTestStore } from '../../test/support/store.js';
import { queueDrill } from '../drill/drill-planner.js';
import { ServerRecords } from '../fleet/server-records.js';
import { InventoryService } from '../inventory/inventory-service.js';
import type { Store } from '../store/index.js';
import type { MaintenanceParams } from './job-params.js';
import { JobStore } from './job-store.js';

describe('a draining server holds the maintenance of its repositories', () => {
  let dir: string;
  let store: Store;
  let jobs: JobStore;
  let records: ServerRecords;
  const schedules: Record<string, number> = {};

  async function schedule(name: string, server: string | null, customer?: string): Promise<number> {
    const now = new Date().toISOString();
    const target = await store.db
      .insertInto('targets')
      .values({
        owner: 'server',
        kind: 's3',
        sealed: 'sealed',
        origin: 'provider',
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const row = await store.db
      .insertInto('schedules')
      .values({
        owner_kind: 'server',
        customer_id: customer ?? null,
        server_id: server,
        name,
        scope: 'full',
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
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  const maintenance = async (params: MaintenanceParams) => {
    const made = await jobs.create({
      type: 'maintenance',
      trigger: 'system',
      customerId: null,
      scheduleName: `${params.task} ${params.owner}`,
      params,
    });
    assert.ok(made.created);
    return made.id;
  };

  /** Claims until nothing more starts; the ids that started. */
  async function claimAll(): Promise<number[]> {
    const started: number[] = [];
    for (;;) {
      const job = await jobs.claimNext();
      if (!job) return started.sort((x, y) => x - y);
      started.push(job.id);
    }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hv-drain-holds-'));
    store = await openTestStore();
    jobs = new JobStore(store);
    records = new ServerRecords(store);
    for (const server of ['web1', 'web2']) {
      const { token } = await records.createEnrollment({ server, createdBy: 'test' });
      await records.enroll({ token, nkey: createUser().getPublicKey() });
    }
    const inventory = new InventoryService({ store });
    for (const id of ['alice', 'bob']) await mkdir(join(dir, id), { recursive: true });
    await inventory.importInventory({
      packages: [
        { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 10, maxSchedules: 5 },
      ],
      customers: ['alice', 'bob'].map((id, i) => ({
        id,
        server: id === 'alice' ? 'web1' : 'web2',
        name: id,
        linuxUser: id,
        uid: 4100 + i,
        gid: 4100 + i,
        packageId: 'basic',
        webRoot: join(dir, id),
      })),
    });
    schedules.web1 = await schedule('Server web1', 'web1');
    schedules.web2 = await schedule('Server web2', 'web2');
    schedules.none = await schedule('Every server', null);
    schedules.alice = await schedule('Alice on her own', null, 'alice');
    schedules.bob = await schedule('Bob on his own', null, 'bob');
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('holds what would run on web1 while it drains, and lets it go when undrained', async () => {
    const url = 's3:http://s3.test/bucket';
    const drill = (customerId: string) =>
      queueDrill(
        { jobs },
        { repositoryId: 1, snapshotId: customerId.padEnd(64, '0'), customerId, reason: 'weekly' },
      ).then((id) => id!);
    const serverBackup = async (scheduleId: number) => {
      const made = await jobs.create({ type: 'backup', trigger: 'manual', scheduleId });
      assert.ok(made.created);
      return made.id;
    };
    const copy = async (customerId: string) => {
      const made = await jobs.create({
        type: 'copy',
        trigger: 'system',
        customerId: null,
        params: { scheduleId: 1, repositoryId: 1, snapshotId: 'c'.repeat(64), customerId },
      });
      assert.ok(made.created);
      return made.id;
    };
    const onWeb1 = [
      await maintenance({ task: 'prune', scheduleId: 1, owner: 'alice', url: `${url}/alice` }),
      await maintenance({ task: 'check', scheduleId: 2, owner: 'alice', url: `${url}/alice` }),
      await maintenance({ task: 'retention', scheduleId: 3, owner: 'alice', url: `${url}/v` }),
      await maintenance({ task: 'prune', scheduleId: schedules.web1!, owner: 'server', url }),
      await maintenance({ task: 'check', scheduleId: schedules.web1!, owner: 'server', url }),
      await drill('alice'),
      await copy('alice'),
      await serverBackup(schedules.web1!),
      await serverBackup(schedules.alice!),
    ];
    const elsewhere = [
      await maintenance({ task: 'prune', scheduleId: 1, owner: 'bob', url: `${url}/bob` }),
      await maintenance({ task: 'check', scheduleId: schedules.web2!, owner: 'server', url }),
      // A server-wide schedule that names no server runs on the default server.
      await maintenance({ task: 'prune', scheduleId: schedules.none!, owner: 'server', url }),
      await drill('bob'),
      await copy('bob'),
      await serverBackup(schedules.none!),
      await serverBackup(schedules.bob!),
    ];

    await records.drain('web1', true);
    assert.deepEqual(
      await claimAll(),
      [...elsewhere].sort((x, y) => x - y),
    );
    for (const id of onWeb1) assert.equal((await jobs.get(id))?.status, 'pending', `job ${id}`);

    await records.drain('web1', false);
    assert.deepEqual(
      await claimAll(),
      [...onWeb1].sort((x, y) => x - y),
    );
  });
});
