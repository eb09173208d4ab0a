// One controller serving two hosting servers, each enrolled with a one-time token: the whole
// `hostvault controller` (its HTTP API, in this process) over a real nats-server whose users are
// the authorization file the controller writes and reloads, and the agents of web1 and web2 as
// `hostvault agent` child processes configured only by `hostvault agent enroll`, with real
// restic. Run now of each customer runs on its own server's agent; a used or expired token is
// refused; drain holds new jobs; revoke disconnects an agent and its key is refused afterwards;
// the Servers API answers online/offline and job counts.
//   node --import tsx --test --test-reporter=spec test/fleet/fleet-servers.int.test.ts
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { ServerRecords } from '../../src/fleet/server-records.js';
import { serverSubjects } from '../../src/fleet/subjects.js';
import type { Service } from '../../src/serve.js';
import {
  AgentProcess,
  startFleetController,
  type Admin,
  type FleetController,
} from '../support/fleet-controller.js';
import type { NatsTestServer } from '../support/nats-server.js';

const ADMIN_PASSWORD = 'fleet-servers-admin-1';

describe('one controller, two enrolled servers', { timeout: 300_000 }, () => {
  let work: string;
  let fleet: FleetController;
  let nats: NatsTestServer;
  let service: Service;
  let admin: Admin;
  const agents = new Map<string, AgentProcess>();
  const root = (server: string, customer: string) => join(work, server, 'home', customer, 'www');
  const agentDir = (server: string) => fleet.agentDir(server);
  const agentEnv = (server: string) => fleet.agentEnv(server);
  const finished = (jobId: number) => fleet.finished(jobId);

  async function runNow(customer: string): Promise<number> {
    const row = await service.app.store.db
      .selectFrom('schedules')
      .select('id')
      .where('customer_id', '=', customer)
      .executeTakeFirstOrThrow();
    const { jobId } = await service.app.schedules.runNow({ role: 'admin' }, row.id);
    service.app.worker.notify();
    return jobId;
  }

  async function servers(): Promise<Record<string, any>> {
    const { status, json } = await admin.call('GET', '/api/admin/servers');
    assert.equal(status, 200, JSON.stringify(json));
    return Object.fromEntries((json.servers as any[]).map((s) => [s.id, s]));
  }

  const enroll = (server: string, token: string) => fleet.enroll(server, token);
  const makeToken = (server: string) => fleet.makeToken(server);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'hv-fleet-servers-'));
    fleet = await startFleetController({
      work,
      servers: ['web1', 'web2'],
      adminPassword: ADMIN_PASSWORD,
    });
    ({ nats, service, admin } = fleet);
    for (const [server, customer] of [
      ['web1', 'alice'],
      ['web2', 'bob'],
    ] as const) {
      await mkdir(root(server, customer), { recursive: true });
      await writeFile(
        join(root(server, customer), 'index.php'),
        `<?php echo "${customer} on ${server}";`,
      );
    }
    await service.app.inventory.importInventory({
      packages: [
        { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 10, maxSchedules: 5 },
      ],
      customers: [
        ['alice', 'web1', 2000],
        ['bob', 'web2', 2001],
      ].map(([id, server, uid]) => ({
        id: id as string,
        server: server as string,
        name: id as string,
        linuxUser: id as string,
        uid: uid as number,
        gid: uid as number,
        packageId: 'basic',
        webRoot: root(server as string, id as string),
      })),
    });
    for (const customer of ['alice', 'bob'])
      await service.app.schedules.create({ role: 'admin' }, customer, {
        name: 'Nightly web',
        scope: 'web',
        frequency: 'daily',
        retention: 10,
        target: { kind: 'local', path: join(work, 'repos') },
      });
  });

  after(async () => {
    for (const [server, agent] of agents) fleet?.agents.set(server, agent);
    await fleet?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('enrolls web1 and web2 with one-time tokens; a used or expired token changes nothing', async () => {
    for (const server of ['web1', 'web2']) {
      const token = await makeToken(server);
      const first = await enroll(server, token);
      assert.equal(first.code, 0, first.out);
      assert.match(first.out, new RegExp(`enrolled as server ${server}`));
      const settings = await readFile(join(agentDir(server), 'agent.env'), 'utf8');
      assert.match(settings, new RegExp(`^HOSTVAULT_SERVER_ID=${server}$`, 'm'));
      assert.match(
        settings,
        new RegExp(`^HOSTVAULT_NATS_URL=${nats.url.replace(/\./g, '\\.')}$`, 'm'),
      );
      const seed = await readFile(join(agentDir(server), 'agent.nkey'), 'utf8');
      assert.match(seed, /^SU/);
      // Only the public key reached the controller, and nats-server's users.
      const record = await new ServerRecords(service.app.store).get(server);
      assert.equal(record?.state, 'enrolled');
      assert.match(record?.nkey ?? '', /^U/);
      assert.ok(!(await readFile(nats.authorizationFile, 'utf8')).includes(seed.trim()));
      assert.ok((await readFile(nats.authorizationFile, 'utf8')).includes(record!.nkey!));

      const again = await enroll(server, token);
      assert.notEqual(again.code, 0, 'a used token is refused');
      assert.match(again.out, /enrollment refused: .*unknown, already used or expired/);
      assert.equal((await new ServerRecords(service.app.store).get(server))?.nkey, record?.nkey);
    }
    // An expired token (made a millisecond long) is refused through the API alike.
    const expired = await new ServerRecords(service.app.store).createEnrollment({
      server: 'web9',
      createdBy: 'test',
      ttlMs: 1,
    });
    await sleep(20);
    const refused = await fetch(`${service.url}/api/fleet/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: expired.token, nkey: nats.identity('web1').publicKey }),
    });
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as any).error.code, 'server.enrollment_invalid');
    assert.equal((await servers()).web9?.state, 'awaiting', 'web9 never got a key');

    for (const server of ['web1', 'web2']) {
      const agent = new AgentProcess(agentEnv(server));
      agents.set(server, agent);
      await agent.start();
    }
  });

  it("runs each customer's Run now on its own server's agent", async () => {
    const jobs = { alice: await runNow('alice'), bob: await runNow('bob') };
    for (const [customer, jobId] of Object.entries(jobs)) {
      const job = await finished(jobId);
      assert.equal(job.status, 'successful', `${customer}: ${job.error}\n${job.log}`);
    }
    // Each agent's own record of what it ran: alice's job on web1 only, bob's on web2 only.
    const ran = async (server: string) =>
      readFile(join(agentDir(server), 'fleet-jobs.json'), 'utf8');
    assert.match(await ran('web1'), new RegExp(`backup-${jobs.alice}-alice`));
    assert.doesNotMatch(await ran('web1'), /-bob/);
    assert.match(await ran('web2'), new RegExp(`backup-${jobs.bob}-bob`));
    assert.doesNotMatch(await ran('web2'), /-alice/);
    // A check of bob's repository (maintenance names no customer, only the repository's owner)
    // runs on web2 as well.
    const repository = await service.app.repositoryRecords.access(
      { kind: 'local', path: join(work, 'repos') },
      'bob',
    );
    const schedule = await service.app.store.db
      .selectFrom('schedules')
      .select('id')
      .where('customer_id', '=', 'bob')
      .executeTakeFirstOrThrow();
    const check = await service.app.jobs.create({
      type: 'maintenance',
      trigger: 'system',
      customerId: null,
      scheduleName: 'Check repository',
      params: { task: 'check', scheduleId: schedule.id, owner: 'bob', url: repository.url },
    });
    assert.ok(check.created);
    service.app.worker.notify();
    const checked = await finished(check.id);
    assert.equal(checked.status, 'successful', `${checked.error}\n${checked.log}`);
    assert.match(await ran('web2'), new RegExp(`maintain-${check.id}-check`));
    assert.doesNotMatch(await ran('web1'), /maintain-/);
    // And each snapshot holds its own server's hosting root.
    for (const [customer, server] of [
      ['alice', 'web1'],
      ['bob', 'web2'],
    ]) {
      const snapshot = await service.app.store.db
        .selectFrom('snapshots')
        .selectAll()
        .where('customer_id', '=', customer!)
        .executeTakeFirstOrThrow();
      assert.ok(
        JSON.stringify(snapshot).includes(root(server!, customer!)),
        JSON.stringify(snapshot),
      );
    }
  });

  it('answers online, versions, free space and job counts per server', async () => {
    const list = await servers();
    for (const server of ['web1', 'web2']) {
      assert.equal(list[server].state, 'enrolled');
      assert.equal(list[server].online, true, JSON.stringify(list[server]));
      assert.match(list[server].resticVersion, /\d+\.\d+/);
      assert.ok(list[server].freeBytes > 0);
      assert.ok(Date.now() - Date.parse(list[server].lastSeenAt) < 45_000);
      assert.equal(list[server].runningJobs, 0);
      assert.equal(list[server].queuedJobs, 0);
    }
    assert.equal(list.web9.online, false);
  });

  it('drain holds new jobs of the server until it is undrained', async () => {
    const drained = await admin.call('POST', '/api/admin/servers/web2/drain', { draining: true });
    assert.equal(drained.status, 200, JSON.stringify(drained.json));
    assert.equal(drained.json.state, 'draining');
    await writeFile(join(root('web2', 'bob'), 'new.txt'), 'while drained');
    const held = await runNow('bob');
    const other = await runNow('alice');
    assert.equal((await finished(other)).status, 'successful', 'web1 goes on');
    await sleep(1500);
    assert.equal((await service.app.jobs.get(held))?.status, 'pending');
    const list = await servers();
    assert.equal(list.web2.state, 'draining');
    assert.equal(list.web2.queuedJobs, 1);
    assert.equal(list.web1.queuedJobs, 0);
    const undrained = await admin.call('POST', '/api/admin/servers/web2/drain', {
      draining: false,
    });
    assert.equal(undrained.json.state, 'enrolled');
    service.app.worker.notify();
    const job = await finished(held);
    assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
  });

  it('revoke disconnects the agent and its key is refused from then on', async () => {
    const seed = (await readFile(join(agentDir('web2'), 'agent.nkey'), 'utf8')).trim();
    const id = nats.identity('web2');
    const connectAsWeb2 = () =>
      connect({
        servers: nats.url,
        tls: { caFile: nats.caFile, certFile: id.certFile, keyFile: id.keyFile },
        authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)),
        inboxPrefix: serverSubjects('web2').inboxPrefix,
        maxReconnectAttempts: 0,
        timeout: 5000,
      });
    // Before: the enrolled key connects.
    const before: NatsConnection = await connectAsWeb2();
    await before.close();

    const from = nats.log().length;
    const revoked = await admin.call('POST', '/api/admin/servers/web2/revoke');
    assert.equal(revoked.status, 200, JSON.stringify(revoked.json));
    assert.equal(revoked.json.state, 'revoked');
    assert.ok(
      !(await readFile(nats.authorizationFile, 'utf8')).includes(
        (await new ServerRecords(service.app.store).get('web2'))!.nkey!,
      ),
    );
    await nats.waitForLog(/Reloaded/i, { from, timeoutMs: 10_000 });
    // The running agent is out: nobody answers web2's requests any more, web1 still does.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const answered = await fetchFacts('web2');
      if (!answered) break;
      if (Date.now() > deadline) throw new Error('web2 still answers after its revocation');
      await sleep(200);
    }
    assert.ok(await fetchFacts('web1'), 'web1 is not affected');
    await assert.rejects(connectAsWeb2(), /Authorization|authorization/);
    const list = await servers();
    assert.equal(list.web2.state, 'revoked');
    assert.equal(list.web2.online, false);
    // A revoked server can be neither drained nor revoked into anything else.
    const drain = await admin.call('POST', '/api/admin/servers/web2/drain', { draining: true });
    assert.equal(drain.status, 409);
    assert.equal(drain.json.error.code, 'server.revoked');
  });

  /** The server's facts over NATS from the controller, or undefined if no agent answers. */
  async function fetchFacts(server: string): Promise<unknown> {
    const fleet = service.app.agent as unknown as {
      agentFor(s: string): { facts(): Promise<unknown> };
    };
    return fleet
      .agentFor(server)
      .facts()
      .catch(() => undefined);
  }
});
