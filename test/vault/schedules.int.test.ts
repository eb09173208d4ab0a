/**
 * Issue 13, a schedule with a vault target in `hostvault serve` with its vault as child: the
 * provider saves it (Test connection reaches the vault and has the login accepted), Run now
 * backs up through the vault, the snapshot is listed and restores; the vault-side retention,
 * planned by the controller as a maintenance job and run in-process on the vault's backing
 * target with full rights, forgets the backups beyond the schedule's retention and keeps a held
 * one; prune and check run there too. Real restic, real rclone, TLS with a CA made here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.js';
import { planMaintenance } from '../../src/maintenance/maintenance.js';
import { startService, type Service } from '../../src/serve.js';
import { directLocation } from '../../src/vault/backing.js';
import { issueCredential } from '../../src/vault/htpasswd.js';
import { makeCertificates } from './vault-world.js';

let work: string;
let service: Service;
let admin: Client;
let vault: { kind: 'vault'; url: string; user: string; password: string; caCert: string };
let scheduleId: number;
const lines: string[] = [];
const vaultEnv: Record<string, string> = {};

class Client {
  private cookie = '';
  private csrf = '';
  constructor(private readonly base: string) {}

  async signIn(username: string, password: string): Promise<void> {
    const response = await fetch(`${this.base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    this.cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    this.csrf = ((await response.json()) as { csrfToken: string }).csrfToken;
  }

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        cookie: this.cookie,
        'x-csrf-token': this.csrf,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  }
}

async function finished(id: number): Promise<any> {
  for (let i = 0; i < 900; i++) {
    const { json } = await admin.call('GET', `/api/jobs/${id}`);
    if (['successful', 'failed', 'canceled'].includes(json.status)) return json;
    await sleep(200);
  }
  throw new Error(`job ${id} did not finish`);
}

async function runNow(): Promise<any> {
  const run = await admin.call('POST', `/api/schedules/${scheduleId}/run`);
  assert.equal(run.status, 202, JSON.stringify(run.json));
  const job = await finished(run.json.jobId);
  assert.equal(job.status, 'successful', JSON.stringify(job));
  return job;
}

async function listed(): Promise<{ id: string; repositoryId: number }[]> {
  const { status, json } = await admin.call('GET', `/api/schedules/${scheduleId}/snapshots`);
  assert.equal(status, 200, JSON.stringify(json));
  return json.snapshots;
}

const webRoot = () => join(work, 'home/alice/www');

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-vault-schedules-'));
  const certs = makeCertificates(work);
  const htpasswd = join(work, 'vault.htpasswd');
  const password = await issueCredential(htpasswd, 'web1');
  Object.assign(vaultEnv, {
    HOSTVAULT_VAULT_CERT: certs.cert,
    HOSTVAULT_VAULT_KEY: certs.key,
    HOSTVAULT_VAULT_LISTEN: '127.0.0.1:0',
    HOSTVAULT_VAULT_HTPASSWD: htpasswd,
    HOSTVAULT_ADMIN_PASSWORD: 'admin-password-123',
  });
  Object.assign(process.env, vaultEnv);
  service = await startService(
    {
      ...loadConfig({
        HOSTVAULT_DATA_DIR: join(work, 'data'),
        HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
      }),
      listen: { host: '127.0.0.1', port: 0 },
    },
    { log: (line) => lines.push(line) },
  );
  const url = /serving local target on (https:\/\/\S+)/.exec(lines.join('\n'))?.[1];
  assert.ok(url, lines.join('\n'));
  vault = { kind: 'vault', url, user: 'web1', password, caCert: readFileSync(certs.ca, 'utf8') };
  await mkdir(join(webRoot(), 'sub'), { recursive: true });
  await writeFile(join(webRoot(), 'index.php'), '<?php echo "alice";');
  await writeFile(join(webRoot(), 'sub/page.html'), '<h1>alice</h1>');
  await service.app.inventory.importInventory({
    packages: [
      { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 7, maxSchedules: 2 },
    ],
    customers: [
      {
        id: 'alice',
        name: 'Alice',
        linuxUser: 'ualice',
        uid: 2000,
        gid: 2000,
        packageId: 'basic',
        webRoot: webRoot(),
      },
    ],
  });
  admin = new Client(service.url);
  await admin.signIn('admin', 'admin-password-123');
});

after(async () => {
  await service?.stop();
  for (const name of Object.keys(vaultEnv)) delete process.env[name];
  await rm(work, { recursive: true, force: true });
});

test('the provider tests and saves a vault target; Run now backs up through it; the snapshot restores', async () => {
  const tested = await admin.call('POST', '/api/targets/test', { target: vault });
  assert.equal(tested.status, 200, JSON.stringify(tested.json));
  assert.equal(tested.json.ok, true, JSON.stringify(tested.json));
  assert.deepEqual(
    tested.json.steps.map((s: { step: string }) => s.step),
    ['reach', 'authenticate', 'write'],
  );
  const wrong = await admin.call('POST', '/api/targets/test', {
    target: { ...vault, password: 'not-the-credential' },
  });
  assert.equal(wrong.json.ok, false);
  assert.equal(wrong.json.step, 'authenticate');

  const created = await admin.call('POST', '/api/schedules?customerId=alice', {
    name: 'Into the vault',
    scope: 'web',
    frequency: 'daily',
    retention: 2,
    target: vault,
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.equal(created.json.target.password, '********');
  scheduleId = created.json.id;

  const job = await runNow();
  assert.match(job.log, /Retention runs on the vault/);
  const snapshots = await listed();
  assert.equal(snapshots.length, 1);
  const [snapshot] = snapshots;

  await rm(join(webRoot(), 'sub/page.html'));
  const restore = await admin.call(
    'POST',
    `/api/snapshots/${snapshot!.repositoryId}/${snapshot!.id}/restore`,
    { what: 'web' },
  );
  assert.equal(restore.status, 202, JSON.stringify(restore.json));
  const restored = await finished(restore.json.jobId);
  assert.equal(restored.status, 'successful', JSON.stringify(restored));
  assert.equal(await readFile(join(webRoot(), 'sub/page.html'), 'utf8'), '<h1>alice</h1>');
});

test('the vault-side retention job forgets beyond the retention, keeps the held snapshot; prune and check run on the vault', async () => {
  assert.ok(scheduleId, 'the first test saved the schedule');
  for (let run = 0; run < 3; run++) await runNow();
  const before = await listed();
  // The restore of the first test saved a safety snapshot, which is not the schedule's.
  const times = async () =>
    (
      await service.app.store.db
        .selectFrom('snapshots')
        .select(['id', 'time'])
        .where('schedule_id', '=', scheduleId)
        .where('kind', '=', 'backup')
        .orderBy('time')
        .orderBy('id')
        .execute()
    ).map((r) => r.id);
  const oldestFirst = await times();
  assert.equal(oldestFirst.length, 4, JSON.stringify(before));
  const repositoryId = before[0]!.repositoryId;
  const [oldest, second] = oldestFirst;
  const hold = await admin.call('PUT', `/api/admin/snapshots/${repositoryId}/${oldest}/hold`, {
    reason: 'legal hold, case 42',
  });
  assert.equal(hold.status, 200, JSON.stringify(hold.json));

  const deps = {
    store: service.app.store,
    schedules: service.app.schedules,
    jobs: service.app.jobs,
    holds: service.app.holds,
  };
  const queued = await planMaintenance(deps);
  const retentionJobs = [];
  for (const id of queued) {
    const job = await service.app.jobs.get(id);
    if (JSON.parse(job!.params!).task === 'retention') retentionJobs.push(id);
  }
  assert.equal(retentionJobs.length, 1, `queued ${JSON.stringify(queued)}`);
  service.app.worker.notify();
  for (const id of queued) {
    const job = await finished(id);
    assert.equal(job.status, 'successful', JSON.stringify(job));
  }
  const retention = await finished(retentionJobs[0]!);
  assert.match(retention.log, /forgot 1 snapshot\(s\) of web1\/alice beyond 2/);
  assert.match(retention.log, /1 held snapshot\(s\) kept/);

  const kept = await times();
  assert.deepEqual(
    kept,
    oldestFirst.filter((id) => id !== second),
  );
  // restic on the backing target, with full rights, agrees with the store.
  const access = await service.app.repositoryRecords.accessById(repositoryId);
  const location = {
    ...(await directLocation(
      { kind: 'local', path: join(work, 'data/vault') },
      'web1',
      'alice',
      join(work, 'certs'),
    )),
    password: access.password,
  };
  const inRepository = (await service.app.restic.snapshots(location, {}))
    .filter((s) => s.tags.includes(`schedule=${scheduleId}`))
    .map((s) => s.id);
  assert.equal(inRepository.length, 3);
  for (const id of kept)
    assert.ok(
      inRepository.some((full) => full.startsWith(id)),
      id,
    );
  // Nothing beyond the retention but the held snapshot: nothing more is due.
  const again = await planMaintenance(deps);
  for (const id of again) {
    const job = await service.app.jobs.get(id);
    assert.notEqual(JSON.parse(job!.params!).task, 'retention');
  }

  for (const task of ['prune', 'check'] as const) {
    const created = await service.app.jobs.create({
      type: 'maintenance',
      trigger: 'system',
      customerId: null,
      scheduleName: task,
      params: { task, scheduleId, owner: 'alice', url: access.url },
    });
    assert.ok(created.created);
    service.app.worker.notify();
    const job = await finished(created.id);
    assert.equal(job.status, 'successful', JSON.stringify(job));
    assert.match(
      job.log,
      new RegExp(`${task === 'prune' ? 'Pruning' : 'Checking'} web1/alice on the vault`),
    );
  }
  // The held snapshot still restores after the prune.
  const restore = await admin.call('POST', `/api/snapshots/${repositoryId}/${oldest}/restore`, {
    what: 'web',
  });
  assert.equal(restore.status, 202, JSON.stringify(restore.json));
  assert.equal((await finished(restore.json.jobId)).status, 'successful');
});

test("deleting the schedule with its snapshots forgets them on this process's vault; the held one stays", async () => {
  assert.ok(scheduleId, 'the first test saved the schedule');
  const rows = await service.app.store.db
    .selectFrom('snapshots')
    .select(['id', 'repository_id', 'kind'])
    .where('schedule_id', '=', scheduleId)
    .execute();
  const repositoryId = rows[0]!.repository_id;
  const held = (await service.app.holds.heldIds(repositoryId)).filter((id) =>
    rows.some((r) => r.id === id),
  );
  assert.equal(held.length, 1, JSON.stringify(rows));
  const deleted = await admin.call('DELETE', `/api/schedules/${scheduleId}?snapshots=forget`);
  assert.equal(deleted.status, 200, JSON.stringify(deleted.json));
  const access = await service.app.repositoryRecords.accessById(repositoryId);
  const location = {
    ...(await directLocation(
      { kind: 'local', path: join(work, 'data/vault') },
      'web1',
      'alice',
      join(work, 'certs'),
    )),
    password: access.password,
  };
  const left = (await service.app.restic.snapshots(location, {})).filter((s) =>
    s.tags.includes(`schedule=${scheduleId}`),
  );
  assert.deepEqual(
    left.map((s) => s.id.slice(0, held[0]!.length)),
    held,
  );
});
