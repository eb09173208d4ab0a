/**
 * Issue 13 in a fleet: `hostvault controller` with no vault of its own, the agent of web1 and
 * `hostvault vault` on a storage host, all over a real nats-server with the permissions the
 * controller writes (the vault let in by HOSTVAULT_NATS_VAULT_KEY), agent and vault as child
 * processes. web1 backs up through the vault (append-only); the controller plans the vault's
 * maintenance as always and the vault runs it from its own queue with full rights: retention
 * keeps a held snapshot, prune frees space, a restore's safety snapshot is forgotten on schedule,
 * a check queued while the vault is offline runs when it returns, and deleting the schedule with
 * its snapshots forgets them on the vault while the held one stays. web1's own NATS identity is
 * refused on the vault's subjects. Real restic, real rclone, TLS with CAs made here.
 *   node --import tsx --test --test-concurrency=1 test/vault/fleet.int.test.ts
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { fromSeed } from '@nats-io/nkeys';
import {
  nkeyAuthenticator,
  PermissionViolationError,
  type NatsConnection,
} from '@nats-io/transport-node';
import { planMaintenance, maintenanceJobHandler } from '../../src/maintenance/maintenance.js';
import { fleetVault } from '../../src/fleet/nats-vault.js';
import { VAULT_NODE, vaultSubjects } from '../../src/fleet/subjects.js';
import { directLocation } from '../../src/vault/backing.js';
import { issueCredential } from '../../src/vault/htpasswd.js';
import type { JobRow } from '../../src/store/index.js';
import {
  RoleProcess,
  startFleetController,
  type FleetController,
} from '../support/fleet-controller.js';
import { bytesUnder, makeCertificates } from './vault-world.js';

const ADMIN_PASSWORD = 'vault-fleet-admin-1';
const results: string[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('the vault in a fleet: maintenance over NATS', { timeout: 600_000 }, () => {
  let work: string;
  let fleet: FleetController;
  let vault: RoleProcess;
  let scheduleId: number;
  let repositoryId: number;
  const vaultData = () => join(work, 'vault-host');
  const repoDir = () => join(vaultData(), 'vault/web1/alice');
  const webRoot = () => join(work, 'web1/home/alice/www');
  const app = () => fleet.service.app;

  async function runNow(): Promise<void> {
    const { jobId } = await app().schedules.runNow({ role: 'admin' }, scheduleId);
    app().worker.notify();
    const job = await fleet.finished(jobId);
    assert.equal(job.status, 'successful', job.log ?? '');
  }

  async function maintenance(task: 'prune' | 'check'): Promise<JobRow> {
    const access = await app().repositoryRecords.accessById(repositoryId);
    const created = await app().jobs.create({
      type: 'maintenance',
      trigger: 'system',
      customerId: null,
      scheduleName: task,
      params: { task, scheduleId, owner: 'alice', url: access.url },
    });
    assert.ok(created.created);
    app().worker.notify();
    return fleet.finished(created.id);
  }

  const backupRows = async () =>
    (
      await app()
        .store.db.selectFrom('snapshots')
        .select(['id', 'kind'])
        .where('schedule_id', '=', scheduleId)
        .where('kind', '=', 'backup')
        .orderBy('time')
        .orderBy('id')
        .execute()
    ).map((r) => r.id);

  /** restic on the backing target, with full rights: what the repository really holds. */
  async function inRepository(): Promise<{ id: string; tags: string[] }[]> {
    const access = await app().repositoryRecords.accessById(repositoryId);
    const location = await directLocation(
      { kind: 'local', path: join(vaultData(), 'vault') },
      'web1',
      'alice',
      join(work, 'certs'),
    );
    return app().restic.snapshots({ ...location, password: access.password }, {});
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'hv-vault-fleet-'));
    fleet = await startFleetController({
      work,
      servers: ['web1'],
      adminPassword: ADMIN_PASSWORD,
      vault: true,
    });
    const certs = makeCertificates(work);
    const htpasswd = join(work, 'vault.htpasswd');
    const credential = await issueCredential(htpasswd, 'web1');
    const seedFile = join(work, 'vault.nkey');
    const id = fleet.nats.identity(VAULT_NODE);
    await writeFile(seedFile, new TextDecoder().decode(id.seed), { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('HOSTVAULT_')) delete env[key];
    const vaultAt = (port: number) =>
      new RoleProcess(
        'vault',
        {
          ...env,
          HOSTVAULT_DATA_DIR: vaultData(),
          HOSTVAULT_VAULT_CERT: certs.cert,
          HOSTVAULT_VAULT_KEY: certs.key,
          HOSTVAULT_VAULT_LISTEN: `127.0.0.1:${port}`,
          HOSTVAULT_VAULT_HTPASSWD: htpasswd,
          HOSTVAULT_NATS_URL: fleet.nats.url,
          HOSTVAULT_NATS_CA: fleet.nats.caFile,
          HOSTVAULT_NATS_CERT: id.certFile,
          HOSTVAULT_NATS_KEY: id.keyFile,
          HOSTVAULT_NATS_SEED_FILE: seedFile,
        },
        // Its own readiness line: an agent's would be a different process's.
        { ready: /agent of server _vault is taking jobs/ },
      );
    // The port is chosen free, then bound by rclone: a test beside this one may take it between
    // (seen on CI: "bind: address already in use"); then another port.
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      vault = vaultAt(port);
      try {
        await vault.start();
        break;
      } catch (error) {
        if (attempt >= 5 || !/address already in use/.test(String(error))) throw error;
      }
    }
    await fleet.enrollAndStart('web1');
    await mkdir(webRoot(), { recursive: true });
    await writeFile(join(webRoot(), 'index.php'), '<?php echo "alice";');
    await app().inventory.importInventory({
      packages: [
        { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 7, maxSchedules: 2 },
      ],
      customers: [
        {
          id: 'alice',
          server: 'web1',
          name: 'Alice',
          linuxUser: 'alice',
          uid: 2000,
          gid: 2000,
          packageId: 'basic',
          webRoot: webRoot(),
        },
      ],
    });
    const schedule = await app().schedules.create({ role: 'admin' }, 'alice', {
      name: 'Into the vault',
      scope: 'web',
      frequency: 'daily',
      retention: 2,
      target: {
        kind: 'vault',
        url: `https://127.0.0.1:${port}`,
        user: 'web1',
        password: credential,
        caCert: readFileSync(certs.ca, 'utf8'),
      },
    });
    scheduleId = schedule.id;
  });

  after(async () => {
    if (results.length) console.log(`vault in a fleet:\n  ${results.join('\n  ')}`);
    if (process.env.HOSTVAULT_TEST_AGENT_LOG) console.log(`--- vault\n${vault?.output}`);
    await vault?.stop();
    await fleet?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('retention on the vault keeps the held snapshot; prune there frees the space; check passes', async () => {
    const started = Date.now();
    await runNow();
    // 3 MB only the second backup holds: the one retention forgets.
    await writeFile(join(webRoot(), 'upload.bin'), randomBytes(3_000_000));
    await runNow();
    await rm(join(webRoot(), 'upload.bin'));
    await runNow();
    await runNow();
    const oldestFirst = await backupRows();
    assert.equal(oldestFirst.length, 4);
    const [oldest, second] = oldestFirst;
    repositoryId = (
      await app()
        .store.db.selectFrom('snapshots')
        .select('repository_id')
        .where('id', '=', oldest!)
        .executeTakeFirstOrThrow()
    ).repository_id;
    const hold = await fleet.admin.call(
      'PUT',
      `/api/admin/snapshots/${repositoryId}/${oldest}/hold`,
      { reason: 'legal hold, case 42' },
    );
    assert.equal(hold.status, 200, JSON.stringify(hold.json));

    const queued = await planMaintenance({
      store: app().store,
      schedules: app().schedules,
      jobs: app().jobs,
      holds: app().holds,
    });
    app().worker.notify();
    let retention: JobRow | undefined;
    for (const id of queued) {
      const job = await fleet.finished(id);
      assert.equal(job.status, 'successful', job.log ?? '');
      if (JSON.parse(job.params!).task === 'retention') retention = job;
    }
    assert.ok(retention, `no retention among ${JSON.stringify(queued)}`);
    assert.match(retention.log ?? '', /forgot 1 snapshot\(s\) of web1\/alice beyond 2/);
    assert.match(retention.log ?? '', /1 held snapshot\(s\) kept/);
    assert.deepEqual(
      await backupRows(),
      oldestFirst.filter((id) => id !== second),
    );
    const held = (await inRepository()).map((s) => s.id);
    assert.equal(held.length, 3);
    for (const id of await backupRows())
      assert.ok(
        held.some((full) => full.startsWith(id)),
        id,
      );

    const bytesBefore = bytesUnder(repoDir());
    const pruned = await maintenance('prune');
    assert.equal(pruned.status, 'successful', pruned.log ?? '');
    assert.match(pruned.log ?? '', /Pruning web1\/alice on the vault/);
    const bytesAfter = bytesUnder(repoDir());
    results.push(`prune on the vault over NATS: ${bytesBefore} -> ${bytesAfter} bytes`);
    assert.ok(bytesBefore - bytesAfter > 2_500_000, `freed ${bytesBefore - bytesAfter} bytes`);
    const checked = await maintenance('check');
    assert.equal(checked.status, 'successful', checked.log ?? '');
    assert.match(checked.log ?? '', /Checking web1\/alice on the vault/);
    results.push(`4 backups, retention, prune, check: ${Date.now() - started} ms`);
  });

  it("a restore's safety snapshot on the vault is forgotten when its retention lets it go", async () => {
    const [, latest] = (await backupRows()).slice(-2);
    await writeFile(join(webRoot(), 'index.php'), '<?php echo "changed";');
    const restore = await fleet.admin.call(
      'POST',
      `/api/snapshots/${repositoryId}/${latest}/restore`,
      { what: 'web' },
    );
    assert.equal(restore.status, 202, JSON.stringify(restore.json));
    const jobId = restore.json.jobId as number;
    const restored = await fleet.finished(jobId);
    assert.equal(restored.status, 'successful', restored.log ?? '');
    assert.equal(readFileSync(join(webRoot(), 'index.php'), 'utf8'), '<?php echo "alice";');
    const safetyRows = async () =>
      (
        await app()
          .store.db.selectFrom('snapshots')
          .select('id')
          .where('repository_id', '=', repositoryId)
          .where('kind', '=', 'safety')
          .execute()
      ).map((r) => r.id);
    const [safety] = await safetyRows();
    assert.ok(safety, 'the restore saved a safety snapshot through the vault');
    assert.ok((await inRepository()).some((s) => s.id.startsWith(safety)));

    // The weekly prune as the controller's worker runs it, with a retention that lets every
    // safety snapshot go at once (the defaults keep ten and a week's): the same handler, the
    // fleet's vault over NATS.
    const nc: NatsConnection = await fleet.nats.connect('controller');
    try {
      const access = await app().repositoryRecords.accessById(repositoryId);
      const handler = maintenanceJobHandler({
        store: app().store,
        schedules: app().schedules,
        repositories: app().repositoryRecords,
        agent: app().agent,
        holds: app().holds,
        vault: fleetVault(nc),
        safetyRetention: { keepLast: 0, keepDays: 0 },
      });
      const lines: string[] = [];
      const job = {
        ...(await app().jobs.get(1))!,
        id: 900_001,
        type: 'maintenance',
        params: JSON.stringify({ task: 'prune', scheduleId, owner: 'alice', url: access.url }),
      } as JobRow;
      await handler(job, {
        signal: new AbortController().signal,
        progress: () => undefined,
        log: (line) => lines.push(line),
      });
      assert.ok(
        lines.some((l) => /Safety snapshots: forgot 1/.test(l)),
        lines.join('\n'),
      );
    } finally {
      await nc.close();
    }
    assert.deepEqual(await safetyRows(), []);
    assert.ok(!(await inRepository()).some((s) => s.id.startsWith(safety)));
  });

  it('a check queued while the vault is offline runs when the vault returns', async () => {
    await vault.stop();
    const access = await app().repositoryRecords.accessById(repositoryId);
    const created = await app().jobs.create({
      type: 'maintenance',
      trigger: 'system',
      customerId: null,
      scheduleName: 'check',
      params: { task: 'check', scheduleId, owner: 'alice', url: access.url },
    });
    assert.ok(created.created);
    app().worker.notify();
    await sleep(3000);
    const waiting = await app().jobs.get(created.id);
    assert.ok(
      ['pending', 'running'].includes(waiting!.status),
      `with the vault offline: ${waiting!.status}`,
    );
    const back = Date.now();
    await vault.start();
    const job = await fleet.finished(created.id);
    assert.equal(job.status, 'successful', job.log ?? '');
    results.push(
      `check queued while the vault was offline: done ${Date.now() - back} ms after its return`,
    );
  });

  it('deleting the schedule with its snapshots forgets them on the vault; the held one stays', async () => {
    const rows = await backupRows();
    assert.equal(rows.length, 3);
    const deleted = await app().scheduleDeletion.delete({ role: 'admin' }, scheduleId, 'forget');
    assert.equal(deleted.forgotten, 2);
    const left = (await inRepository()).filter((s) => s.tags.includes(`schedule=${scheduleId}`));
    assert.equal(left.length, 1, JSON.stringify(left));
    assert.ok(left[0]!.id.startsWith(rows[0]!), 'the held snapshot stays');
    results.push(
      `schedule deleted with its snapshots: ${deleted.forgotten} forgotten on the vault, 1 held kept`,
    );
  });

  it("web1's NATS identity is refused on the vault's subjects", async () => {
    const s = vaultSubjects();
    // The key web1's agent made at its enrollment, with its TLS certificate: what an attacker on
    // web1 holds.
    const seed = (await readFile(join(fleet.agentDir('web1'), 'agent.nkey'), 'utf8')).trim();
    const key = fromSeed(new TextEncoder().encode(seed)).getPublicKey();
    const web1 = await fleet.nats.connect('web1', {
      reconnect: false,
      authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)),
    });
    const controller = await fleet.nats.connect('controller');
    try {
      const refusals: PermissionViolationError[] = [];
      void (async () => {
        for await (const st of web1.status())
          if (st.type === 'error' && st.error instanceof PermissionViolationError)
            refusals.push(st.error);
      })();
      const jsm = await jetstreamManager(controller);
      const before = (await jsm.streams.info(s.jobsStream)).state.messages;
      // Queue the vault a forget of its own, ask it to cancel or adopt, take its jobs.
      web1.publish(s.jobs, JSON.stringify({ id: 'evil-1', kind: 'vault', request: {} }));
      await assert.rejects(
        jetstream(web1).publish(s.jobs, JSON.stringify({ id: 'evil-2', kind: 'vault' })),
      );
      await assert.rejects(
        web1.request(s.rpc('cancel'), JSON.stringify({ id: 'x' }), { timeout: 2000 }),
      );
      await assert.rejects(
        jetstream(web1).consumers.get(s.jobsStream, s.jobsConsumer),
        (e: Error) => /Permissions Violation/.test(e.message),
      );
      const deadline = Date.now() + 3000;
      while (!refusals.some((e) => e.subject === s.jobs) && Date.now() < deadline) await sleep(20);
      const refused = [...new Set(refusals.map((e) => `${e.operation} ${e.subject}`))];
      results.push(`web1 refused on: ${refused.join(', ')}`);
      assert.ok(refusals.some((e) => e.operation === 'publish' && e.subject === s.jobs));
      assert.ok(refusals.some((e) => e.operation === 'publish' && e.subject === s.rpc('cancel')));
      await fleet.nats.waitForLog(new RegExp(`Publish Violation.*${key}.*"hv\\._vault\\.jobs"`));
      assert.equal((await jsm.streams.info(s.jobsStream)).state.messages, before);
    } finally {
      await web1.close();
      await controller.close();
    }
  });
});
