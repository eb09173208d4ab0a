/**
 * The control plane sends only plain data: the whole service runs with a WireAgent between the
 * control plane and the in-process agent, so every request, answer, event and failure crosses
 * JSON and its schema as on a network. A backup job (Run now), a restore job and a check of the
 * repository all succeed through it, with the same outcome as without it.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import type { JobRow } from '../store/index.js';
import { WireAgent } from './wire.js';

let work: string;
let app: App;
const crossed: string[] = [];
const www = () => join(work, 'home/alice/www');

async function finished(jobId: number): Promise<JobRow> {
  for (let i = 0; i < 1200; i++) {
    const job = await app.jobs.get(jobId);
    if (job && !['pending', 'running'].includes(job.status)) return job;
    await sleep(50);
  }
  throw new Error(`job ${jobId} did not finish`);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-wire-'));
  app = await openApp(
    loadConfig({
      HOSTVAULT_DATA_DIR: join(work, 'data'),
      HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
    }),
    {
      log: () => undefined,
      agent: (local) => new WireAgent(local, { onMessage: (what) => crossed.push(what) }),
    },
  );
  await mkdir(www(), { recursive: true });
  await writeFile(join(www(), 'index.php'), '<?php echo "v1";');
  await app.inventory.importInventory({
    packages: [
      { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 7, maxSchedules: 2 },
    ],
    customers: [
      {
        id: 'alice',
        name: 'Alice',
        linuxUser: 'alice',
        uid: 2000,
        gid: 2000,
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

test('Run now, a restore and a check run with every message crossing as plain data', async () => {
  const schedule = await app.schedules.create({ role: 'admin' }, 'alice', {
    name: 'Nightly web',
    scope: 'web',
    frequency: 'daily',
    retention: 3,
    target: { kind: 'local', path: join(work, 'repos') },
  });
  const { jobId } = await app.schedules.runNow({ role: 'admin' }, schedule.id);
  app.worker.notify();
  const backup = await finished(jobId);
  assert.equal(backup.status, 'successful', `${backup.error}\n${backup.log}`);
  const snapshot = await app.store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('schedule_id', '=', schedule.id)
    .executeTakeFirstOrThrow();
  assert.ok(snapshot.id.startsWith(backup.snapshot_id ?? '-'));
  const repository = await app.store.db
    .selectFrom('repositories')
    .selectAll()
    .where('id', '=', snapshot.repository_id)
    .executeTakeFirstOrThrow();
  assert.ok(repository.initialized_at, "the agent's init, reported as an event, is recorded");

  await writeFile(join(www(), 'index.php'), '<?php echo "broken";');
  const restore = await app.jobs.create({
    type: 'restore',
    trigger: 'manual',
    customerId: 'alice',
    scheduleName: 'Restore web',
    scope: 'web',
    params: {
      repositoryId: snapshot.repository_id,
      snapshotId: snapshot.id,
      request: { what: 'web', keepNewerMail: true },
    },
  });
  assert.ok(restore.created);
  app.worker.notify();
  const restored = await finished(restore.id);
  assert.equal(restored.status, 'successful', `${restored.error}\n${restored.log}`);
  assert.equal(await readFile(join(www(), 'index.php'), 'utf8'), '<?php echo "v1";');

  const check = await app.jobs.create({
    type: 'maintenance',
    trigger: 'system',
    customerId: null,
    scheduleName: 'Check repository',
    params: { task: 'check', scheduleId: schedule.id, owner: 'alice', url: repository.url },
  });
  assert.ok(check.created);
  app.worker.notify();
  const checked = await finished(check.id);
  assert.equal(checked.status, 'successful', `${checked.error}\n${checked.log}`);

  for (const what of ['backup', 'backup answer', 'restore', 'restore answer', 'maintain', 'event'])
    assert.ok(crossed.includes(what), `${what} crossed the wire`);
});

test("a failure crosses as data and still reads as the job's error", async () => {
  const schedule = await app.schedules.create({ role: 'admin' }, 'alice', {
    name: 'Databases',
    scope: 'databases',
    frequency: 'daily',
    retention: 3,
    target: { kind: 'local', path: join(work, 'repos') },
  });
  const { jobId } = await app.schedules.runNow({ role: 'admin' }, schedule.id);
  app.worker.notify();
  const job = await finished(jobId);
  assert.equal(job.status, 'failed');
  assert.equal(job.error, 'Nothing to back up: Alice has no data in this scope.');
  assert.ok(crossed.includes('failure'));
});
