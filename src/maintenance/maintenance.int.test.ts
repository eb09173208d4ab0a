import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import { safetyTags } from '../scope/scope.js';
import { recordSafetySnapshot } from '../repository/snapshot-records.js';
import { planMaintenance } from './maintenance.js';

let work: string;
let app: App;
let clock = new Date('2026-11-28T03:00:00Z');
const now = () => clock;

async function finish(id: number) {
  for (let i = 0; i < 600; i++) {
    const job = await app.jobs.get(id);
    if (job && !['pending', 'running'].includes(job.status)) return job;
    await sleep(100);
  }
  throw new Error(`job ${id} did not finish`);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-maint-'));
  app = await openApp(
    loadConfig({
      HOSTVAULT_DATA_DIR: join(work, 'data'),
      HOSTVAULT_KEY_FILE: join(work, 'master.key'),
    }),
    { now },
  );
  await mkdir(join(work, 'www'));
  await writeFile(join(work, 'www/index.html'), 'hello');
  await app.inventory.importInventory({
    packages: [{ id: 'p', name: 'P', frequencies: ['daily'], maxRetention: 5, maxSchedules: 5 }],
    customers: [
      {
        id: 'erin',
        name: 'Erin',
        linuxUser: 'erin',
        uid: 3100,
        gid: 3100,
        packageId: 'p',
        webRoot: join(work, 'www'),
      },
    ],
  });
  app.worker.start();
});
after(async () => {
  await app.close();
  await rm(work, { recursive: true, force: true });
});

test('each repository is pruned and checked weekly, as jobs of their own that customers never see', async () => {
  const admin = { role: 'admin' as const };
  const deps = { store: app.store, schedules: app.schedules, jobs: app.jobs, now };
  const a = await app.schedules.create(admin, 'erin', {
    name: 'A',
    scope: 'web',
    frequency: 'daily',
    retention: 2,
    target: { kind: 'local', path: join(work, 'repos') },
  });
  await app.schedules.create(admin, 'erin', {
    name: 'B',
    scope: 'full',
    frequency: 'daily',
    retention: 2,
    target: { kind: 'local', path: join(work, 'repos') },
  });
  assert.deepEqual(await planMaintenance(deps), [], 'no repository exists before the first backup');

  assert.equal(
    (await finish((await app.schedules.runNow(admin, a.id)).jobId)).status,
    'successful',
  );
  assert.deepEqual(
    await planMaintenance(deps),
    [],
    'a repository made today has nothing to prune or check yet',
  );
  clock = new Date(clock.getTime() + 7 * 86_400_000);
  const queued = await planMaintenance(deps);
  assert.equal(
    queued.length,
    2,
    'one prune and one check for the one repository both schedules share',
  );
  assert.deepEqual(await planMaintenance(deps), [], 'not queued twice');
  app.worker.notify();
  for (const id of queued) {
    const job = await finish(id);
    assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
    assert.equal(job.customer_id, null);
  }
  const repo = await app.store.db.selectFrom('repositories').selectAll().executeTakeFirstOrThrow();
  assert.ok(repo.last_prune_at && repo.last_check_at);
  assert.deepEqual(await app.jobs.list({ customerId: 'erin', type: 'maintenance' }), []);

  clock = new Date(clock.getTime() + 6 * 86_400_000);
  assert.deepEqual(await planMaintenance(deps), [], 'not due within the week');
  clock = new Date(clock.getTime() + 2 * 86_400_000);
  assert.equal((await planMaintenance(deps)).length, 2, 'due again after a week');
});

test('the prune forgets safety snapshots beyond the last 10 and older than 7 days; backups stay', async () => {
  const admin = { role: 'admin' as const };
  const schedule = await app.schedules.create(admin, 'erin', {
    name: 'Safety',
    scope: 'web',
    frequency: 'daily',
    retention: 1,
    target: { kind: 'local', path: join(work, 'repos-safety') },
  });
  const ran = await finish((await app.schedules.runNow(admin, schedule.id)).jobId);
  assert.equal(ran.status, 'successful', `${ran.error}\n${ran.log}`);
  const row = await app.schedules.getRow(admin, schedule.id);
  const saved: string[] = [];
  await app.repositories.withRepository(await app.schedules.target(row), 'erin', async (repo) => {
    for (let job = 1; job <= 12; job++) {
      const tags = safetyTags({ restoreJob: 100 + job, customer: 'erin', content: 'web' });
      const made = await app.restic.backup(repo.location, { paths: [join(work, 'www')], tags });
      saved.push(made.summary.snapshotId);
      await recordSafetySnapshot(app.store, {
        id: made.summary.snapshotId,
        repositoryId: repo.id,
        scheduleId: schedule.id,
        customerId: 'erin',
        restoreJobId: 100 + job,
        time: new Date().toISOString(),
        content: 'web',
        roots: { web: [join(work, 'www')] },
        tags,
        undo: { what: 'web', keepNewerMail: true },
      });
      // restic orders snapshots by their time, to the second on some file systems.
      await sleep(1100);
    }
  });
  const rows = () =>
    app.store.db
      .selectFrom('snapshots')
      .select(['id', 'kind'])
      .where('schedule_id', '=', schedule.id)
      .execute();
  assert.equal((await rows()).length, 13);

  const prune = async () => {
    const created = await app.jobs.create({
      type: 'maintenance',
      trigger: 'system',
      customerId: null,
      params: {
        task: 'prune',
        scheduleId: schedule.id,
        owner: 'erin',
        url: join(work, 'repos-safety', 'erin'),
      },
    });
    assert.ok(created.created);
    app.worker.notify();
    const job = await finish(created.id);
    assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
    return job;
  };
  // 12 copies, all made within the week: all stay.
  clock = new Date(Date.now() + 86_400_000);
  await prune();
  assert.equal((await rows()).length, 13);

  // A week later the 2 oldest go; the 10 newest and the backup stay, in restic and in the list.
  clock = new Date(Date.now() + 8 * 86_400_000);
  const job = await prune();
  assert.match(job.log ?? '', /Safety snapshots: forgot 2 /);
  const left = await rows();
  assert.equal(left.filter((r) => r.kind === 'backup').length, 1);
  assert.deepEqual(
    left
      .filter((r) => r.kind === 'safety')
      .map((r) => r.id)
      .sort(),
    saved.slice(2).sort(),
  );
  await app.repositories.withRepository(await app.schedules.target(row), 'erin', async (repo) => {
    const inRestic = await app.restic.snapshots(repo.location, { tags: ['safety'] });
    assert.deepEqual(
      inRestic.map((s) => s.shortId).sort(),
      saved
        .slice(2)
        .map((id) => id.slice(0, 8))
        .sort(),
    );
  });
});
