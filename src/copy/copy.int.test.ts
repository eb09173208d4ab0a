/**
 * Second copies (issue 14) with real restic on two local targets, every agent message crossing
 * as plain data (WireAgent): each backup is copied by a job of its own, the copy keeps its own
 * number of snapshots, and with the first target's repository deleted a restore from the copy
 * gives back the web root byte for byte.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WireAgent } from '../agent/wire.js';
import { openApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import { ScheduleBusyError } from '../schedule/schedule-deletion.js';
import { ScheduleInputError } from '../schedule/schedule-service.js';
import type { JobRow } from '../store/index.js';

let work: string;
let app: App;
const www = () => join(work, 'home/dana/www');
const admin = { role: 'admin' as const };

async function finished(jobId: number): Promise<JobRow> {
  for (let i = 0; i < 1200; i++) {
    const job = await app.jobs.get(jobId);
    if (job && !['pending', 'running'].includes(job.status)) return job;
    await sleep(50);
  }
  throw new Error(`job ${jobId} did not finish`);
}

/** The copy job queued after `backupJobId` (the next copy job by id). */
async function copyAfter(backupJobId: number): Promise<JobRow> {
  for (let i = 0; i < 200; i++) {
    const job = await app.store.db
      .selectFrom('jobs')
      .selectAll()
      .where('type', '=', 'copy')
      .where('id', '>', backupJobId)
      .orderBy('id')
      .executeTakeFirst();
    if (job) return finished(job.id);
    await sleep(50);
  }
  throw new Error(`no copy job after job ${backupJobId}`);
}

/** Every file under `root` by relative path, with its content's hash. */
async function contents(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(dir: string, rel: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path, `${rel}${entry.name}/`);
      else
        out[`${rel}${entry.name}`] = createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
    }
  }
  await walk(root, '');
  return out;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-copy-'));
  app = await openApp(
    loadConfig({
      HOSTVAULT_DATA_DIR: join(work, 'data'),
      HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
    }),
    { log: () => undefined, agent: (local) => new WireAgent(local) },
  );
  await mkdir(join(www(), 'img'), { recursive: true });
  await writeFile(join(www(), 'index.php'), '<?php echo "v1";');
  await writeFile(join(www(), 'img/photo.bin'), randomBytes(300 * 1024));
  await app.inventory.importInventory({
    packages: [
      { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 7, maxSchedules: 2 },
    ],
    customers: [
      {
        id: 'dana',
        name: 'Dana',
        linuxUser: 'dana',
        uid: 2100,
        gid: 2100,
        packageId: 'basic',
        webRoot: www(),
      },
    ],
  });
  app.worker.start();
});
after(async () => {
  await app.close();
  await rm(work, { recursive: true, force: true });
});

test('each backup is copied to the second target, which keeps its own number; restores work from the copy after the first repository is deleted', async () => {
  const schedule = await app.schedules.create(admin, 'dana', {
    name: 'Web 3-2-1',
    scope: 'web',
    frequency: 'daily',
    retention: 3,
    target: { kind: 'local', path: join(work, 'repos-a') },
  });
  assert.equal(schedule.copy, null);

  // Bad input changes nothing: the same place twice, a retention that is not a number.
  await assert.rejects(
    app.schedules.setCopy(admin, schedule.id, {
      target: { kind: 'local', path: join(work, 'repos-a') },
    }),
    (e: unknown) =>
      e instanceof ScheduleInputError && e.fields[0]?.code === 'schedule.copy_same_target',
  );
  await assert.rejects(
    app.schedules.setCopy(admin, schedule.id, {
      target: { kind: 'local', path: join(work, 'repos-b') },
      retention: 'two',
    }),
    (e: unknown) => e instanceof ScheduleInputError && e.fields[0]?.field === 'retention',
  );
  assert.equal((await app.schedules.get(admin, schedule.id)).copy, null);

  const withCopy = await app.schedules.setCopy(admin, schedule.id, {
    target: { kind: 'local', path: join(work, 'repos-b') },
    retention: 2,
  });
  assert.deepEqual(withCopy.copy, {
    target: { kind: 'local', path: join(work, 'repos-b') },
    retention: 2,
    lastStatus: null,
    lastAt: null,
  });

  const states: Record<string, string>[] = [];
  for (const version of ['v1', 'v2', 'v3']) {
    await writeFile(join(www(), 'index.php'), `<?php echo "${version}";`);
    states.push(await contents(www()));
    const { jobId } = await app.schedules.runNow(admin, schedule.id);
    app.worker.notify();
    const backup = await finished(jobId);
    assert.equal(backup.status, 'successful', `${backup.error}\n${backup.log}`);
    const copy = await copyAfter(jobId);
    assert.equal(copy.status, 'successful', `${copy.error}\n${copy.log}`);
    assert.equal(copy.customer_id, 'dana', "the copy is in the customer's history");
  }
  assert.equal((await app.schedules.get(admin, schedule.id)).copy?.lastStatus, 'successful');

  const rows = await app.store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('schedule_id', '=', schedule.id)
    .orderBy('time')
    .execute();
  const firsts = rows.filter((r) => r.copy_of === null);
  const copies = rows.filter((r) => r.copy_of !== null);
  assert.equal(firsts.length, 3, 'the first target keeps 3');
  assert.equal(copies.length, 2, 'the second keeps its own 2');
  assert.notEqual(copies[0]!.repository_id, firsts[0]!.repository_id);
  assert.deepEqual(
    copies.map((c) => c.copy_of),
    firsts.slice(1).map((f) => f.id),
    'the copies are of the two newest backups',
  );

  // The first target's repository is gone; the copy of the second backup restores it exactly.
  const first = await app.store.db
    .selectFrom('repositories')
    .selectAll()
    .where('id', '=', firsts[0]!.repository_id)
    .executeTakeFirstOrThrow();
  await rm(first.url, { recursive: true, force: true });
  await writeFile(join(www(), 'index.php'), '<?php echo "broken";');
  await rm(join(www(), 'img/photo.bin'));
  const restore = await app.restores.request(
    admin,
    { repositoryId: copies[0]!.repository_id, snapshotId: copies[0]!.id },
    { what: 'web', keepNewerMail: true },
  );
  app.worker.notify();
  const restored = await finished(restore.jobId);
  assert.equal(restored.status, 'successful', `${restored.error}\n${restored.log}`);
  assert.deepEqual(await contents(www()), states[1], 'the web root of the second backup');
  await assert.rejects(stat(first.url), { code: 'ENOENT' });
});

test('a copy that fails is a failed job of its own; the backup stays successful', async () => {
  const blocker = join(work, 'not-a-directory');
  await writeFile(blocker, 'a file where the second target should be');
  const schedule = await app.schedules.create(admin, 'dana', {
    name: 'Web, copy broken',
    scope: 'web',
    frequency: 'daily',
    retention: 2,
    target: { kind: 'local', path: join(work, 'repos-c') },
  });
  await app.schedules.setCopy(admin, schedule.id, { target: { kind: 'local', path: blocker } });
  const { jobId } = await app.schedules.runNow(admin, schedule.id);
  app.worker.notify();
  assert.equal((await finished(jobId)).status, 'successful');
  const copy = await copyAfter(jobId);
  assert.equal(copy.status, 'failed');
  assert.ok(copy.error, 'the failure is named');
  const view = await app.schedules.get(admin, schedule.id);
  assert.equal(view.copy?.lastStatus, 'failed');
  assert.equal(view.lastStatus, 'successful');

  // Ending the second copy: no further copy job.
  assert.equal((await app.schedules.setCopy(admin, schedule.id, { target: null })).copy, null);
  const again = await app.schedules.runNow(admin, schedule.id);
  app.worker.notify();
  assert.equal((await finished(again.jobId)).status, 'successful');
  await sleep(300);
  const later = await app.store.db
    .selectFrom('jobs')
    .select('id')
    .where('type', '=', 'copy')
    .where('id', '>', again.jobId)
    .execute();
  assert.deepEqual(later, []);
});

/** The ids restic lists in the repository of row `repositoryId` (full ids). */
async function inRestic(repositoryId: number): Promise<string[]> {
  const place = await app.repositoryRecords.place(repositoryId);
  const snapshots = await app.repositories.withRepository(place.target.target, 'dana', (repo) =>
    app.restic.snapshots(repo.location),
  );
  return snapshots.map((s) => s.id);
}

const sameId = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);

/** Runs the schedule once: its backup, then its copy, both successful. */
async function backupAndCopy(scheduleId: number): Promise<void> {
  const { jobId } = await app.schedules.runNow(admin, scheduleId);
  app.worker.notify();
  const backup = await finished(jobId);
  assert.equal(backup.status, 'successful', `${backup.error}\n${backup.log}`);
  const copy = await copyAfter(jobId);
  assert.equal(copy.status, 'successful', `${copy.error}\n${copy.log}`);
}

async function copyRows(scheduleId: number) {
  return app.store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('schedule_id', '=', scheduleId)
    .where('copy_of', 'is not', null)
    .orderBy('time')
    .execute();
}

test("a held copy is kept beyond the copy's retention and does not count toward it", async () => {
  const schedule = await app.schedules.create(admin, 'dana', {
    name: 'Web, copy held',
    scope: 'web',
    frequency: 'daily',
    retention: 3,
    target: { kind: 'local', path: join(work, 'repos-h1') },
  });
  await app.schedules.setCopy(admin, schedule.id, {
    target: { kind: 'local', path: join(work, 'repos-h2') },
    retention: 1,
  });
  await writeFile(join(www(), 'index.php'), '<?php echo "held-1";');
  await backupAndCopy(schedule.id);
  const [first] = await copyRows(schedule.id);
  assert.ok(first);
  await app.holds.hold(first, { reason: 'investigation 42' });

  // Two more backups: the copy keeps 1, plus the held one, which it does not count.
  for (const version of ['held-2', 'held-3']) {
    await writeFile(join(www(), 'index.php'), `<?php echo "${version}";`);
    await backupAndCopy(schedule.id);
  }
  const rows = await copyRows(schedule.id);
  assert.equal(rows.length, 2, rows.map((r) => r.id).join());
  assert.equal(rows[0]!.id, first.id, 'the held copy stays');
  const newest = await app.store.db
    .selectFrom('snapshots')
    .select('id')
    .where('schedule_id', '=', schedule.id)
    .where('copy_of', 'is', null)
    .orderBy('time', 'desc')
    .executeTakeFirstOrThrow();
  assert.equal(rows[1]!.copy_of, newest.id, 'and the copy of the newest backup');
  const backups = (await inRestic(first.repository_id)).length;
  // Each copied backup of the web scope is one snapshot (no dumps): restic holds just these two.
  assert.equal(backups, 2);
  for (const row of rows)
    assert.ok(
      (await inRestic(first.repository_id)).some((id) => sameId(id, row.id)),
      row.id,
    );

  // Released, the next copy's retention lets it go.
  await app.holds.release(first);
  await writeFile(join(www(), 'index.php'), '<?php echo "held-4";');
  await backupAndCopy(schedule.id);
  const after = await copyRows(schedule.id);
  assert.equal(after.length, 1);
  assert.notEqual(after[0]!.id, first.id);
  assert.deepEqual(
    (await inRestic(first.repository_id)).filter((id) => sameId(id, first.id)),
    [],
    'restic forgot the copy once its hold ended',
  );
});

test('deleting a schedule with its snapshots forgets its copies on the second target too', async () => {
  const schedule = await app.schedules.create(admin, 'dana', {
    name: 'Web, deleted with copies',
    scope: 'web',
    frequency: 'daily',
    retention: 3,
    target: { kind: 'local', path: join(work, 'repos-d1') },
  });
  await app.schedules.setCopy(admin, schedule.id, {
    target: { kind: 'local', path: join(work, 'repos-d2') },
    retention: 3,
  });
  for (const version of ['del-1', 'del-2']) {
    await writeFile(join(www(), 'index.php'), `<?php echo "${version}";`);
    await backupAndCopy(schedule.id);
  }
  const copies = await copyRows(schedule.id);
  assert.equal(copies.length, 2);
  const second = copies[0]!.repository_id;
  const firstRows = await app.store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('schedule_id', '=', schedule.id)
    .where('copy_of', 'is', null)
    .execute();
  const first = firstRows[0]!.repository_id;
  assert.equal((await inRestic(second)).length, 2);

  // While a copy of its backups runs, the schedule is not deleted (the copy would be missed).
  const running = await app.store.db
    .insertInto('jobs')
    .values({
      type: 'copy',
      status: 'running',
      schedule_id: null,
      customer_id: 'dana',
      schedule_name: 'Web, deleted with copies',
      scope: null,
      trigger: 'system',
      params: JSON.stringify({
        scheduleId: schedule.id,
        snapshotId: firstRows[0]!.id,
        repositoryId: first,
        customerId: 'dana',
      }),
      created_at: new Date().toISOString(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await assert.rejects(
    app.scheduleDeletion.delete(admin, schedule.id, 'forget'),
    (e: unknown) => e instanceof ScheduleBusyError,
  );
  await app.store.db
    .updateTable('jobs')
    .set({ status: 'canceled', finished_at: new Date().toISOString() })
    .where('id', '=', running.id)
    .execute();

  // One copy restic made but no row records (its job failed before recording it): found too.
  await app.store.db.deleteFrom('snapshots').where('id', '=', copies[1]!.id).execute();
  const result = await app.scheduleDeletion.delete(admin, schedule.id, 'forget');
  assert.equal(result.forgotten, 3, 'the rows of two backups and one copy');
  assert.deepEqual(await inRestic(second), [], 'no copy left on the second target');
  assert.deepEqual(await inRestic(first), [], 'no backup left on the first');
  const left = await app.store.db
    .selectFrom('snapshots')
    .select('id')
    .where('repository_id', 'in', [first, second])
    .execute();
  assert.deepEqual(left, []);
});
