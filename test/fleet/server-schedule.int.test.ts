// An entire-server schedule that names a hosting server backs up that server's customers only,
// each on that server's agent: one controller, the agents of web1 and web2 as `hostvault agent`
// processes, real restic, the repository in a directory. The server is set through the admin
// API (created with one, then changed, then cleared: every customer, each on its own server);
// which agent ran each backup is read from the agents' own records of the jobs they ran.
//   node --import tsx --test --test-reporter=spec test/fleet/server-schedule.int.test.ts
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFleetController, type FleetController } from '../support/fleet-controller.js';

describe('a server-wide schedule for one hosting server', { timeout: 300_000 }, () => {
  let work: string;
  let fleet: FleetController;
  let scheduleId: number;
  const app = () => fleet.service.app;
  const call = (method: string, path: string, body?: unknown) =>
    fleet.admin.call(method, path, body);
  const root = (customer: string) => join(work, 'home', customer, 'www');
  const ran = async (server: string) =>
    readFile(join(fleet.agentDir(server), 'fleet-jobs.json'), 'utf8').catch(() => '');

  /** Runs the schedule; the customers whose snapshots the job recorded, and who ran each. */
  async function runOnce(): Promise<{ customers: string[]; on: Record<string, string[]> }> {
    const { jobId } = await app().schedules.runNow({ role: 'admin' }, scheduleId);
    app().worker.notify();
    const job = await fleet.finished(jobId);
    assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
    const snapshots = await app()
      .store.db.selectFrom('snapshots')
      .select('customer_id')
      .where('schedule_id', '=', scheduleId)
      .execute();
    const recorded = new Set<string>();
    for (const s of snapshots) recorded.add(s.customer_id);
    const on: Record<string, string[]> = {};
    for (const server of ['web1', 'web2'])
      on[server] = [...(await ran(server)).matchAll(new RegExp(`backup-${jobId}-(\\w+)`, 'g'))]
        .map((m) => m[1]!)
        .filter((c, i, all) => all.indexOf(c) === i)
        .sort();
    return { customers: [...recorded].sort(), on };
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'hv-server-schedule-'));
    fleet = await startFleetController({
      work,
      servers: ['web1', 'web2'],
      adminPassword: 'server-schedule-admin-1',
    });
    for (const server of ['web1', 'web2']) await fleet.enrollAndStart(server);
    for (const customer of ['alice', 'bob']) {
      await mkdir(root(customer), { recursive: true });
      await writeFile(join(root(customer), 'index.php'), `<?php echo "${customer}";`);
    }
    await app().inventory.importInventory({
      packages: [
        { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 10, maxSchedules: 5 },
      ],
      customers: [
        { id: 'alice', server: 'web1' },
        { id: 'bob', server: 'web2' },
      ].map(({ id, server }, i) => ({
        id,
        server,
        name: id,
        linuxUser: id,
        uid: 3100 + i,
        gid: 3100 + i,
        packageId: 'basic',
        webRoot: root(id),
      })),
    });
  });
  after(async () => {
    await fleet?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('is created for web2 and backs up only web2’s customer, on web2’s agent', async () => {
    const created = await call('POST', '/api/admin/schedules', {
      mode: 'entire',
      server: 'web2',
      name: 'Whole web2',
      scope: 'web',
      frequency: 'daily',
      retention: 5,
      target: { kind: 'local', path: join(work, 'server-repos') },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.json.server, 'web2');
    scheduleId = created.json.id;
    const first = await runOnce();
    assert.deepEqual(first.customers, ['bob']);
    assert.deepEqual(first.on, { web1: [], web2: ['bob'] });
  });

  it('moved to web1 by the admin API, backs up web1’s customer there', async () => {
    const set = await call('PUT', `/api/admin/schedules/${scheduleId}/server`, { server: 'web1' });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    assert.equal(set.json.server, 'web1');
    const second = await runOnce();
    assert.deepEqual(second.customers, ['alice', 'bob'], 'bob from the first run, alice now');
    assert.deepEqual(second.on, { web1: ['alice'], web2: [] });
  });

  it('named no server, backs up every customer, each on its own server', async () => {
    const cleared = await call('PUT', `/api/admin/schedules/${scheduleId}/server`, {
      server: null,
    });
    assert.equal(cleared.status, 200, JSON.stringify(cleared.json));
    assert.equal(cleared.json.server, null);
    const third = await runOnce();
    assert.deepEqual(third.on, { web1: ['alice'], web2: ['bob'] });
  });

  it('refuses an unknown server, and a server for a schedule that follows its customer', async () => {
    const unknown = await call('PUT', `/api/admin/schedules/${scheduleId}/server`, {
      server: 'web9',
    });
    assert.equal(unknown.status, 404, JSON.stringify(unknown.json));
    assert.equal(unknown.json.error.code, 'server.unknown');
    const own = await app().schedules.createServerWide('alice', {
      name: 'Alice alone',
      scope: 'web',
      frequency: 'daily',
      retention: 3,
      target: { kind: 'local', path: join(work, 'alice-repos') },
    });
    const refused = await call('PUT', `/api/admin/schedules/${own.id}/server`, { server: 'web2' });
    assert.equal(refused.status, 400, JSON.stringify(refused.json));
    assert.equal(refused.json.error.code, 'schedule.server_follows_customer');
    const single = await call('POST', '/api/admin/schedules', {
      mode: 'single',
      customerId: 'bob',
      server: 'web1',
      name: 'Bob alone',
      scope: 'web',
      frequency: 'daily',
      retention: 3,
      target: { kind: 'local', path: join(work, 'bob-repos') },
    });
    assert.equal(single.status, 400, JSON.stringify(single.json));
    assert.equal(single.json.error.code, 'schedule.server_follows_customer');
    assert.equal((await app().schedules.get({ role: 'admin' }, scheduleId)).server, null);
  });
});
