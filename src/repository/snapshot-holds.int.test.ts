/**
 * Holds against real restic, on an injected clock: a snapshot on legal hold survives the
 * retention that would have removed it, and goes with the first retention after its hold ends;
 * a kept one survives the deletion of its schedule "with snapshots"; the keep limit refuses
 * clearly and changes nothing.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import { targetSchema } from '../target/schema.js';
import { KeepLimitError } from './snapshot-holds.js';

let work: string;
let app: App;
let clock = new Date('2026-11-28T03:00:00Z');
const now = () => clock;
const DAY = 86_400_000;
const admin = { role: 'admin' as const };

async function finish(id: number) {
  for (let i = 0; i < 600; i++) {
    const job = await app.jobs.get(id);
    if (job && !['pending', 'running'].includes(job.status)) return job;
    await sleep(100);
  }
  throw new Error(`job ${id} did not finish`);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-holds-'));
  app = await openApp(
    loadConfig({
      HOSTVAULT_DATA_DIR: join(work, 'data'),
      HOSTVAULT_KEY_FILE: join(work, 'master.key'),
    }),
    { now, log: () => undefined },
  );
  await mkdir(join(work, 'www'));
  await app.inventory.importInventory({
    packages: [
      {
        id: 'p',
        name: 'P',
        frequencies: ['daily'],
        maxRetention: 5,
        maxSchedules: 5,
        keepLimit: 1,
      },
    ],
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

test('a held snapshot survives retention, and goes when its hold has ended', async () => {
  const repos = join(work, 'repos');
  const schedule = await app.schedules.create(admin, 'erin', {
    name: 'Web',
    scope: 'web',
    frequency: 'daily',
    retention: 1,
    target: { kind: 'local', path: repos },
  });
  let n = 0;
  const backup = async () => {
    await writeFile(join(work, 'www/index.html'), `version ${++n}`);
    const job = await finish((await app.schedules.runNow(admin, schedule.id)).jobId);
    assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
    return job;
  };
  const inRestic = async () =>
    (
      await app.repositories.withRepository(
        targetSchema.parse({ kind: 'local', path: repos }),
        'erin',
        (repo) => app.restic.snapshots(repo.location),
      )
    ).map((s) => s.id);
  const rows = async () =>
    (await app.store.db.selectFrom('snapshots').select('id').execute()).map((r) => r.id);
  const snapshotRow = async (id: string) =>
    app.store.db.selectFrom('snapshots').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  const a = await backup();
  const held = await app.holds.hold(await snapshotRow(a.snapshot_id!), {
    reason: 'Court order 4 O 123/26',
    expiresAt: new Date(clock.getTime() + 10 * DAY).toISOString(),
  });
  assert.equal(held.kind, 'legal');
  await assert.rejects(
    app.holds.hold(await snapshotRow(a.snapshot_id!), {
      reason: 'x',
      expiresAt: new Date(clock.getTime() - DAY).toISOString(),
    }),
    { code: 'snapshot.hold_expiry_past' },
  );

  // Retention 1 would forget A: it is held, so it stays in restic and on the Restore tab.
  clock = new Date(clock.getTime() + DAY);
  const b = await backup();
  assert.match(b.log ?? '', /Retention: 1 held snapshot\(s\) kept beyond 1/);
  assert.ok((await inRestic()).some((id) => id.startsWith(a.snapshot_id!)));
  assert.deepEqual((await rows()).sort(), [a.snapshot_id, b.snapshot_id].sort());

  // Still held on day 9; from day 11 on its hold has ended and the next retention forgets it.
  clock = new Date(clock.getTime() + 8 * DAY);
  await backup();
  assert.ok((await inRestic()).some((id) => id.startsWith(a.snapshot_id!)));
  clock = new Date(clock.getTime() + 2 * DAY);
  assert.deepEqual(await app.holds.heldIds(held.repositoryId), []);
  const d = await backup();
  assert.ok(!(await inRestic()).some((id) => id.startsWith(a.snapshot_id!)));
  assert.deepEqual(await rows(), [d.snapshot_id]);
  assert.equal((await inRestic()).length, 1);

  // The keep limit (1 in this package): a second keep is refused, nothing changes.
  const kept = await app.holds.keep(await snapshotRow(d.snapshot_id!));
  assert.equal(kept.kind, 'keep');
  assert.equal((await app.holds.keep(await snapshotRow(d.snapshot_id!))).id, kept.id);
  clock = new Date(clock.getTime() + DAY);
  const e = await backup();
  assert.ok(
    (await inRestic()).some((id) => id.startsWith(d.snapshot_id!)),
    'kept: not forgotten',
  );
  await assert.rejects(app.holds.keep(await snapshotRow(e.snapshot_id!)), (error: unknown) => {
    assert.ok(error instanceof KeepLimitError);
    assert.equal(error.code, 'snapshot.keep_limit');
    assert.deepEqual(error.params, { max: 1 });
    return true;
  });
  assert.deepEqual(
    (await app.holds.list({ customerId: 'erin' })).map((h) => h.snapshotId),
    [d.snapshot_id],
  );

  // Deleting the schedule "with its snapshots" forgets all but the kept one, which stays.
  const { forgotten } = await app.scheduleDeletion.delete(admin, schedule.id, 'forget');
  assert.equal(forgotten, 1);
  const left = await inRestic();
  assert.equal(left.length, 1);
  assert.ok(left[0]!.startsWith(d.snapshot_id!));
  assert.deepEqual(await rows(), [d.snapshot_id]);
});
