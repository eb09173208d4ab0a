/**
 * Restore drills with real restic and MariaDB: a clean snapshot gets a verified mark, and each
 * planted damage gives a failed drill that names what differs — a live file whose content differs
 * though its size and time are as at the backup, a dump in the repository truncated after its
 * checksums were recorded, and a pack file corrupted on the target. Nothing of the customer's is
 * touched: no scratch directory and no throw-away database is left behind.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  access,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connection, dropEverything, sql, uniquePrefix } from '../../test/support/mariadb.js';
import { WireAgent } from '../agent/wire.js';
import { openApp, type App } from '../app.js';
import { bodyOf, type NotifyEvent } from '../notify/message.js';
import { Notifier } from '../notify/notifier.js';
import { loadConfig } from '../config.js';
import { recordBackupSnapshot, snapshotRoots } from '../repository/snapshot-records.js';
import { streamedDumps, tag } from '../scope/scope.js';
import type { JobRow, SnapshotRow } from '../store/index.js';
import { planDrillAfterBackup, planWeeklyDrills, queueDrill } from './drill-planner.js';
import { drillsOf, lastVerified } from './drill-records.js';

const prefix = uniquePrefix();
const customerId = `${prefix}alice`.replace(/_+$/, '').toLowerCase();
const shop = `${prefix}shop`;
let work: string;
let app: App;
let scheduleId: number;
const crossed = new Set<string>();
const www = () => join(work, 'home/alice/www');
const target = () => ({ kind: 'local' as const, path: join(work, 'repos') });

async function finished(jobId: number): Promise<JobRow> {
  for (let i = 0; i < 2400; i++) {
    const job = await app.jobs.get(jobId);
    if (job && !['pending', 'running'].includes(job.status)) return job;
    await sleep(50);
  }
  throw new Error(`job ${jobId} did not finish`);
}

async function backup(): Promise<SnapshotRow> {
  const { jobId } = await app.schedules.runNow({ role: 'admin' }, scheduleId);
  app.worker.notify();
  const job = await finished(jobId);
  assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
  return app.store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('schedule_id', '=', scheduleId)
    .orderBy('time', 'desc')
    .executeTakeFirstOrThrow();
}

async function drill(snapshot: SnapshotRow): Promise<JobRow> {
  const id = await queueDrill(
    { jobs: app.jobs },
    {
      snapshotId: snapshot.id,
      repositoryId: snapshot.repository_id,
      customerId,
      reason: 'manual',
    },
  );
  assert.ok(id);
  app.worker.notify();
  return finished(id);
}

/** Leftovers of a drill: scratch directories in the data dir, throw-away databases. */
async function leftovers(): Promise<string[]> {
  const files = (await readdir(join(work, 'data'))).filter((n) => n.startsWith('drill-'));
  const dbs = (
    await sql(
      `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'hvr\\_%${shop}';`,
    )
  ).map((r) => r[0]!);
  return [...files, ...dbs];
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-drill-'));
  app = await openApp(
    loadConfig({
      HOSTVAULT_DATA_DIR: join(work, 'data'),
      HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
      HOSTVAULT_INSTANCE_ID: connection.instance,
      // Only the drills a test queues: none sampled after its backups.
      HOSTVAULT_DRILL_RATE: '0',
    }),
    {
      log: () => undefined,
      // Every drill request, answer and event crosses JSON and its schema, as over the fleet.
      agent: (local) => new WireAgent(local, { onMessage: (what) => crossed.add(what) }),
    },
  );
  await mkdir(join(www(), 'assets'), { recursive: true });
  await writeFile(join(www(), 'index.php'), '<?php echo "hello";\n');
  await writeFile(join(www(), 'assets/app.css'), 'body { color: black; }\n');
  await writeFile(join(www(), 'assets/big.bin'), randomBytes(2 * 1024 * 1024));
  await sql(
    `CREATE DATABASE \`${shop}\`;
     CREATE TABLE \`${shop}\`.orders (id INT PRIMARY KEY, item VARCHAR(40)) ENGINE=InnoDB;
     INSERT INTO \`${shop}\`.orders VALUES ${Array.from({ length: 200 }, (_, i) => `(${i + 1}, 'item ${i + 1}')`).join(', ')};`,
  );
  await app.inventory.importInventory({
    packages: [
      { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 20, maxSchedules: 2 },
    ],
    customers: [
      {
        id: customerId,
        name: 'Alice',
        linuxUser: 'alice',
        uid: 2000,
        gid: 2000,
        packageId: 'basic',
        webRoot: www(),
        databases: [shop],
      },
    ],
  });
  const schedule = await app.schedules.create({ role: 'admin' }, customerId, {
    name: 'Nightly',
    scope: 'full',
    frequency: 'daily',
    retention: 10,
    target: target(),
  });
  scheduleId = schedule.id;
  app.worker.start();
});

after(async () => {
  await app?.close();
  await dropEverything(prefix);
  await rm(work, { recursive: true, force: true });
});

test('a clean snapshot restores as recorded: verified mark with its date, nothing left behind', async () => {
  const snapshot = await backup();
  const job = await drill(snapshot);
  assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
  assert.match(job.log ?? '', /3 file\(s\) equal to the live files/);
  assert.match(job.log ?? '', /1 database\(s\) equal to their recorded checksums/);
  const [row] = await drillsOf(app.store, snapshot.id);
  assert.equal(row?.status, 'verified');
  assert.equal(row?.files_compared, 3);
  assert.equal(row?.databases_compared, 1);
  assert.equal((await lastVerified(app.store, customerId))?.finished_at, row?.finished_at);
  assert.deepEqual(await leftovers(), []);
  assert.ok(crossed.has('drill') && crossed.has('drill answer'), 'the drill crossed the wire');
});

test('a file whose content differs though size and time are unchanged fails the drill by name', async () => {
  const snapshot = await backup();
  const file = join(www(), 'index.php');
  const before = await stat(file);
  await writeFile(file, '<?php echo "HELLO";\n');
  await utimes(file, before.atime, before.mtime);
  try {
    const job = await drill(snapshot);
    assert.equal(job.status, 'failed');
    assert.match(job.error ?? '', /file .*index\.php: content differs from the live file/);
    const [row] = await drillsOf(app.store, snapshot.id);
    assert.equal(row?.status, 'failed');
    assert.match(row?.difference ?? '', /index\.php/);
    // The provider hears of it, with the difference.
    const sent: NotifyEvent[] = [];
    const notifier = new Notifier({
      store: app.store,
      channels: [{ name: 'capture', secrets: [], send: async (event) => void sent.push(event) }],
      customers: app.inventory,
      targets: app.targets,
      log: () => undefined,
    });
    await notifier.handleJobFinished(job, 'failed');
    await notifier.close();
    assert.equal(sent[0]?.event, 'drill.failed');
    assert.match(sent[0]?.text ?? '', /^Restore drill failed: Restore drill of hvt_/);
    assert.match(bodyOf(sent[0]!), /What differs: .*index\.php: content differs/);
    assert.deepEqual(await leftovers(), []);
  } finally {
    await writeFile(file, '<?php echo "hello";\n');
  }
});

test('a dump in the repository truncated after its checksums were recorded fails the drill by table', async () => {
  const good = await backup();
  const roots = snapshotRoots(good);
  const staging = roots.db![0]!;
  const repo = await app.repositories.locationFor(target(), customerId);
  // The backup's dump as it is in the repository (staged, or streamed into its own snapshot).
  const copy = await mkdtemp(join(tmpdir(), 'hv-drill-dump-'));
  await app.restic.restore(repo.location, good.id, { target: copy, include: [staging] });
  const dump = join(copy, staging, `${shop}.sql`);
  if (
    !(await access(dump).then(
      () => true,
      () => false,
    ))
  ) {
    const [summary] = await app.restic.snapshots(repo.location, { ids: [good.id] });
    const part = streamedDumps(summary?.tags ?? []).get(shop)!;
    await app.restic.restore(repo.location, part, {
      target: join(copy, staging),
      include: [`/${shop}.sql`],
    });
  }
  // Cut after the CREATE TABLE: the import succeeds, the table is empty, its checksum differs.
  const text = await readFile(dump, 'latin1');
  const cut = text.indexOf('INSERT INTO');
  assert.ok(cut > 0);
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, `${shop}.sql`), text.slice(0, cut), 'latin1');
  await writeFile(
    join(staging, `${shop}.checksums.json`),
    await readFile(join(copy, staging, `${shop}.checksums.json`)),
  );
  await rm(copy, { recursive: true, force: true });
  const saved = await app.restic.backup(repo.location, {
    paths: [staging],
    tags: [tag.customer(customerId)],
  });
  await rm(join(staging, `${shop}.sql`), { force: true });
  const id = saved.summary.snapshotId;
  const [made] = await app.restic.snapshots(repo.location, { ids: [id] });
  await recordBackupSnapshot(app.store, {
    id: made!.id,
    repositoryId: good.repository_id,
    scheduleId,
    customerId,
    time: made!.time,
    scope: 'databases',
    contents: ['db'],
    roots: { db: [staging] },
    size: 0,
    forgotten: [],
  });
  const tampered = await app.store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('id', '=', made!.id)
    .executeTakeFirstOrThrow();
  const job = await drill(tampered);
  assert.equal(job.status, 'failed');
  assert.match(
    job.error ?? '',
    new RegExp(`database ${shop}: table orders does not match the backup`),
  );
  assert.deepEqual(await leftovers(), []);
});

test('the planner: every Nth backup within the hourly budget, weekly per repository', async () => {
  const snapshot = await backup();
  const ref = { snapshotId: snapshot.id, repositoryId: snapshot.repository_id, customerId };
  const policy = {
    afterBackupRate: 0.5,
    perServerPerHour: 1,
    weeklyEveryDays: 7,
    sampleFiles: 20,
    sampleBytes: 1 << 26,
  };
  const plan = (rate: number, perServerPerHour: number) =>
    planDrillAfterBackup(
      {
        store: app.store,
        jobs: app.jobs,
        policy: { ...policy, afterBackupRate: rate, perServerPerHour },
      },
      ref,
    );
  // Four backups so far (one per test): at one in ten, not yet; at one in five, this is the fifth
  // (the one just recorded counts as running still).
  assert.equal(await plan(0.1, 4), undefined);
  const first = await plan(0.2, 4);
  assert.ok(first);
  assert.equal(await plan(0.2, 4), undefined, 'counted again from the last drill after a backup');
  assert.equal(await plan(1, 1), undefined, 'over the budget of one an hour');
  const second = await plan(1, 2);
  assert.ok(second, 'within a budget of two an hour');
  for (const id of [first, second]) {
    // The worker may have taken it already: let it run (a drill of this clean snapshot).
    await app.jobs.cancelPending(id);
    await finished(id);
  }
  // The repository was drilled today: no weekly drill; eight days later, one of its newest snapshot.
  assert.deepEqual(await planWeeklyDrills({ store: app.store, jobs: app.jobs, policy }), []);
  const later = new Date(Date.now() + 8 * 86_400_000);
  const weekly = await planWeeklyDrills({
    store: app.store,
    jobs: app.jobs,
    policy,
    now: () => later,
  });
  assert.equal(weekly.length, 1);
  const queued = await app.jobs.get(weekly[0]!);
  assert.equal(JSON.parse(queued!.params!).snapshotId, snapshot.id);
  assert.equal(JSON.parse(queued!.params!).reason, 'weekly');
  await app.jobs.cancelPending(weekly[0]!);
  await finished(weekly[0]!);
});

test('a pack file corrupted on the target fails the drill', async (t) => {
  const snapshot = await backup();
  const repository = await app.store.db
    .selectFrom('repositories')
    .selectAll()
    .where('id', '=', snapshot.repository_id)
    .executeTakeFirstOrThrow();
  // The largest pack holds the file data; a few bytes flipped in its middle.
  const packs: { path: string; size: number }[] = [];
  for (const dir of await readdir(join(repository.url, 'data')))
    for (const name of await readdir(join(repository.url, 'data', dir))) {
      const path = join(repository.url, 'data', dir, name);
      packs.push({ path, size: (await stat(path)).size });
    }
  packs.sort((a, b) => b.size - a.size);
  const pack = packs[0]!;
  const handle = await open(pack.path, 'r+');
  await handle.write(randomBytes(64), 0, 64, Math.floor(pack.size / 2));
  await handle.close();
  const job = await drill(snapshot);
  assert.equal(job.status, 'failed', job.log ?? '');
  assert.match(job.error ?? '', /did not restore/);
  t.diagnostic(job.error ?? '');
  const [row] = await drillsOf(app.store, snapshot.id);
  assert.equal(row?.status, 'failed');
  assert.deepEqual(await leftovers(), []);
});
