// Moving a customer to another hosting server with its history, and recovering a lost server's
// customers onto another one: one controller, the agents of web1 and web2 as `hostvault agent`
// processes, real restic, repositories on the S3 test server (HTTPS, signatures checked).
//
// - alice, moved from web1 to web2 (web1's agent then stopped), keeps her snapshots (listed, and
//   browsed through web2), and her next backup on web2 continues the same repository: restic
//   adds only what changed (data_added a small share of the first backup's, files unmodified).
//   Her files "on web2" are the same directory: on this one machine both agents see one hosting
//   root, as if the hosting panel had moved the account with its files' metadata (copying them
//   is the panel's job, not hostvault's).
// - Refusals change nothing: an unknown server, jobs waiting, a schedule with a local target.
// - web1 deleted (revoked, agent gone), erin's files lost: the recovery moves erin to web2 and
//   restores her web files from her latest snapshot, equal to it byte for byte (content, mode,
//   mtime, owner); carol (local target) is left on web1 with the reason in the report.
//   node --import tsx --test --test-reporter=spec test/fleet/customer-move.int.test.ts
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cli, startFleetController, type FleetController } from '../support/fleet-controller.js';
import { startS3Server, type S3TestServer } from '../support/s3-server.js';
import { makeTree, readTree, type TreeEntry } from '../support/tree.js';

const ADMIN_PASSWORD = 'customer-move-admin-1';

describe('moving customers between servers, recovering a lost server', { timeout: 300_000 }, () => {
  let work: string;
  let fleet: FleetController;
  let s3: S3TestServer;
  const root = (customer: string) => join(work, 'home', customer, 'www');
  /** erin's files as her backup saw them. */
  let erinTree: TreeEntry[];
  const firstBackup: Record<string, number> = {};

  const app = () => fleet.service.app;
  const call = (method: string, path: string, body?: unknown) =>
    fleet.admin.call(method, path, body);

  async function scheduleOf(customer: string): Promise<number> {
    const row = await app()
      .store.db.selectFrom('schedules')
      .select('id')
      .where('customer_id', '=', customer)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async function runNow(customer: string): Promise<number> {
    const { jobId } = await app().schedules.runNow({ role: 'admin' }, await scheduleOf(customer));
    app().worker.notify();
    return jobId;
  }

  async function backup(customer: string) {
    const job = await fleet.finished(await runNow(customer));
    assert.equal(job.status, 'successful', `${customer}: ${job.error}\n${job.log}`);
    const [stats] = JSON.parse(job.stats ?? '[]') as {
      dataAdded: number;
      filesNew: number;
      filesChanged: number;
      filesUnmodified: number;
    }[];
    assert.ok(stats, job.stats ?? 'no stats');
    return { job, stats };
  }

  const serverOf = async (customer: string) =>
    (await app().inventory.getCustomer(customer))?.server ?? 'local';
  const ran = (server: string) => readFile(join(fleet.agentDir(server), 'fleet-jobs.json'), 'utf8');

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'hv-customer-move-'));
    s3 = await startS3Server();
    fleet = await startFleetController({
      work,
      servers: ['web1', 'web2'],
      adminPassword: ADMIN_PASSWORD,
    });
    for (const server of ['web1', 'web2']) await fleet.enrollAndStart(server);
    for (const customer of ['alice', 'carol', 'erin', 'bob'])
      await mkdir(root(customer), { recursive: true });
    // Enough data that "only the changes" is clearly less than the first backup.
    await makeTree(root('alice'), { bigFileBytes: 4 * 1024 * 1024 });
    await makeTree(root('erin'), { bigFileBytes: 1024 * 1024 });
    await writeFile(join(root('carol'), 'index.php'), '<?php echo "carol";');
    await app().inventory.importInventory({
      packages: [
        { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 10, maxSchedules: 5 },
      ],
      customers: ['alice', 'carol', 'erin', 'bob'].map((id, i) => ({
        id,
        server: 'web1',
        name: id,
        linuxUser: id,
        uid: 3000 + i,
        gid: 3000 + i,
        packageId: 'basic',
        webRoot: root(id),
      })),
    });
    const s3Target = (prefix: string) => ({
      kind: 's3',
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      prefix,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      pathStyle: true,
      caCert: s3.caCertPem,
    });
    for (const [customer, target] of [
      ['alice', s3Target('fleet')],
      ['erin', s3Target('fleet')],
      ['carol', { kind: 'local', path: join(work, 'web1-repos') }],
    ] as const)
      await app().schedules.create({ role: 'admin' }, customer, {
        name: 'Nightly web',
        scope: 'web',
        frequency: 'daily',
        retention: 10,
        target,
      });
  });

  after(async () => {
    await fleet?.stop();
    await s3?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('backs up on web1 first', async () => {
    for (const customer of ['alice', 'erin', 'carol']) {
      const { job, stats } = await backup(customer);
      firstBackup[customer] = stats.dataAdded;
      assert.match(await ran('web1'), new RegExp(`backup-${job.id}-${customer}`));
    }
    assert.ok(firstBackup.alice! > 4 * 1024 * 1024, `first backup added ${firstBackup.alice}`);
    erinTree = await readTree(root('erin'));
  });

  it('refuses a move to an unknown server, with jobs waiting, or from a local target', async () => {
    const unknown = await call('POST', '/api/admin/customers/alice/move', { server: 'web9' });
    assert.equal(unknown.status, 404, JSON.stringify(unknown.json));
    assert.equal(unknown.json.error.code, 'server.unknown');

    const local = await call('POST', '/api/admin/customers/carol/move', { server: 'web2' });
    assert.equal(local.status, 409, JSON.stringify(local.json));
    assert.equal(local.json.error.code, 'server.move_local_target');
    assert.match(local.json.error.message, /directory on server web1.*S3 or FTP/);

    // A job waiting (web1 drained holds it) blocks the move until it is gone.
    await call('POST', '/api/admin/servers/web1/drain', { draining: true });
    const held = await runNow('alice');
    await sleep(300);
    assert.equal((await app().jobs.get(held))?.status, 'pending');
    const busy = await call('POST', '/api/admin/customers/alice/move', { server: 'web2' });
    assert.equal(busy.status, 409, JSON.stringify(busy.json));
    assert.equal(busy.json.error.code, 'server.move_jobs_active');
    assert.ok(await app().jobs.cancelPending(held));
    await call('POST', '/api/admin/servers/web1/drain', { draining: false });

    // And the CLI: the same refusal, in words, with a non-zero exit.
    const refused = await cli(['fleet', 'move', 'alice', '--to', 'web9'], fleet.controllerEnv());
    assert.notEqual(refused.code, 0, refused.out);
    assert.match(refused.out, /There is no server web9/);

    for (const customer of ['alice', 'carol']) assert.equal(await serverOf(customer), 'web1');
  });

  it('moves alice to web2 (CLI moves bob): snapshots kept, the next backup adds only changes', async () => {
    const moved = await call('POST', '/api/admin/customers/alice/move', { server: 'web2' });
    assert.equal(moved.status, 200, JSON.stringify(moved.json));
    assert.deepEqual(moved.json, { customer: 'alice', from: 'web1', to: 'web2' });
    assert.equal(await serverOf('alice'), 'web2');
    const byCli = await cli(['fleet', 'move', 'bob', '--to', 'web2'], fleet.controllerEnv());
    assert.equal(byCli.code, 0, byCli.out);
    assert.match(byCli.out, /moved customer bob from web1 to web2/);
    assert.equal(await serverOf('bob'), 'web2');

    // From here on only web2's agent exists: whatever works for alice ran there.
    await fleet.agents.get('web1')!.stop();
    const schedule = await scheduleOf('alice');
    const before = await call('GET', `/api/schedules/${schedule}/snapshots`);
    assert.equal(before.status, 200, JSON.stringify(before.json));
    assert.equal(before.json.snapshots.length, 1);
    const old = before.json.snapshots[0];
    // Browsing builds the snapshot's index from a listing of the repository: through web2.
    const browsed = await call('GET', `/api/snapshots/${old.repositoryId}/${old.id}/browse?path=/`);
    assert.equal(browsed.status, 200, JSON.stringify(browsed.json));
    assert.ok(browsed.json.entries.length > 0, JSON.stringify(browsed.json));

    await writeFile(join(root('alice'), 'public_html', 'moved.txt'), 'written after the move\n');
    const { job, stats } = await backup('alice');
    assert.match(await ran('web2'), new RegExp(`backup-${job.id}-alice`));
    assert.ok(stats.filesUnmodified > 0, JSON.stringify(stats));
    assert.equal(stats.filesNew, 1, JSON.stringify(stats));
    assert.ok(
      stats.dataAdded < firstBackup.alice! / 20,
      `added ${stats.dataAdded} bytes after the move, ${firstBackup.alice} at first`,
    );
    console.log(
      `alice: first backup on web1 added ${firstBackup.alice} bytes; the next on web2 ${stats.dataAdded} (${stats.filesUnmodified} files unmodified)`,
    );
    const afterMove = await call('GET', `/api/schedules/${schedule}/snapshots`);
    assert.equal(afterMove.json.snapshots.length, 2, 'the old snapshot is still listed');
    assert.ok(afterMove.json.snapshots.some((s: { id: string }) => s.id === old.id));
    assert.ok(afterMove.json.snapshots.every((s: any) => s.repositoryId === old.repositoryId));
  });

  it('recovers deleted web1 onto web2: erin restored byte for byte, carol skipped', async () => {
    // web2 is alive: not a lost server.
    const online = await call('POST', '/api/admin/servers/web2/recover', { to: 'web1' });
    assert.equal(online.status, 409, JSON.stringify(online.json));
    assert.equal(online.json.error.code, 'server.recover_online');

    const deleted = await call('DELETE', '/api/admin/servers/web1');
    assert.equal(deleted.status, 200, JSON.stringify(deleted.json));
    // The new server has erin's account, not her files.
    await rm(root('erin'), { recursive: true, force: true });
    await mkdir(root('erin'));

    const nowhere = await call('POST', '/api/admin/servers/web1/recover', { to: 'web9' });
    assert.equal(nowhere.status, 404, JSON.stringify(nowhere.json));

    const recovered = await call('POST', '/api/admin/servers/web1/recover', { to: 'web2' });
    assert.equal(recovered.status, 200, JSON.stringify(recovered.json));
    const report = recovered.json;
    assert.equal(report.from, 'web1');
    assert.equal(report.to, 'web2');
    const of = (customer: string) => report.customers.find((c: any) => c.customer === customer);
    assert.equal(of('carol').status, 'skipped');
    assert.equal(of('carol').reason.code, 'server.move_local_target');
    assert.equal(of('erin').status, 'queued', JSON.stringify(report));
    assert.equal(of('erin').restores.length, 1);
    assert.equal(of('erin').restores[0].what, 'web');
    assert.deepEqual(of('erin').failed, []);
    assert.equal(of('alice'), undefined, 'alice had left web1');
    assert.equal(await serverOf('erin'), 'web2');
    assert.equal(await serverOf('carol'), 'web1');

    const job = await fleet.finished(of('erin').restores[0].jobId);
    assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
    assert.match(await ran('web2'), new RegExp(`restore-${job.id}`));
    assert.deepEqual(await readTree(root('erin')), erinTree);
  });
});
