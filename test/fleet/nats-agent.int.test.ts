// The fleet transport end to end: a controller (the whole service, in this process) drives the
// agent of server web1, which runs as `hostvault agent` in a child process (so it can be killed),
// over a real nats-server with TLS and per-agent nkey permissions, with real restic. Run now, a
// restore, a check, browse, a download and Test connection cross NATS; a job queued while the
// agent is down runs when it starts; a job delivered twice runs once; a kill -9 mid-backup ends
// with a clear job state and a repository that checks clean.
//   node --import tsx --test --test-reporter=spec test/fleet/nats-agent.int.test.ts
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { openApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { BackupRequest } from '../../src/agent/protocol.js';
import { AgentError } from '../../src/agent/errors.js';
import { presenceSchema } from '../../src/fleet/messages.js';
import { NatsAgent } from '../../src/fleet/nats-agent.js';
import { serverSubjects } from '../../src/fleet/subjects.js';
import { jobProgress } from '../../src/job/job-params.js';
import { plannedSnapshot } from '../../src/restore-job/restore-plan.js';
import type { JobRow } from '../../src/store/index.js';
import type { Target } from '../../src/target/schema.js';
import { RoleProcess } from '../support/fleet-controller.js';
import { startNatsServer, type NatsTestServer } from '../support/nats-server.js';

const web1 = serverSubjects('web1');

describe('the fleet over NATS: a controller and the agent of web1', { timeout: 300_000 }, () => {
  let work: string;
  let nats: NatsTestServer;
  let nc: NatsConnection;
  let agent: NatsAgent;
  let app: App;
  let agentProcess: RoleProcess;
  const www = () => join(work, 'home/alice/www');
  const target = (): Target => ({ kind: 'local', path: join(work, 'repos') });

  async function finished(jobId: number, timeoutMs = 120_000): Promise<JobRow> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await app.jobs.get(jobId);
      if (job && !['pending', 'running'].includes(job.status)) return job;
      if (Date.now() > deadline) throw new Error(`job ${jobId} did not finish:\n${job?.log}`);
      await sleep(50);
    }
  }

  async function schedule(name: string) {
    return app.schedules.create({ role: 'admin' }, 'alice', {
      name,
      scope: 'web',
      frequency: 'daily',
      retention: 10,
      target: target(),
    });
  }

  async function runNow(scheduleId: number): Promise<number> {
    const { jobId } = await app.schedules.runNow({ role: 'admin' }, scheduleId);
    app.worker.notify();
    return jobId;
  }

  async function check(): Promise<JobRow> {
    const repository = await app.repositoryRecords.access(target(), 'alice');
    const scheduleRow = await app.store.db
      .selectFrom('schedules')
      .select('id')
      .where('customer_id', '=', 'alice')
      .executeTakeFirstOrThrow();
    const job = await app.jobs.create({
      type: 'maintenance',
      trigger: 'system',
      customerId: null,
      scheduleName: 'Check repository',
      params: { task: 'check', scheduleId: scheduleRow.id, owner: 'alice', url: repository.url },
    });
    assert.ok(job.created);
    app.worker.notify();
    return finished(job.id);
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'hv-fleet-'));
    nats = await startNatsServer({ servers: ['web1'] });
    const id = nats.identity('web1');
    const seedFile = join(work, 'web1.seed');
    await writeFile(seedFile, new TextDecoder().decode(id.seed), { mode: 0o600 });
    agentProcess = new RoleProcess('agent', {
      ...process.env,
      HOSTVAULT_DATA_DIR: join(work, 'agent'),
      HOSTVAULT_NATS_URL: nats.url,
      HOSTVAULT_SERVER_ID: 'web1',
      HOSTVAULT_NATS_CA: nats.caFile,
      HOSTVAULT_NATS_CERT: id.certFile,
      HOSTVAULT_NATS_KEY: id.keyFile,
      HOSTVAULT_NATS_SEED_FILE: seedFile,
    });

    nc = await nats.connect('controller');
    agent = new NatsAgent(nc, { serverId: 'web1', ackWaitMs: 5000 });
    await agent.ensureStreams();
    app = await openApp(
      loadConfig({
        HOSTVAULT_DATA_DIR: join(work, 'controller'),
        HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
      }),
      { log: () => undefined, agent: () => agent, remoteAgent: true },
    );
    await mkdir(www(), { recursive: true });
    await writeFile(join(www(), 'index.php'), '<?php echo "v1";');
    await app.inventory.importInventory({
      packages: [
        { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 10, maxSchedules: 5 },
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
    await agentProcess.start();
    app.worker.start();
  });

  after(async () => {
    // HOSTVAULT_TEST_AGENT_LOG=1 shows what the agent logged, for a failure seen only here.
    if (process.env.HOSTVAULT_TEST_AGENT_LOG) console.log(agentProcess.output);
    await app?.close();
    await agentProcess?.stop('SIGKILL');
    await nc?.close();
    await nats?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('runs Run now, a restore and a check on the agent, with its events recorded', async () => {
    const s = await schedule('Nightly web');
    const backup = await finished(await runNow(s.id));
    assert.equal(backup.status, 'successful', `${backup.error}\n${backup.log}`);
    assert.match(backup.log ?? '', /Backup finished successfully/);
    const snapshot = await app.store.db
      .selectFrom('snapshots')
      .selectAll()
      .where('schedule_id', '=', s.id)
      .executeTakeFirstOrThrow();
    assert.ok(snapshot.id.startsWith(backup.snapshot_id ?? '-'));
    const repository = await app.store.db
      .selectFrom('repositories')
      .selectAll()
      .where('id', '=', snapshot.repository_id)
      .executeTakeFirstOrThrow();
    assert.ok(repository.initialized_at, "the agent's init, an event over NATS, is recorded");

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
    const safety = await app.store.db
      .selectFrom('snapshots')
      .select('id')
      .where('kind', '=', 'safety')
      .execute();
    assert.equal(safety.length, 1, 'the safety snapshot, an event over NATS, is recorded');

    const checked = await check();
    assert.equal(checked.status, 'successful', `${checked.error}\n${checked.log}`);
  });

  it('browses, downloads (also ending early) and tests a connection by request–reply', async () => {
    const snapshot = await app.store.db
      .selectFrom('snapshots')
      .selectAll()
      .where('kind', '!=', 'safety')
      .executeTakeFirstOrThrow();
    const repository = await app.repositoryRecords.access(target(), 'alice');
    const roots = { web: [www()] };
    const request = { repository, snapshotId: snapshot.id, roots };
    const top = await agent.browse.list({ ...request, path: '/', offset: 0, limit: 100 });
    assert.ok(top.entries.length > 0);
    const dir = top.entries[0]!.path;
    const listing = await agent.browse.list({ ...request, path: dir, offset: 0, limit: 100 });
    const file = listing.entries.find((e) => e.name === 'index.php');
    assert.ok(file, `index.php in ${JSON.stringify(listing.entries)}`);
    const stat = await agent.browse.stat({ ...request, path: file.path });
    assert.equal(stat.kind, 'real');
    const found = await agent.browse.search({ ...request, query: 'INDEX.PHP', limit: 10 });
    assert.deepEqual(
      found.entries.map((e) => e.path),
      [file.path],
    );
    await assert.rejects(
      agent.browse.search({ ...request, query: 'a/b', limit: 10 }),
      (e: unknown) => e instanceof AgentError && e.code === 'invalid-query',
    );

    const download = await agent.download({ ...request, path: file.path });
    assert.equal(download.meta.name, 'index.php');
    const parts: Uint8Array[] = [];
    for await (const chunk of download.chunks) parts.push(chunk);
    assert.equal(Buffer.concat(parts).toString('utf8'), '<?php echo "v1";');

    // A folder as tar.gz, read for one chunk only: the reader ends early, the agent closes it.
    const folder = await agent.download({ ...request, path: dir });
    assert.equal(folder.meta.contentType, 'application/gzip');
    for await (const chunk of folder.chunks) {
      assert.ok(chunk.length > 0);
      break;
    }

    await assert.rejects(
      agent.browse.list({ ...request, path: '/nowhere', offset: 0, limit: 10 }),
      (e: unknown) => e instanceof AgentError && e.code !== 'unreachable',
    );

    // What a restore of the web files would do, asked over request–reply: a file added live
    // since is what it would delete.
    await writeFile(join(www(), 'added-later.txt'), 'not in the snapshot');
    const customer = await app.inventory.getCustomer('alice');
    assert.ok(customer);
    const preview = await agent.restorePreview({
      repository,
      snapshotId: snapshot.id,
      customer,
      ...plannedSnapshot(snapshot),
      what: 'web',
      keepNewerMail: true,
      action: 'delete',
      offset: 0,
      limit: 10,
    });
    assert.equal(preview.areas[0]?.delete, 1, JSON.stringify(preview));
    assert.deepEqual(preview.page.items, [{ area: 0, path: 'added-later.txt' }]);
    await rm(join(www(), 'added-later.txt'));

    const probe = await agent.testConnection({ target: target(), audience: 'provider' });
    assert.equal(probe.ok, true, JSON.stringify(probe));
    const facts = await agent.facts();
    assert.match(facts.restic.version, /restic/);
    assert.ok(facts.dataDirFreeBytes > 0);
  });

  it('announces the agent on its presence subject with its facts', async () => {
    // The first announcement in `state` (a heartbeat of the running agent may come first).
    const announced = async (state: 'online' | 'offline', act: () => Promise<void>) => {
      const sub = nc.subscribe(web1.presence);
      await nc.flush(); // the server knows the subscription before the agent can announce
      const timer = setTimeout(() => sub.unsubscribe(), 120_000);
      try {
        await act();
        for await (const m of sub) {
          const presence = presenceSchema.parse(m.json());
          if (presence.state === state) return presence;
        }
        throw new Error(`no "${state}" announcement of web1 within 120 s`);
      } finally {
        clearTimeout(timer);
        sub.unsubscribe();
      }
    };
    const offline = await announced('offline', () => agentProcess.stop());
    assert.equal(offline.server, 'web1');
    const online = await announced('online', () => agentProcess.start());
    assert.equal(online.server, 'web1');
    assert.match(online.facts?.restic.version ?? '', /restic/);
  });

  it('queues a job while the agent is down and runs it when the agent starts', async () => {
    await agentProcess.stop();
    const offline = await agent.facts().catch((e: unknown) => e);
    assert.ok(offline instanceof AgentError && offline.code === 'unreachable', String(offline));
    assert.match(offline.message, /agent of server "web1" is not connected/);

    const s = await schedule('While away');
    const jobId = await runNow(s.id);
    await sleep(1500);
    assert.equal((await app.jobs.get(jobId))?.status, 'running', 'waits for the agent');
    await agentProcess.start();
    const job = await finished(jobId);
    assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
  });

  it('runs a job delivered twice only once, and answers both deliveries alike', async () => {
    const repository = await app.repositoryRecords.access(target(), 'alice');
    const customer = (await app.inventory.getCustomer('alice'))!;
    const scheduleRow = await schedule('Twice');
    const request: BackupRequest = {
      jobId: 990_001,
      repository,
      customer,
      scheduleId: scheduleRow.id,
      scope: 'web',
    };
    const first = await agent.backup(request);
    // The same job once more as a controller retrying after the duplicate window would send it
    // (another Nats-Msg-Id, so JetStream keeps it): the agent refuses to run it again...
    const from = agentProcess.output.length;
    await jetstream(nc).publish(
      web1.jobs,
      JSON.stringify({ id: `backup-990001-alice`, kind: 'backup', request }),
      { msgID: 'retry-990001' },
    );
    await agentProcess.waitFor(/backup-990001-alice was delivered again/, { from });
    // ...and a controller that asks again gets the outcome of the one run.
    const second = await agent.backup(request);
    assert.equal(second.snapshotId, first.snapshotId);
    assert.doesNotMatch(
      agentProcess.output.slice(from),
      /job backup-990001-alice \(backup\) started/,
    );
  });

  /** Waits until restic's progress of the job has reached the controller over NATS. */
  async function underWay(jobId: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const job = await app.jobs.get(jobId);
      if (job && (jobProgress(job)?.bytesDone ?? 0) > 0) return;
      if (job && !['pending', 'running'].includes(job.status))
        throw new Error(`job ${jobId} ended before it was under way: ${job.error}`);
      if (Date.now() > deadline) throw new Error(`job ${jobId} shows no progress`);
      await sleep(20);
    }
  }

  it('cancels a running backup by a message to the agent', async () => {
    // Enough incompressible data that a backup is still running when it is stopped (kept for the
    // next test).
    const big = join(www(), 'big');
    await mkdir(big, { recursive: true });
    for (let i = 0; i < 128; i++) await writeFile(join(big, `blob-${i}`), randomBytes(4 << 20));
    const s = await schedule('Canceled');
    const jobId = await runNow(s.id);
    await underWay(jobId);
    assert.equal(await app.worker.cancel(jobId), 'canceling');
    const job = await finished(jobId);
    assert.equal(job.status, 'canceled', `${job.error}\n${job.log}`);
    await agentProcess.waitFor(
      new RegExp(`job backup-${jobId}-alice \\(backup\\) ended: canceled`),
    );
  });

  it('ends a job whose agent was killed mid-backup as failed, with a clean repository', async () => {
    // Data the repository has not seen yet: the canceled backup's blobs are deduplicated, and a
    // backup of only those ends before it can be killed on a quiet machine.
    const fresh = join(www(), 'big', 'fresh');
    await mkdir(fresh, { recursive: true });
    for (let i = 0; i < 128; i++) await writeFile(join(fresh, `blob-${i}`), randomBytes(4 << 20));
    const s = await schedule('Killed');
    const jobId = await runNow(s.id);
    await underWay(jobId);
    await agentProcess.stop('SIGKILL');
    await sleep(300);
    assert.equal((await app.jobs.get(jobId))?.status, 'running', 'the controller still waits');

    await agentProcess.start();
    const job = await finished(jobId);
    assert.equal(job.status, 'failed');
    assert.match(job.error ?? '', /agent of server "web1" stopped while this job ran/);

    await rm(join(www(), 'big'), { recursive: true, force: true });
    const checked = await check();
    assert.equal(checked.status, 'successful', `${checked.error}\n${checked.log}`);
    const again = await finished(await runNow(s.id));
    assert.equal(again.status, 'successful', `${again.error}\n${again.log}`);
  });
});
