// Running jobs have an owner (migration 0016): two `hostvault controller` processes on one
// PostgreSQL database and the agent of web1 (`hostvault agent`), over a real nats-server with TLS
// and nkeys, with real restic. kill -9 of the controller running a backup: the other adopts the
// job once its lease lapsed, asks the agent and records the backup's real outcome with its
// snapshot; the agent ran it once. A controller started while the other runs a job leaves that job
// alone. A dead controller's job the agent never took fails with a clear message. An agent offline
// when its job is adopted: the job stays running and owned, and the real outcome is recorded when
// the agent returns; an agent that stays away past HOSTVAULT_ADOPTION_WAIT_MS fails the job, saying
// so.
//   node --import tsx --test --test-reporter=spec test/fleet/job-adoption.int.test.ts
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import { openApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { NatsAgent } from '../../src/fleet/nats-agent.js';
import type { JobRow } from '../../src/store/index.js';
import { RoleProcess } from '../support/fleet-controller.js';
import { startNatsServer, type NatsTestServer } from '../support/nats-server.js';

const execFileAsync = promisify(execFile);
const PG_SOCKET = 'host=/var/run/postgresql';
const ADMIN_URL = `postgresql://root@localhost/postgres?${PG_SOCKET}`;
const LEASE_MS = 3000;
/** How long an adopted job waits for its offline agent here (1 hour in production). */
const ADOPTION_WAIT_MS = 20_000;

describe('running jobs of a fleet have an owner', { timeout: 240_000 }, () => {
  let work: string;
  let nats: NatsTestServer;
  let nc: NatsConnection;
  let app: App;
  let agent: RoleProcess;
  const controllers: RoleProcess[] = [];
  const database = `hv_adopt_${randomBytes(5).toString('hex')}`;
  const databaseUrl = `postgresql://root@localhost/${database}?${PG_SOCKET}`;
  /** While this file exists, the agent's restic waits before a backup: a job held under way. */
  const gate = () => join(work, 'gate');
  let scheduleId: number;

  const job = async (id: number): Promise<JobRow> => (await app.jobs.get(id))!;

  async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline)
        throw new Error(
          `no ${what} in ${ms} ms\n${[agent, ...controllers]
            .map((r) => `== ${r.name}\n${r.output.slice(-3000)}`)
            .join('\n')}`,
        );
      await sleep(100);
    }
  }

  const finished = (id: number) =>
    until(`end of job ${id}`, async () => {
      const j = await job(id);
      return ['pending', 'running'].includes(j.status) ? undefined : j;
    });

  /** A backup held under way on the agent (restic waits at the gate); its owner's controller. */
  async function backupUnderWay(): Promise<{ id: number; owner: RoleProcess }> {
    await writeFile(gate(), '');
    const { jobId: id } = await app.schedules.runNow({ role: 'admin' }, scheduleId);
    await agent.waitFor(new RegExp(`job backup-${id}-alice \\(backup\\) started`));
    const row = await job(id);
    assert.equal(row.status, 'running');
    const owner = controllers.find((c) => row.owner?.split('-').at(-2) === String(c.pid));
    assert.ok(owner, `job ${id} is owned by one of the controllers: ${row.owner}`);
    return { id, owner };
  }

  const starts = (id: number) =>
    agent.output.match(new RegExp(`job backup-${id}-alice \\(backup\\) started`, 'g'))?.length ?? 0;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'hv-adopt-'));
    await execFileAsync('psql', [ADMIN_URL, '-qc', `create database ${database}`]);
    nats = await startNatsServer({ servers: ['web1'] });
    const natsEnv = async (who: string) => {
      const id = nats.identity(who);
      const seedFile = join(work, `${who}.seed`);
      await writeFile(seedFile, new TextDecoder().decode(id.seed), { mode: 0o600 });
      return {
        HOSTVAULT_NATS_URL: nats.url,
        HOSTVAULT_NATS_CA: nats.caFile,
        HOSTVAULT_NATS_CERT: id.certFile,
        HOSTVAULT_NATS_KEY: id.keyFile,
        HOSTVAULT_NATS_SEED_FILE: seedFile,
      };
    };
    // restic as the agent runs it, held before a backup while the gate file exists.
    const { stdout: restic } = await execFileAsync('sh', ['-c', 'command -v restic']);
    const gated = join(work, 'restic-gated');
    await writeFile(
      gated,
      `#!/bin/sh\ncase " $* " in *" backup "*) while [ -e '${gate()}' ]; do sleep 0.1; done;; esac\n` +
        `exec '${restic.trim()}' "$@"\n`,
      { mode: 0o755 },
    );
    const keyFile = join(work, 'keys/master.key');
    // The test's own view of the store (no worker runs here): schedules, Run now, the jobs.
    nc = await nats.connect('controller');
    app = await openApp(
      loadConfig({ HOSTVAULT_DATA_DIR: join(work, 'tool'), HOSTVAULT_KEY_FILE: keyFile }),
      {
        log: () => undefined,
        agent: () => new NatsAgent(nc, { serverId: 'web1' }),
        remoteAgent: true,
        store: { url: databaseUrl },
      },
    );
    const www = join(work, 'home/alice/www');
    await mkdir(www, { recursive: true });
    await writeFile(join(www, 'index.php'), '<?php echo "v1";');
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
          webRoot: www,
        },
      ],
    });
    ({ id: scheduleId } = await app.schedules.create({ role: 'admin' }, 'alice', {
      name: 'Nightly web',
      scope: 'web',
      frequency: 'daily',
      retention: 10,
      target: { kind: 'local', path: join(work, 'repos') },
    }));

    agent = new RoleProcess(
      'agent',
      {
        ...process.env,
        ...(await natsEnv('web1')),
        HOSTVAULT_DATA_DIR: join(work, 'agent'),
        HOSTVAULT_SERVER_ID: 'web1',
        HOSTVAULT_RESTIC: gated,
      },
      { ready: /is taking jobs/, timeoutMs: 90_000 },
    );
    const controllerNats = await natsEnv('controller');
    for (const name of ['a', 'b'])
      controllers.push(
        new RoleProcess(
          'controller',
          {
            ...process.env,
            ...controllerNats,
            HOSTVAULT_SERVER_ID: 'web1',
            HOSTVAULT_DATABASE_URL: databaseUrl,
            HOSTVAULT_DATA_DIR: join(work, `controller-${name}`),
            HOSTVAULT_KEY_FILE: keyFile,
            HOSTVAULT_HOST: '127.0.0.1',
            HOSTVAULT_PORT: '0',
            HOSTVAULT_ADMIN_PASSWORD: 'adoption-admin-password',
            HOSTVAULT_JOB_LEASE_MS: String(LEASE_MS),
            HOSTVAULT_PLANNER_LEASE_MS: String(LEASE_MS),
            HOSTVAULT_ADOPTION_WAIT_MS: String(ADOPTION_WAIT_MS),
          },
          { name: `controller ${name}`, ready: /listening on http/, timeoutMs: 90_000 },
        ),
      );
    await agent.start();
    for (const c of controllers) await c.start();
  });

  after(async () => {
    if (process.env.HOSTVAULT_TEST_AGENT_LOG)
      for (const r of [agent, ...controllers]) console.log(`== ${r.name}\n${r.output}`);
    for (const c of controllers) await c.stop('SIGKILL');
    await agent?.stop('SIGKILL');
    await app?.close();
    await nc?.close();
    await nats?.stop();
    await execFileAsync('psql', [
      ADMIN_URL,
      '-qc',
      `drop database if exists ${database} with (force)`,
    ]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });

  it('kill -9 of the controller running a backup: the other adopts it and records its snapshot', async () => {
    const { id, owner } = await backupUnderWay();
    const survivor = controllers.find((c) => c !== owner)!;
    const killedAt = Date.now();
    await owner.stop('SIGKILL');
    // Adopted only once the dead owner's lease lapsed; the agent still holds the backup.
    const adopted = await until('adoption', async () => {
      const row = await job(id);
      return /Taken over by controller/.test(row.log ?? '') ? row : undefined;
    });
    const tookMs = Date.now() - killedAt;
    assert.equal(adopted.status, 'running');
    assert.equal(adopted.owner?.split('-').at(-2), String(survivor.pid));
    assert.ok(tookMs >= LEASE_MS - 1500, `adopted after ${tookMs} ms, before the lease lapsed`);
    await rm(gate());
    const done = await finished(id);
    assert.equal(done.status, 'successful', `${done.error}\n${done.log}`);
    assert.ok(done.snapshot_id, 'the snapshot the agent made is recorded');
    assert.match(done.log ?? '', /Backup finished successfully/);
    const snapshot = await app.store.db
      .selectFrom('snapshots')
      .select('id')
      .where('schedule_id', '=', scheduleId)
      .where('id', 'like', `${done.snapshot_id}%`)
      .executeTakeFirst();
    assert.ok(snapshot, 'the snapshot is in the records, as after any backup');
    assert.equal(starts(id), 1, 'the agent ran the backup once');
    console.log(`adopted ${tookMs} ms after the kill (lease ${LEASE_MS} ms)`);
  });

  it('a controller that starts while the other runs a job leaves that job alone', async () => {
    const restarted = controllers.find(
      (c) => c.child?.signalCode != null || c.child?.exitCode != null,
    )!;
    const { id, owner } = await backupUnderWay();
    assert.notEqual(owner, restarted, 'the only live controller runs it');
    await restarted.start();
    // Past a lease or two: a restart that took every running job for its own would show by now.
    await sleep(LEASE_MS * 2);
    const meanwhile = await job(id);
    assert.equal(meanwhile.status, 'running');
    assert.equal(meanwhile.owner?.split('-').at(-2), String(owner.pid));
    await rm(gate());
    const done = await finished(id);
    assert.equal(done.status, 'successful', `${done.error}\n${done.log}`);
    assert.doesNotMatch(done.log ?? '', /Taken over|Interrupted/);
    assert.equal(starts(id), 1);
  });

  it("a dead controller's job that the agent never took fails with a clear message", async () => {
    const started = new Date(Date.now() - 60_000).toISOString();
    const row = await app.store.db
      .insertInto('jobs')
      .values({
        type: 'backup',
        status: 'running',
        trigger: 'manual',
        schedule_id: scheduleId,
        customer_id: 'alice',
        schedule_name: 'Nightly web',
        scope: 'web',
        created_at: started,
        started_at: started,
        owner: 'controller-gone-1-00000000',
        lease_until: started,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const done = await finished(row.id);
    assert.equal(done.status, 'failed');
    assert.match(done.error ?? '', /has no record of it: it was not run/);
    assert.equal(starts(row.id), 0, 'nothing ran it');
  });

  /** The agent's own record of dispatch `id`: running or done (src/fleet/job-record.ts). */
  const agentRecord = async (id: string) => {
    const file = await readFile(join(work, 'agent', 'fleet-jobs.json'), 'utf8').catch(() => '');
    const parsed = file ? (JSON.parse(file) as { jobs: { id: string; state: string }[] }) : null;
    return parsed?.jobs.find((j) => j.id === id)?.state;
  };

  /** Both controllers running again (a test before may have killed one). */
  async function bothControllers() {
    for (const c of controllers)
      if (c.child?.exitCode !== null || c.child?.signalCode !== null) await c.start();
  }

  it('an agent offline when its job is adopted: the job waits, running, and ends as the agent says', async () => {
    await bothControllers();
    const { id, owner } = await backupUnderWay();
    const survivor = controllers.find((c) => c !== owner)!;
    await owner.stop('SIGKILL');
    // The agent finishes the backup while no controller listens, then goes away.
    await rm(gate());
    await until('the agent’s record of the finished backup', async () =>
      (await agentRecord(`backup-${id}-alice`)) === 'done' ? true : undefined,
    );
    await agent.stop('SIGKILL');
    const waiting = await until('the adopted job waiting for its agent', async () => {
      const row = await job(id);
      return /is offline: the job waits up to 20 seconds/.test(row.log ?? '') ? row : undefined;
    });
    assert.match(waiting.log ?? '', /Taken over by controller/);
    // Asked again and again while the agent is away: still running, still the survivor's.
    await sleep(8000);
    const meanwhile = await job(id);
    assert.equal(meanwhile.status, 'running', `${meanwhile.error}\n${meanwhile.log}`);
    assert.equal(meanwhile.owner?.split('-').at(-2), String(survivor.pid));
    const returnedAt = Date.now();
    await agent.start();
    const done = await finished(id);
    assert.equal(done.status, 'successful', `${done.error}\n${done.log}`);
    assert.ok(done.snapshot_id, 'the snapshot the agent made while no controller listened');
    assert.equal(starts(id), 1, 'the agent ran the backup once');
    console.log(`recorded ${Date.now() - returnedAt} ms after the agent returned`);
  });

  it('an agent that stays away past the limit fails the adopted job, saying so', async () => {
    await bothControllers();
    const { id, owner } = await backupUnderWay();
    await owner.stop('SIGKILL');
    await agent.stop('SIGKILL');
    const killedAt = Date.now();
    const done = await finished(id);
    const tookMs = Date.now() - killedAt;
    assert.equal(done.status, 'failed');
    assert.match(
      done.error ?? '',
      /the agent of server "web1" did not answer for 20 seconds after: what became of the job is not known/,
    );
    assert.ok(tookMs >= ADOPTION_WAIT_MS, `failed ${tookMs} ms after, before the limit`);
    console.log(
      `failed ${tookMs} ms after the kills (lease ${LEASE_MS}, limit ${ADOPTION_WAIT_MS})`,
    );
    await rm(gate(), { force: true });
    await agent.start();
  });
});
