/**
 * The customer life cycle (issue 14) with real restic on a local target and an injected clock:
 * terminate → final backup → purge once the kept days are over removes the repository, and the
 * audit says so; a path purged from every snapshot of a customer is gone from each and the
 * repository checks clean (restic 0.15+), or the request is refused naming the version (0.14).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WireAgent } from '../agent/wire.js';
import { openApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import { HostvaultError } from '../errors/index.js';
import { queueDrill } from '../drill/drill-planner.js';
import { drillsOf } from '../drill/drill-records.js';
import { snapshotRoots } from '../repository/snapshot-records.js';
import type { JobRow } from '../store/index.js';

let work: string;
let app: App;
let clock = new Date('2026-12-01T10:00:00Z');
const now = () => clock;
const admin = { role: 'admin' as const };
const home = (id: string) => join(work, 'home', id, 'www');

async function finished(jobId: number): Promise<JobRow> {
  for (let i = 0; i < 1200; i++) {
    const job = await app.jobs.get(jobId);
    if (job && !['pending', 'running'].includes(job.status)) return job;
    await sleep(50);
  }
  throw new Error(`job ${jobId} did not finish`);
}

function customer(id: string, uid: number) {
  return { id, name: id, linuxUser: id, uid, gid: uid, packageId: 'basic', webRoot: home(id) };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-lifecycle-'));
  app = await openApp(
    loadConfig({
      HOSTVAULT_DATA_DIR: join(work, 'data'),
      HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
      HOSTVAULT_TERMINATED_KEEP_DAYS: '7',
    }),
    { log: () => undefined, now, agent: (local) => new WireAgent(local) },
  );
  for (const id of ['erik', 'fay', 'gus']) {
    await mkdir(home(id), { recursive: true });
    await writeFile(join(home(id), 'index.php'), `<?php echo "${id}";`);
  }
  await app.inventory.importInventory({
    packages: [
      { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 7, maxSchedules: 2 },
    ],
    customers: [customer('erik', 2201), customer('fay', 2202), customer('gus', 2203)],
  });
  app.worker.start();
});
after(async () => {
  await app.close();
  await rm(work, { recursive: true, force: true });
});

test('terminate: a final backup, schedules stopped, and after the kept days the repository is purged with an audit record', async () => {
  const schedule = await app.schedules.create(admin, 'erik', {
    name: 'Web',
    scope: 'web',
    frequency: 'daily',
    retention: 3,
    target: { kind: 'local', path: join(work, 'repos') },
  });
  await writeFile(join(home('erik'), 'last-words.txt'), 'written just before termination');

  const answer = await app.lifecycle.terminate('erik', { actor: 'panel', waitMs: 120_000 });
  assert.equal(answer.state, 'terminated');
  assert.equal(answer.finalBackupJobs.length, 1);
  const final = await app.jobs.get(answer.finalBackupJobs[0]!);
  assert.equal(final?.status, 'successful', `${final?.error}\n${final?.log}`);
  assert.equal(
    answer.purgeAfter,
    '2026-12-08T10:00:00.000Z',
    'now + HOSTVAULT_TERMINATED_KEEP_DAYS',
  );
  assert.equal((await app.schedules.get(admin, schedule.id)).enabled, false);
  const rows = await app.store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('customer_id', '=', 'erik')
    .execute();
  assert.equal(rows.length, 1, 'the final backup is recorded');
  const repository = await app.store.db
    .selectFrom('repositories')
    .selectAll()
    .where('id', '=', rows[0]!.repository_id)
    .executeTakeFirstOrThrow();
  await stat(join(repository.url, 'config'));

  await assert.rejects(
    app.lifecycle.suspend('erik', { actor: 'panel' }),
    (e: unknown) => e instanceof HostvaultError && e.code === 'lifecycle.terminated',
  );
  // Within the kept days nothing is purged.
  clock = new Date('2026-12-08T09:59:00Z');
  assert.deepEqual(await app.lifecycle.planPurges(), []);
  clock = new Date('2026-12-08T10:00:00Z');
  const [purge, ...more] = await app.lifecycle.planPurges();
  assert.equal(more.length, 0);
  assert.deepEqual(await app.lifecycle.planPurges(), [], 'one purge at a time');
  const job = await finished(purge!);
  assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);

  await assert.rejects(stat(repository.url), { code: 'ENOENT' });
  assert.equal(
    (
      await app.store.db
        .selectFrom('repositories')
        .select('id')
        .where('owner', '=', 'erik')
        .execute()
    ).length,
    0,
    'the repository and its password are forgotten',
  );
  assert.equal(
    (
      await app.store.db
        .selectFrom('snapshots')
        .select('id')
        .where('customer_id', '=', 'erik')
        .execute()
    ).length,
    0,
  );
  const status = await app.lifecycle.status('erik');
  assert.equal(status.purgedAt, '2026-12-08T10:00:00.000Z');
  const audit = await app.lifecycle.audit('erik');
  assert.deepEqual(
    audit.map((e) => [e.action, e.actor]),
    [
      ['terminate', 'panel'],
      ['purge', 'system'],
    ],
  );
  const purged = audit[1]!.detail as {
    complete: boolean;
    repositories: { url: string; removed: boolean; forgotten: number }[];
  };
  assert.equal(purged.complete, true);
  assert.deepEqual(
    purged.repositories.map((r) => [r.url, r.removed, r.forgotten]),
    [[repository.url, true, 1]],
  );
  assert.deepEqual(await app.lifecycle.planPurges(), [], 'purged once');
});

test('a path purged from every snapshot of a customer (restic 0.15+), or refused naming the version', async () => {
  await writeFile(join(home('fay'), 'secret.txt'), 'personal data the customer asked to remove');
  const schedule = await app.schedules.create(admin, 'fay', {
    name: 'Web',
    scope: 'web',
    frequency: 'daily',
    retention: 5,
    target: { kind: 'local', path: join(work, 'repos') },
  });
  for (const version of ['v1', 'v2']) {
    await writeFile(join(home('fay'), 'index.php'), `<?php echo "${version}";`);
    const { jobId } = await app.schedules.runNow(admin, schedule.id);
    app.worker.notify();
    assert.equal((await finished(jobId)).status, 'successful');
  }
  const before = await app.store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('customer_id', '=', 'fay')
    .execute();
  assert.equal(before.length, 2);
  const webRoot = snapshotRoots(before[0]!).web?.[0];
  assert.ok(webRoot, 'the snapshot records where the web root is');
  const secret = `${webRoot}/secret.txt`;

  // Bad input: a clear error, nothing queued.
  await assert.rejects(
    app.lifecycle.purgePath('fay', 'secret.txt', { actor: 'cli' }),
    (e: unknown) => e instanceof HostvaultError && e.code === 'lifecycle.path_invalid',
  );
  await assert.rejects(
    app.lifecycle.purgePath('fay', `${webRoot}/../x`, { actor: 'cli' }),
    (e: unknown) => e instanceof HostvaultError && e.code === 'lifecycle.path_invalid',
  );
  const lifecycleJobs = () =>
    app.store.db.selectFrom('jobs').select('id').where('type', '=', 'lifecycle').execute();
  const queuedBefore = (await lifecycleJobs()).length;

  const access = await app.repositoryRecords.accessById(before[0]!.repository_id);
  const location = { url: access.url, password: access.password };
  const listed = async (id: string) => {
    const paths: string[] = [];
    await app.restic.ls(location, id, { onNode: (n) => paths.push(n.path) });
    return paths;
  };

  if (!app.restic.features.rewrite) {
    await assert.rejects(
      app.lifecycle.purgePath('fay', secret, { actor: 'cli' }),
      (e: unknown) =>
        e instanceof HostvaultError &&
        e.code === 'lifecycle.rewrite_unsupported' &&
        e.message.includes(app.restic.version.text) &&
        /0\.15 or newer/.test(e.message),
    );
    assert.equal((await lifecycleJobs()).length, queuedBefore, 'nothing queued');
    for (const row of before) assert.ok((await listed(row.id)).includes(secret));
    return;
  }

  const { jobId } = await app.lifecycle.purgePath('fay', secret, { actor: 'cli' });
  const job = await finished(jobId);
  assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
  const after = await app.store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('customer_id', '=', 'fay')
    .execute();
  assert.equal(after.length, 2, 'each row follows its rewritten snapshot');
  const inRepository = await app.restic.snapshots(location, { tags: ['customer=fay'] });
  assert.equal(inRepository.length, 2, 'the originals are forgotten');
  for (const row of after) {
    assert.ok(
      inRepository.some((s) => s.id.startsWith(row.id)),
      `row ${row.id} names a snapshot in the repository`,
    );
    const paths = await listed(row.id);
    assert.ok(!paths.includes(secret), `${row.id} still holds the path`);
    assert.ok(paths.includes(`${webRoot}/index.php`));
  }
  assert.ok((await app.restic.check(location, { readDataSubset: '100%' })).ok);
  const audit = await app.lifecycle.audit('fay');
  assert.deepEqual(
    audit.map((e) => e.action),
    ['purge_path_requested', 'purge_path'],
  );
  assert.equal((audit[1]!.detail as { complete: boolean }).complete, true);
});

test('after a path purge no browse index lists the path, and drills and copies follow the new ids', async (t) => {
  if (!app.restic.features.rewrite) return t.skip('restic before 0.15 has no rewrite');
  await writeFile(join(home('gus'), 'secret.txt'), 'gus asked for this to go');
  const schedule = await app.schedules.create(admin, 'gus', {
    name: 'Web',
    scope: 'web',
    frequency: 'daily',
    retention: 5,
    target: { kind: 'local', path: join(work, 'repos-gus') },
  });
  await app.schedules.setCopy(admin, schedule.id, {
    target: { kind: 'local', path: join(work, 'repos-gus-copy') },
  });
  const { jobId } = await app.schedules.runNow(admin, schedule.id);
  app.worker.notify();
  assert.equal((await finished(jobId)).status, 'successful');
  // Its copy, then a drill of the backup: a verified mark on the snapshot as it was.
  let rows = await app.store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('customer_id', '=', 'gus')
    .execute();
  for (let i = 0; i < 600 && rows.length < 2; i++) {
    await sleep(50);
    rows = await app.store.db
      .selectFrom('snapshots')
      .selectAll()
      .where('customer_id', '=', 'gus')
      .execute();
  }
  const first = rows.find((r) => r.copy_of === null)!;
  const copy = rows.find((r) => r.copy_of !== null)!;
  assert.ok(first && copy, 'the backup and its second copy are recorded');
  await sleep(500); // the copy job records its status after its rows
  const drill = await queueDrill(
    { jobs: app.jobs },
    {
      snapshotId: first.id,
      repositoryId: first.repository_id,
      customerId: 'gus',
      reason: 'manual',
    },
  );
  assert.ok(drill);
  app.worker.notify();
  const drilled = await finished(drill);
  assert.equal(drilled.status, 'successful', `${drilled.error}\n${drilled.log}`);
  assert.equal((await drillsOf(app.store, first.id)).length, 1);

  // Browsed before the purge: each snapshot's index lists the file.
  const webRoot = snapshotRoots(first).web![0]!;
  const secret = `${webRoot}/secret.txt`;
  const listing = async (row: typeof first) => {
    const repository = await app.repositoryRecords.accessById(row.repository_id);
    const answer = await app.agent.browse.list({
      repository,
      snapshotId: row.id,
      roots: snapshotRoots(row),
      path: '/Web files',
      offset: 0,
      limit: 100,
    });
    return answer.entries.map((e) => e.name);
  };
  for (const row of [first, copy]) assert.ok((await listing(row)).includes('secret.txt'));
  const indexDir = join(work, 'data', 'browse-index');
  const indexes = async () => (await readdir(indexDir)).filter((n) => n.endsWith('.sqlite'));
  const full = (await indexes()).map((n) => n.slice(0, -'.sqlite'.length));
  const oldIds = [first, copy].map((r) => full.find((f) => f.startsWith(r.id))!);
  assert.ok(oldIds.every(Boolean), 'both snapshots have an index');

  const purge = await app.lifecycle.purgePath('gus', secret, { actor: 'cli' });
  const job = await finished(purge.jobId);
  assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);

  // The old indexes are gone: their files named the purged path.
  const left = await indexes();
  for (const id of oldIds) assert.ok(!left.includes(`${id}.sqlite`), `the index of ${id} is left`);
  const after = await app.store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('customer_id', '=', 'gus')
    .execute();
  const newFirst = after.find((r) => r.copy_of === null)!;
  const newCopy = after.find((r) => r.copy_of !== null)!;
  assert.notEqual(newFirst.id, first.id, 'the backup was rewritten');
  assert.notEqual(newCopy.id, copy.id, 'so was its copy on the second target');
  assert.ok(newFirst.id.startsWith(newCopy.copy_of!) || newCopy.copy_of!.startsWith(newFirst.id));
  // Browsed after: the new snapshots, freshly indexed, do not list it.
  for (const row of [newFirst, newCopy]) {
    const names = await listing(row);
    assert.ok(names.includes('index.php'), names.join());
    assert.ok(!names.includes('secret.txt'), `${row.id} lists the purged file`);
  }
  // The drill's record moved with its snapshot; none is left under the old id.
  assert.deepEqual(await drillsOf(app.store, first.id), []);
  const moved = await drillsOf(app.store, newFirst.id);
  assert.equal(moved.length, 1);
  assert.equal(moved[0]!.job_id, drill);
});
