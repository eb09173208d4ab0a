// Requests to an agent are sealed to its curve key (src/fleet/sealing.ts): one controller, two
// hosting servers enrolled with `hostvault agent enroll` and run as `hostvault agent` processes,
// a real nats-server and a real S3 server. A backup queued while web1's agent is offline waits in
// JetStream's store with neither the repository password nor the S3 secret readable (read back
// through the stream and from nats-server's store files), and runs when the agent returns. A
// request sealed to another agent, by another key, or sent unsealed is refused by the agent; an
// agent with no curve key on record gets its requests unsealed and the Servers API says so.
//   node --import tsx --test --test-reporter=spec test/fleet/sealed-jobs.int.test.ts
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FleetAgent } from '../../src/fleet/fleet-agent.js';
import { NatsAgent } from '../../src/fleet/nats-agent.js';
import { ServerRecords } from '../../src/fleet/server-records.js';
import { controllerCurveKey, newCurveKey, type KeyPair } from '../../src/fleet/sealing.js';
import { serverSubjects } from '../../src/fleet/subjects.js';
import { loadOrCreateMasterKey } from '../../src/repository/keyring.js';
import type { Service } from '../../src/serve.js';
import type { Target } from '../../src/target/schema.js';
import { startFleetController, type FleetController } from '../support/fleet-controller.js';
import { startS3Server, type S3TestServer } from '../support/s3-server.js';

const ADMIN_PASSWORD = 'sealed-jobs-admin-1';

describe('requests sealed to each agent', { timeout: 300_000 }, () => {
  let work: string;
  let fleet: FleetController;
  let service: Service;
  let s3: S3TestServer;
  let target: Target;
  let controllerKey: KeyPair;
  let admin: NatsConnection;
  const webRoot = () => join(work, 'web1', 'home', 'alice', 'www');

  async function servers(): Promise<Record<string, any>> {
    const { status, json } = await fleet.admin.call('GET', '/api/admin/servers');
    assert.equal(status, 200, JSON.stringify(json));
    return Object.fromEntries((json.servers as any[]).map((s) => [s.id, s]));
  }

  /** Every file under `dir`, as latin1 text (binary safe for a substring search). */
  async function filesText(dir: string): Promise<{ files: number; text: string }> {
    let files = 0;
    let text = '';
    for (const entry of await readdir(dir, { recursive: true })) {
      const path = join(dir, entry);
      if (!(await stat(path)).isFile()) continue;
      files += 1;
      text += (await readFile(path)).toString('latin1');
    }
    return { files, text };
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'hv-sealed-jobs-'));
    s3 = await startS3Server();
    // The S3 test server is on loopback: the controller and the agents are told it is allowed.
    process.env.HOSTVAULT_TARGET_ALLOW = '127.0.0.1';
    fleet = await startFleetController({
      work,
      servers: ['web1', 'web2'],
      adminPassword: ADMIN_PASSWORD,
      configEnv: { HOSTVAULT_TARGET_ALLOW: '127.0.0.1' },
    });
    service = fleet.service;
    controllerKey = controllerCurveKey(await loadOrCreateMasterKey(join(work, 'keys/master.key')));
    target = {
      kind: 's3',
      endpoint: s3.endpoint,
      region: '',
      bucket: s3.bucket,
      prefix: 'sealed',
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      pathStyle: true,
      caCert: s3.caCertPem,
    } as Target;
    await mkdir(webRoot(), { recursive: true });
    await writeFile(join(webRoot(), 'index.php'), '<?php echo "alice";');
    await service.app.inventory.importInventory({
      packages: [
        { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 10, maxSchedules: 5 },
      ],
      customers: [
        {
          id: 'alice',
          server: 'web1',
          name: 'alice',
          linuxUser: 'alice',
          uid: 2000,
          gid: 2000,
          packageId: 'basic',
          webRoot: webRoot(),
        },
      ],
    });
    await service.app.schedules.create({ role: 'admin' }, 'alice', {
      name: 'Nightly web',
      scope: 'web',
      frequency: 'daily',
      retention: 10,
      target,
    });
    admin = await fleet.nats.connect('controller');
  });

  after(async () => {
    await admin?.close();
    await fleet?.stop();
    await s3?.stop();
    delete process.env.HOSTVAULT_TARGET_ALLOW;
    await rm(work, { recursive: true, force: true });
  });

  it('enrollment exchanges curve keys: the agent keeps its seed, the controller its public key', async () => {
    for (const server of ['web1', 'web2']) await fleet.enrollAndStart(server);
    for (const server of ['web1', 'web2']) {
      const settings = await readFile(join(fleet.agentDir(server), 'agent.env'), 'utf8');
      assert.match(
        settings,
        new RegExp(`^HOSTVAULT_CONTROLLER_CURVE_KEY=${controllerKey.getPublicKey()}$`, 'm'),
      );
      const seedFile = join(fleet.agentDir(server), 'agent.xkey');
      assert.match(settings, new RegExp(`^HOSTVAULT_NATS_CURVE_SEED_FILE=${seedFile}$`, 'm'));
      const seed = (await readFile(seedFile, 'utf8')).trim();
      assert.match(seed, /^SX/);
      assert.equal((await stat(seedFile)).mode & 0o777, 0o600);
      const record = await new ServerRecords(service.app.store).get(server);
      assert.match(record?.curveKey ?? '', /^X/);
      // Only the public part reached the controller.
      assert.ok(!JSON.stringify(record).includes(seed));
    }
    const list = await servers();
    assert.equal(list.web1.sealed, true);
    assert.equal(list.web2.sealed, true);
  });

  it('a backup queued while the agent is offline waits with no secret readable, and runs when it returns', async () => {
    const web1 = fleet.agents.get('web1')!;
    await web1.stop();
    const schedule = await service.app.store.db
      .selectFrom('schedules')
      .select('id')
      .where('customer_id', '=', 'alice')
      .executeTakeFirstOrThrow();
    const { jobId } = await service.app.schedules.runNow({ role: 'admin' }, schedule.id);
    service.app.worker.notify();
    const stream = serverSubjects('web1').jobsStream;
    const jsm = await jetstreamManager(admin);
    const deadline = Date.now() + 30_000;
    while ((await jsm.streams.info(stream)).state.messages < 1) {
      if (Date.now() > deadline) throw new Error('the backup was not queued');
      await sleep(100);
    }
    const info = await jsm.streams.info(stream);
    const repository = await service.app.repositoryRecords.access(target, 'alice');
    const secrets = {
      'repository password': repository.password,
      'S3 secret key': s3.secretAccessKey,
    };
    assert.ok(repository.password.length >= 16);
    let sealedSeen = 0;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const stored = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (!stored) continue;
      const text = new TextDecoder().decode(stored.data);
      for (const [what, secret] of Object.entries(secrets))
        assert.ok(!text.includes(secret), `the ${what} is readable in the stored job`);
      const dispatch = JSON.parse(text) as Record<string, unknown>;
      assert.equal(dispatch.request, undefined, 'no plain request');
      assert.equal(typeof dispatch.sealed, 'string');
      assert.match(String(dispatch.id), new RegExp(`^backup-${jobId}-alice$`));
      sealedSeen += 1;
    }
    assert.equal(sealedSeen, 1);
    // And nowhere in nats-server's store on disk.
    const disk = await filesText(join(fleet.nats.dir, 'jetstream'));
    assert.ok(disk.files > 0);
    assert.ok(disk.text.includes(`backup-${jobId}-alice`), 'the stored job is in these files');
    for (const [what, secret] of Object.entries(secrets))
      assert.ok(!disk.text.includes(secret), `the ${what} is readable in nats-server's store`);

    await web1.start();
    const job = await fleet.finished(jobId);
    assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
    assert.equal((await jsm.streams.info(stream)).state.messages, 0);
  });

  it('request–reply is sealed too: Test connection and browse run on the agent', async () => {
    const fleetAgent = service.app.agent as unknown as FleetAgent;
    const answer = await fleetAgent
      .agentFor('web1')
      .testConnection({ target, audience: 'provider' });
    assert.equal(answer.ok, true, JSON.stringify(answer));
    const snapshot = await service.app.store.db
      .selectFrom('snapshots')
      .select('id')
      .where('customer_id', '=', 'alice')
      .executeTakeFirstOrThrow();
    const opened = await fleetAgent.browse.open({
      repository: await service.app.repositoryRecords.access(target, 'alice'),
      snapshotId: snapshot.id,
    });
    // The store keeps restic's short id; an index already built answers with the full one.
    assert.ok(
      opened.snapshotId.startsWith(snapshot.id),
      `${opened.snapshotId} is not ${snapshot.id}`,
    );
    assert.ok(opened.entries > 0);
  });

  it('refuses a job or request sealed to another agent, by another key, or unsealed', async () => {
    const web2Key = (await new ServerRecords(service.app.store).get('web2'))!.curveKey!;
    const web1Key = (await new ServerRecords(service.app.store).get('web1'))!.curveKey!;
    const sealedWith = (key: KeyPair, agent: string) =>
      new NatsAgent(admin, {
        serverId: 'web1',
        rpcTimeoutMs: 20_000,
        sealing: { controllerKey: async () => key, agentKey: async () => agent },
      });
    const cases = [
      {
        what: "sealed to web2's key",
        agent: sealedWith(controllerKey, web2Key),
        why: /not sealed by its controller/,
      },
      {
        what: 'sealed by a stranger',
        agent: sealedWith(newCurveKey(), web1Key),
        why: /not sealed by its controller/,
      },
      {
        what: 'unsealed',
        agent: new NatsAgent(admin, { serverId: 'web1', rpcTimeoutMs: 20_000 }),
        why: /came unsealed/,
      },
    ];
    for (const c of cases) {
      await assert.rejects(
        c.agent.testConnection({ target, audience: 'provider' }),
        (e: Error) => c.why.test(e.message),
        `Test connection ${c.what}`,
      );
      await assert.rejects(
        c.agent.sweepCertificates({ inUse: [] }),
        (e: Error) => c.why.test(e.message),
        `a job ${c.what}`,
      );
    }
    // The agent still takes what its controller seals to it.
    const good = sealedWith(controllerKey, web1Key);
    assert.ok(Array.isArray((await good.sweepCertificates({ inUse: [] })).removed));
    assert.match(fleet.agents.get('web1')!.output, /refused: .*not sealed by its controller/);
  });

  it('an agent with no curve key on record gets its requests unsealed, and the Servers API says so', async () => {
    // web2 as if enrolled before sealing: no curve key on record, none in its settings.
    await service.app.store.db
      .updateTable('servers')
      .set({ curve_key: null })
      .where('id', '=', 'web2')
      .execute();
    const fleetAgent = service.app.agent as unknown as FleetAgent;
    // Its agent still has its key: an unsealed request is refused, not taken.
    await assert.rejects(
      fleetAgent.agentFor('web2').testConnection({ target, audience: 'provider' }),
      /came unsealed/,
    );
    const web2 = fleet.agents.get('web2')!;
    await web2.stop();
    const settingsFile = join(fleet.agentDir('web2'), 'agent.env');
    const settings = await readFile(settingsFile, 'utf8');
    await writeFile(
      settingsFile,
      settings
        .split('\n')
        .filter((l) => !/^HOSTVAULT_(NATS_CURVE_SEED_FILE|CONTROLLER_CURVE_KEY)=/.test(l))
        .join('\n'),
    );
    await web2.start();
    assert.match(web2.output, /no sealing key/);
    const answer = await fleetAgent
      .agentFor('web2')
      .testConnection({ target, audience: 'provider' });
    assert.equal(answer.ok, true, JSON.stringify(answer));
    const list = await servers();
    assert.equal(list.web2.sealed, false);
    assert.equal(list.web1.sealed, true);
  });
});
