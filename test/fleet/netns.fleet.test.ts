// Fleet drills on a fleet of network namespaces (test/support/fleet-world.ts): three hosting
// servers web1..web3, each with its agent (enrolled with a one-time token) in its own namespace
// and hosting root, and one control plane of two controllers on one PostgreSQL database (sharing
// the planner lease) serving all three through the fleet's routing, over nats-server with TLS and
// per-server permissions. Each server's customer has files and a MariaDB database (the world's
// mariadbd, reached over the server's veth) and backs up scope Full to the S3 test server.
// Everything is driven over HTTP like a user. Each drill ends with a clear job state, the agent's
// log showing the job started once, `restic check` clean and the next run succeeding; the last
// one loses server 2 and recovers its customer onto server 3, files equal to the snapshot in
// content, owner, mode and mtime, the database equal by CHECKSUM TABLE. First, on the same world,
// the fleet's vault (issue 13): web1 backs up and restores through it, reaches it but never the
// S3 server behind it, cannot forget through it, and never sees that S3 server's keys.
//
// Needs root (network namespaces): run by `npm run test:fleet` (scripts/test-fleet.sh), not by
// scripts/test-files.sh's `all` (named *.fleet.test.ts, which it leaves out).
//   node --import tsx --test --test-reporter=spec test/fleet/netns.fleet.test.ts
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  lchown,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { curveKeyFromSeed, jobPurpose, openFrom, rpcPurpose } from '../../src/fleet/sealing.js';
import {
  BRIDGE_IP,
  FLEET_DATABASE,
  FleetWorld,
  type Controller,
  type FleetServer,
} from '../support/fleet-world.js';
import { ADMIN_PASSWORD } from '../support/service-process.js';
import { bytesUnder } from '../vault/vault-world.js';

const execFileAsync = promisify(execFile);

/** Fresh (never backed up) incompressible data per drill: still uploading when the drill hits. */
const DRILL_MB = Number(process.env.HOSTVAULT_FLEET_DRILL_MB ?? 192);
const TERMINAL = ['successful', 'warning', 'failed', 'canceled', 'interrupted'];

type Api = Awaited<ReturnType<Controller['admin']>>;

interface Job {
  id: number;
  status: string;
  error: string | null;
  log?: string | null;
  snapshotId?: string | null;
  progress: { bytesDone?: number } | null;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** sha256 of every file under `dir`, by path relative to it. */
async function digests(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) =>
    e.isFile(),
  )) {
    const path = join(name.parentPath, name.name);
    out.set(
      path.slice(dir.length),
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    );
  }
  return out;
}

/**
 * Everything under `dir` (not `dir` itself) as a restore must bring it back: by relative path,
 * type, owner, group, mode, mtime to the nanosecond, and the sha256 of a file or a link's target.
 */
async function tree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const st = await lstat(path, { bigint: true });
    const content = entry.isFile()
      ? createHash('sha256')
          .update(await readFile(path))
          .digest('hex')
      : entry.isSymbolicLink()
        ? `-> ${await readlink(path)}`
        : '';
    out.set(
      path.slice(dir.length + 1),
      `${st.uid}:${st.gid} ${(st.mode & 0o177777n).toString(8)} mtime=${st.mtimeNs} ${content}`,
    );
  }
  return out;
}

const log = (line: string) => console.log(`# ${new Date().toISOString().slice(11, 19)} ${line}`);

describe('fleet drills on network namespaces', { timeout: 600_000 }, () => {
  let world: FleetWorld;
  /** An admin session on a live controller (any of them answers for the whole fleet). */
  let api: Api;
  /** Per server: its customer and the customer's schedule and database. */
  const customers = new Map<
    number,
    { id: string; scheduleId: number; database: string; prefix: string }
  >();

  const customerOf = (s: FleetServer) => customers.get(s.index)!;

  async function job(_s: FleetServer, id: number): Promise<Job> {
    return api('GET', `/api/jobs/${id}`) as Promise<Job>;
  }

  async function finished(s: FleetServer, id: number, timeoutMs = 180_000): Promise<Job> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const j = await job(s, id).catch(() => undefined);
      if (j && TERMINAL.includes(j.status)) return j;
      if (Date.now() > deadline)
        throw new Error(
          `job ${id} on ${s.id} did not end: ${JSON.stringify(j)}\n` +
            world.controllers
              .map(
                (c) =>
                  `== ${c.name} (${c.running ? 'running' : 'exited'})\n${c.output.slice(-3000)}`,
              )
              .join('\n'),
        );
      await sleep(200);
    }
  }

  /** Waits until restic's progress of the job reached the controller: the job is under way. */
  async function underWay(s: FleetServer, id: number): Promise<Job> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const j = await job(s, id);
      if ((j.progress?.bytesDone ?? 0) > 0) return j;
      if (TERMINAL.includes(j.status))
        throw new Error(`job ${id} ended before the drill: ${j.status} ${j.error}`);
      if (Date.now() > deadline) throw new Error(`job ${id} shows no progress`);
      await sleep(50);
    }
  }

  async function runNow(s: FleetServer): Promise<number> {
    const c = customerOf(s);
    const answer = (await api('POST', `/api/schedules/${c.scheduleId}/run`)) as { jobId: number };
    assert.ok(answer.jobId, JSON.stringify(answer));
    return answer.jobId;
  }

  async function freshData(s: FleetServer, name: string): Promise<void> {
    const dir = join(s.webRootOnDisk(customerOf(s).id), 'drill', name);
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < DRILL_MB / 4; i++)
      await writeFile(join(dir, `blob-${i}`), randomBytes(4 << 20));
  }

  /** The agent started the backup or restore of `jobId` exactly once over its whole life. */
  function ranOnce(s: FleetServer, jobId: number): void {
    const starts = s.agent.output.match(
      new RegExp(`job [a-z]+-${jobId}(-[a-z0-9-]+)? \\([a-z]+\\) started`, 'g'),
    );
    assert.equal(
      starts?.length ?? 0,
      1,
      `agent of ${s.id} started job ${jobId} ${starts?.length ?? 0} times`,
    );
  }

  /** `restic check` of the customer's repositories on S3, with the key file the admin area gives. */
  async function resticCheck(s: FleetServer): Promise<void> {
    const c = world.controllers.find((x) => x.running)!;
    const cookie = await adminCookie(c);
    const { repositories } = (await (
      await fetch(`${c.url}/api/admin/repositories`, { headers: { cookie } })
    ).json()) as { repositories: { id: number; url: string }[] };
    // Each server's customer backs up under a prefix named after the server it started on.
    // (On S3: web1's customer has a schedule on the vault too, which its agent may not check.)
    const own = repositories.filter(
      (r) => r.url.startsWith('s3:') && r.url.includes(`/${customerOf(s).prefix}`),
    );
    assert.ok(own.length > 0, JSON.stringify(repositories));
    for (const repo of own) {
      // The key file as the admin area hands it out for recovery with plain restic.
      const response = await fetch(`${c.url}/api/admin/repositories/${repo.id}/key`, {
        headers: { cookie },
      });
      assert.equal(response.status, 200);
      const keyFile = join(world.dir, `${s.id}-${repo.id}.key`);
      await writeFile(keyFile, await response.text(), { mode: 0o600 });
      const restic = (...args: string[]) =>
        execFileAsync(
          'restic',
          ['-r', repo.url, '--password-file', keyFile, '--cacert', world.s3.caCertPath, ...args],
          { env: { ...process.env, ...world.s3.env() }, maxBuffer: 16 << 20 },
        );
      // A restic that died with its agent (kill -9) leaves its lock; plain `unlock` removes only
      // locks whose process is gone on this host, as the product does before its own runs
      // (src/engine/runner.ts removeStaleLocks), so a live writer would still fail the check.
      await restic('unlock');
      const { stdout } = await restic('check').catch(
        (e: Error & { stdout?: string; stderr?: string }) => {
          throw new Error(`restic check of ${repo.url} failed: ${e.stdout}\n${e.stderr}`);
        },
      );
      assert.match(stdout, /no errors were found/);
    }
  }

  async function adminCookie(c: Controller): Promise<string> {
    const response = await fetch(`${c.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    assert.equal(response.status, 200);
    return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  }

  /** After a drill: the next run succeeds, the repository checks clean. */
  async function nextRunSucceeds(s: FleetServer, ranOn: FleetServer = s): Promise<void> {
    const again = await finished(s, await runNow(s));
    assert.equal(again.status, 'successful', `${again.error}\n${again.log}`);
    ranOnce(ranOn, again.id);
    // Nothing lost: the run's snapshot is recorded and listed for its schedule.
    const c = customerOf(s);
    const { snapshots } = (await api('GET', `/api/schedules/${c.scheduleId}/snapshots`)) as {
      snapshots: { id: string }[];
    };
    assert.ok(
      snapshots.some((x) => again.snapshotId && x.id.startsWith(again.snapshotId)),
      `snapshot ${again.snapshotId} of job ${again.id} is listed`,
    );
    await resticCheck(s);
  }

  before(async () => {
    const started = Date.now();
    world = await FleetWorld.start({ servers: 3, controllers: 2, vault: true, log });
    api = await world.controllers[0]!.admin();
    const imported = await api('POST', '/api/admin/inventory/import', {
      packages: [
        { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 10, maxSchedules: 5 },
      ],
      customers: world.servers.map((s) => ({
        id: `${s.id}-alice`,
        server: s.id,
        name: 'Alice',
        linuxUser: `${s.id}-alice`,
        uid: 2000 + s.index,
        gid: 2000 + s.index,
        packageId: 'basic',
        webRoot: s.webRoot(`${s.id}-alice`),
        databases: [`${s.id}_alice_shop`],
      })),
    });
    assert.ok(!imported.error, JSON.stringify(imported));
    for (const s of world.servers) {
      const customerId = `${s.id}-alice`;
      const www = s.webRootOnDisk(customerId);
      await mkdir(www, { recursive: true });
      await writeFile(join(www, 'index.php'), `<?php echo "${s.id}";`);
      const database = `${s.id}_alice_shop`;
      await world.mariadb.sql(
        `CREATE DATABASE ${database};
         USE ${database};
         CREATE TABLE ${database}.products (id INT PRIMARY KEY, name VARCHAR(100), price DECIMAL(8,2)) ENGINE=InnoDB;
         CREATE TABLE ${database}.orders (id INT AUTO_INCREMENT PRIMARY KEY, product INT, note TEXT, at DATETIME) ENGINE=InnoDB;
         INSERT INTO ${database}.products VALUES (1, 'Tea', 3.50), (2, 'Coffee', 4.20), (3, 'Käse', 7.99);
         INSERT INTO ${database}.orders (product, note, at) SELECT 1 + seq % 3, CONCAT('order ', seq), '2026-01-01' + INTERVAL seq MINUTE FROM seq_1_to_500;`,
      );
      const schedule = await api('POST', '/api/admin/schedules', {
        mode: 'single',
        customerId,
        name: 'Drill',
        scope: 'full',
        frequency: 'daily',
        retention: 10,
        target: {
          kind: 's3',
          endpoint: world.s3.endpoint,
          bucket: world.s3.bucket,
          prefix: s.id,
          accessKeyId: world.s3.accessKeyId,
          secretAccessKey: world.s3.secretAccessKey,
          pathStyle: true,
          caCert: world.s3.caCertPem,
        },
      });
      assert.ok(schedule.id, JSON.stringify(schedule));
      customers.set(s.index, { id: customerId, scheduleId: schedule.id, database, prefix: s.id });
    }
    // A first backup on every server: repositories exist, the drills start from a known state.
    const first = await Promise.all(world.servers.map(async (s) => finished(s, await runNow(s))));
    for (const [i, j] of first.entries()) {
      assert.equal(j.status, 'successful', `${j.error}\n${j.log}`);
      // Each ran on its own server's agent, through the one control plane.
      ranOnce(world.servers[i]!, j.id);
      for (const other of world.servers.filter((_, k) => k !== i))
        assert.doesNotMatch(other.agent.output, new RegExp(`job [a-z]+-${j.id}\\b`));
    }
    log(`world up, first backups done in ${Math.round((Date.now() - started) / 1000)} s`);
  });

  after(async () => {
    if (process.env.HOSTVAULT_TEST_AGENT_LOG)
      for (const s of world?.servers ?? []) console.log(`== ${s.agent.name}\n${s.agent.output}`);
    await world?.stop();
  });

  // Issue 13 on the namespaces: web1's agent backs up through the fleet's vault (in the root
  // namespace, on the bridge) and reaches only the vault, never the S3 server behind it (on the
  // root namespace's 127.0.0.1), nor that server's keys. Runs first, on this world, before the
  // drills below disturb it. It needs root, network namespaces and the world's lock like every
  // drill, so it runs in `npm run test:fleet` (scripts/test-fleet.sh, which `npm test` runs too;
  // `-- --test-name-pattern=vault` for these alone), not in `npm run test:vault`, whose tests run
  // unprivileged on loopback.
  describe('the vault: web1 reaches only the vault, never its S3 server or keys', () => {
    const s = () => world.server(1);
    const vault = () => world.vault!;
    const owner = () => customerOf(s()).id;
    /** The vault's repository of web1's customer, as the schedule's snapshots name it. */
    let repositoryId: number;
    let repositoryUrl: string;
    let scheduleId: number;
    let passwordFile: string;
    /** Every message sent to web1's agent (its jobs and requests) and to the vault's queue. */
    const toAgent: { subject: string; data: string }[] = [];
    const toVault: string[] = [];
    let watcher: NatsConnection | undefined;
    const backups: Job[] = [];
    /** The repository's path on the vault (`/web1/<owner>`), from its URL. */
    const repoPath = () => new URL(repositoryUrl.replace(/^rest:/, '')).pathname;
    const vaultS3Bytes = () => bytesUnder(join(vault().s3.dataDir, vault().s3.bucket));

    /** A command in web1's namespace (as a script on that server would run it). */
    function inWeb1(
      args: string[],
      env: NodeJS.ProcessEnv = {},
    ): Promise<{ code: number; stdout: string; stderr: string }> {
      return new Promise((resolve) =>
        execFile(
          'ip',
          ['netns', 'exec', s().netns, ...args],
          { env: { PATH: process.env.PATH, HOME: s().root, ...env }, maxBuffer: 16 << 20 },
          (error, stdout, stderr) =>
            resolve({
              code: error ? Number((error as { code?: unknown }).code ?? 1) : 0,
              stdout,
              stderr,
            }),
        ),
      );
    }

    /**
     * From web1's namespace: TCP connections to `connect`, and HTTPS requests to the vault with
     * its CA; what each got (an error code, or the HTTP status).
     */
    async function probeFromWeb1(spec: {
      connect?: [string, number][];
      requests?: { method: string; path: string; auth?: string }[];
    }): Promise<{ connect: string[]; requests: number[] }> {
      const script = `
        const net = require('node:net'), https = require('node:https'), fs = require('node:fs');
        const [specText, base, caFile] = process.argv.slice(1);
        const spec = JSON.parse(specText);
        const ca = fs.readFileSync(caFile, 'utf8');
        const connect = ([host, port]) => new Promise((resolve) => {
          const socket = net.connect({ host, port, timeout: 3000 });
          socket.on('connect', () => { socket.destroy(); resolve('connected'); });
          socket.on('timeout', () => { socket.destroy(); resolve('ETIMEDOUT'); });
          socket.on('error', (e) => resolve(e.code || e.message));
        });
        const request = (r) => new Promise((resolve) => {
          const req = https.request(new URL(r.path, base), { method: r.method, ca, auth: r.auth },
            (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
          req.on('error', (e) => resolve(e.code || e.message));
          req.end();
        });
        (async () => {
          const out = { connect: [], requests: [] };
          for (const c of spec.connect || []) out.connect.push(await connect(c));
          for (const r of spec.requests || []) out.requests.push(await request(r));
          console.log(JSON.stringify(out));
        })();`;
      const out = await inWeb1([
        process.execPath, '-e', script, JSON.stringify(spec), vault().url, world.nats.caFile,
      ]); // prettier-ignore
      assert.equal(out.code, 0, out.stderr);
      return JSON.parse(out.stdout) as { connect: string[]; requests: number[] };
    }

    /** restic in web1's namespace with web1's own vault credential and the repository password. */
    function resticFromWeb1(args: string[]) {
      const url = new URL(vault().url);
      url.username = 'web1';
      url.password = vault().credentials.web1!;
      return inWeb1(
        ['restic', '--cacert', world.nats.caFile, '--no-cache', '--password-file', passwordFile, ...args],
        { RESTIC_REPOSITORY: `rest:${url.href.replace(/\/$/, '')}${repoPath()}` },
      ); // prettier-ignore
    }

    /** The backups in the vault's repository (a restore's safety snapshot left out), oldest first. */
    async function snapshotsFromWeb1(): Promise<{ id: string; short_id: string }[]> {
      const out = await resticFromWeb1(['snapshots', '--json']);
      assert.equal(out.code, 0, out.stderr);
      const all = JSON.parse(out.stdout) as { id: string; short_id: string; tags?: string[] }[];
      return all.filter((x) => !x.tags?.includes('safety'));
    }

    before(async () => {
      watcher = await world.nats.connect('controller');
      const keep = (sub: ReturnType<NatsConnection['subscribe']>, into: (m: Msg) => void) =>
        void (async () => {
          for await (const m of sub) into(m);
        })();
      for (const subject of ['hv.web1.jobs', 'hv.web1.rpc.*'])
        keep(watcher.subscribe(subject), (m) =>
          toAgent.push({ subject: m.subject, data: m.string() }),
        );
      keep(watcher.subscribe('hv._vault.jobs'), (m) => toVault.push(m.string()));
      await watcher.flush();
      const schedule = await api('POST', '/api/admin/schedules', {
        mode: 'single',
        customerId: owner(),
        name: 'Into the vault',
        scope: 'web',
        frequency: 'daily',
        retention: 2,
        target: vault().target('web1'),
      });
      assert.ok(schedule.id, JSON.stringify(schedule));
      scheduleId = schedule.id;
    });

    after(async () => {
      await watcher?.close();
    });

    async function vaultBackup(): Promise<Job> {
      const answer = (await api('POST', `/api/schedules/${scheduleId}/run`)) as { jobId: number };
      assert.ok(answer.jobId, JSON.stringify(answer));
      const j = await finished(s(), answer.jobId);
      assert.equal(j.status, 'successful', `${j.error}\n${j.log}`);
      ranOnce(s(), j.id);
      backups.push(j);
      return j;
    }

    it('backup and restore through the vault; the restore is byte-identical', async () => {
      const started = Date.now();
      const www = s().webRootOnDisk(owner());
      // 3 MB only the first backup holds: what the vault's retention and prune free later.
      await writeFile(join(www, 'upload.bin'), randomBytes(3_000_000));
      await vaultBackup();
      await rm(join(www, 'upload.bin'));
      await mkdir(join(www, 'vault'), { recursive: true });
      await writeFile(join(www, 'vault', 'a.bin'), randomBytes(200_000));
      await vaultBackup();
      await writeFile(join(www, 'vault', 'b.txt'), 'the newest backup\n');
      const latest = await vaultBackup();
      const inSnapshot = await digests(www);
      const { snapshots } = (await api('GET', `/api/schedules/${scheduleId}/snapshots`)) as {
        snapshots: { id: string; repositoryId: number }[];
      };
      const snapshot = snapshots.find((x) => latest.snapshotId?.startsWith(x.id.slice(0, 8)));
      assert.ok(snapshot, `snapshot ${latest.snapshotId} listed: ${JSON.stringify(snapshots)}`);
      repositoryId = snapshot.repositoryId;
      const { repositories } = (await api('GET', '/api/admin/repositories')) as {
        repositories: { id: number; url: string }[];
      };
      repositoryUrl = repositories.find((r) => r.id === repositoryId)!.url;
      assert.match(repositoryUrl, new RegExp(`^rest:${vault().url}/web1/`));
      const backupsMs = Date.now() - started;
      // The customer's site damaged: a file gone, one changed, one added.
      await rm(join(www, 'vault', 'a.bin'));
      await writeFile(join(www, 'index.php'), '<?php echo "defaced";');
      await writeFile(join(www, 'vault', 'dropped.php'), '<?php system($_GET["c"]);');
      const restoreStarted = Date.now();
      const answer = (await api(
        'POST',
        `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/restore`,
        { what: 'web' },
      )) as { jobId: number };
      assert.ok(answer.jobId, JSON.stringify(answer));
      const restored = await finished(s(), answer.jobId);
      assert.equal(restored.status, 'successful', `${restored.error}\n${restored.log}`);
      ranOnce(s(), restored.id);
      assert.deepEqual(await digests(www), inSnapshot);
      // The vault's S3 server holds the repository, below the vault user's own directory.
      assert.ok(vaultS3Bytes() > 3_000_000, `${vaultS3Bytes()} bytes on the vault's S3`);
      log(
        `vault: 3 backups through the vault in ${backupsMs} ms, restore in ${Date.now() - restoreStarted} ms, ${inSnapshot.size} files identical`,
      );
    });

    it("from web1's namespace the vault's S3 server cannot be reached, the vault can", async () => {
      const { s3 } = vault();
      const probe = await probeFromWeb1({
        // Where the S3 server listens (the root namespace's loopback) and the bridge address on
        // its port: from a server neither answers.
        connect: [
          ['127.0.0.1', s3.port],
          [BRIDGE_IP, s3.port],
          [BRIDGE_IP, vault().port],
        ],
        requests: [
          { method: 'GET', path: `${repoPath()}/config` },
          { method: 'GET', path: `${repoPath()}/config`, auth: `web1:${vault().credentials.web1}` },
          { method: 'GET', path: `${repoPath().replace('/web1/', '/web2/')}/config`, auth: `web1:${vault().credentials.web1}` },
        ],
      }); // prettier-ignore
      log(
        `vault: from web1 s3 127.0.0.1 ${probe.connect[0]}, s3 on the bridge ${probe.connect[1]}, vault ${probe.connect[2]}; vault config without credential ${probe.requests[0]}, with web1's ${probe.requests[1]}, web2's path ${probe.requests[2]}`,
      );
      assert.notEqual(probe.connect[0], 'connected');
      assert.notEqual(probe.connect[1], 'connected');
      assert.equal(probe.connect[2], 'connected');
      assert.deepEqual(probe.requests, [401, 200, 403]);
    });

    it("web1's own credential and the repository password cannot forget a snapshot (403): it remains", async () => {
      // The repository password, as the agent holds it (its jobs carry it): the admin area's key.
      const c = world.controllers.find((x) => x.running)!;
      const response = await fetch(`${c.url}/api/admin/repositories/${repositoryId}/key`, {
        headers: { cookie: await adminCookie(c) },
      });
      assert.equal(response.status, 200);
      passwordFile = join(s().root, 'stolen-repository.key');
      await writeFile(passwordFile, await response.text(), { mode: 0o600 });
      const before = await snapshotsFromWeb1();
      assert.equal(before.length, 3, JSON.stringify(before));
      const newest = before.at(-1)!;
      const started = Date.now();
      const forget = await resticFromWeb1(['forget', newest.id]);
      const forgetMs = Date.now() - started;
      // restic 0.14 exits 1 and 0.18 exits 0 on a refused removal: the 403 and the files decide.
      assert.match(forget.stderr, /403/, forget.stderr);
      const raw = await probeFromWeb1({
        requests: [
          { method: 'DELETE', path: `${repoPath()}/snapshots/${newest.id}`, auth: `web1:${vault().credentials.web1}` },
          { method: 'POST', path: `${repoPath()}/snapshots/${newest.id}`, auth: `web1:${vault().credentials.web1}` },
        ],
      }); // prettier-ignore
      assert.deepEqual(raw.requests, [403, 403]);
      const after = await snapshotsFromWeb1();
      assert.deepEqual(
        after.map((x) => x.id),
        before.map((x) => x.id),
      );
      log(
        `vault: from web1 restic forget ${newest.short_id}: exit ${forget.code} in ${forgetMs} ms, server answered 403; raw DELETE ${raw.requests[0]}, POST over it ${raw.requests[1]}; ${after.length} snapshots remain`,
      );
    });

    /**
     * Has the maintenance planner run now, as a controller does when it takes the planner lease:
     * the holder is stopped (SIGTERM hands the lease over), the other takes it and plans at once;
     * the stopped one is started again. The maintenance jobs it queued for the vault's repository.
     */
    async function planNow(): Promise<{ id: number; task: string }[]> {
      const [[maxId] = ['0']] = await world.pg.query(
        FLEET_DATABASE,
        'select coalesce(max(id), 0) from jobs',
      );
      const rows = await world.pg.query(
        FLEET_DATABASE,
        'select holder, expires_at from planner_leases',
      );
      const lead = rows.find(([, expires]) => Date.parse(expires!) > Date.now())?.[0];
      const holder = world.controllers.find((x) => lead?.split(':')[1] === String(x.pid));
      assert.ok(holder, `a controller holds the planner lease: ${JSON.stringify(rows)}`);
      const other = world.controllers.find((x) => x !== holder)!;
      const from = other.output.length;
      await holder.kill('SIGTERM');
      await other.waitFor(/planner: this process plans/, { from });
      api = await other.admin();
      // The planner queues what is due at once; a moment more for the last of them.
      const planned = async () =>
        (
          await world.pg.query(
            FLEET_DATABASE,
            `select id, params from jobs where type = 'maintenance' and id > ${maxId} order by id`,
          )
        )
          .map(([id, params]) => ({ id: Number(id), ...(JSON.parse(params!) as { task: string; url: string }) }))
          .filter((r) => r.url === repositoryUrl)
          .map(({ id, task }) => ({ id, task })); // prettier-ignore
      await waitFor('maintenance of the vault queued', async () =>
        (await planned()).length > 0 ? true : undefined,
      );
      await sleep(1_000);
      await holder.start();
      return planned();
    }

    it("the vault's retention and prune, queued by the controllers over NATS, run on the vault", async () => {
      const started = Date.now();
      // Retention first: the schedule keeps 2 and has 3 backups.
      const first = await planNow();
      assert.deepEqual(
        first.map((r) => r.task),
        ['retention'],
      );
      const retention = await finished(s(), first[0]!.id);
      assert.equal(retention.status, 'successful', `${retention.error}\n${retention.log}`);
      assert.match(
        retention.log ?? '',
        new RegExp(`forgot 1 snapshot\\(s\\) of web1/\\S+ beyond 2`),
      );
      // The oldest backup (the only one with upload.bin) is gone; the two newest remain.
      const left = await snapshotsFromWeb1();
      assert.equal(left.length, 2, JSON.stringify(left));
      assert.ok(!left.some((x) => backups[0]!.snapshotId?.startsWith(x.short_id)));
      const retentionMs = Date.now() - started;
      // Prune and check are weekly: the repository's last ones a week ago, so the planner queues
      // them now.
      const weekAgo = new Date(Date.now() - 8 * 86_400_000).toISOString();
      await world.pg.query(
        FLEET_DATABASE,
        `update repositories set last_prune_at = '${weekAgo}', last_check_at = '${weekAgo}' where id = ${repositoryId}`,
      );
      const bytesBefore = vaultS3Bytes();
      const pruneStarted = Date.now();
      const second = await planNow();
      assert.deepEqual(second.map((r) => r.task).sort(), ['check', 'prune']);
      const logs: Record<string, string> = {};
      for (const r of second) {
        const j = await finished(s(), r.id);
        assert.equal(j.status, 'successful', `${r.task}: ${j.error}\n${j.log}`);
        logs[r.task] = j.log ?? '';
      }
      const bytesAfter = vaultS3Bytes();
      assert.match(logs.prune!, new RegExp(`Pruning web1/\\S+ on the vault`));
      assert.match(logs.check!, new RegExp(`Checking web1/\\S+ on the vault`));
      assert.ok(
        bytesBefore - bytesAfter > 2_500_000,
        `prune freed ${bytesBefore - bytesAfter} bytes`,
      );
      // Each ran on the vault, taken from its own queue; web1's agent ran none of them.
      assert.ok(toVault.length >= 3, `${toVault.length} vault jobs seen`);
      for (const r of [...first, ...second])
        assert.doesNotMatch(s().agent.output, new RegExp(`job [a-z]+-${r.id}\\b`));
      assert.equal((await snapshotsFromWeb1()).length, 2);
      log(
        `vault: retention over NATS on the vault in ${retentionMs} ms (1 forgotten, 2 left); prune and check in ${Date.now() - pruneStarted} ms, its S3 ${bytesBefore} -> ${bytesAfter} bytes`,
      );
      // The drills below have their session on the first controller.
      api = await world.controllers[0]!.admin();
    });

    it("the vault's S3 keys are nowhere web1's agent can read", async () => {
      const secrets = [vault().s3.accessKeyId, vault().s3.secretAccessKey];
      const found = (text: string) => secrets.filter((x) => text.includes(x));
      // Every process in web1's namespace (the agent, socat): environment and command line.
      const pids = (await execFileAsync('ip', ['netns', 'pids', s().netns])).stdout
        .split('\n')
        .filter(Boolean);
      assert.ok(pids.includes(String(s().agent.pid)), `the agent ${s().agent.pid} among ${pids}`);
      for (const pid of pids)
        for (const file of ['environ', 'cmdline']) {
          const text = await readFile(`/proc/${pid}/${file}`, 'latin1').catch(() => '');
          assert.deepEqual(found(text), [], `/proc/${pid}/${file}`);
        }
      // Every file of the server: its agent's data directory (agent.env, keys, job records, the
      // restic cache), its hosting root.
      let files = 0;
      for (const entry of await readdir(s().root, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        files += 1;
        const path = join(entry.parentPath, entry.name);
        assert.deepEqual(found(await readFile(path, 'latin1')), [], path);
      }
      const settings = await readFile(join(s().agentDataDir, 'agent.env'), 'utf8');
      assert.deepEqual(found(settings), []);
      // Every job and request the agent received, opened with its own key as it opens them.
      const env = Object.fromEntries(
        settings.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      ); // prettier-ignore
      const own = curveKeyFromSeed(await readFile(env.HOSTVAULT_NATS_CURVE_SEED_FILE!, 'utf8'));
      const controllerKey = env.HOSTVAULT_CONTROLLER_CURVE_KEY!;
      let opened = 0;
      let withVaultPassword = 0;
      for (const m of toAgent) {
        const body = JSON.parse(m.data) as { id?: string; kind?: string; sealed?: string };
        let text = m.data;
        if (body.sealed) {
          const purpose =
            m.subject === 'hv.web1.jobs'
              ? jobPurpose('web1', body.id!, body.kind!)
              : rpcPurpose('web1', m.subject.split('.').at(-1)!);
          text = JSON.stringify(openFrom(own, controllerKey, purpose, body.sealed));
          opened += 1;
        }
        assert.deepEqual(found(text), [], `${m.subject}: ${text.slice(0, 200)}`);
        if (text.includes(vault().credentials.web1!)) withVaultPassword += 1;
      }
      // What the agent does get: its vault credential, in the vault jobs' requests.
      assert.ok(
        withVaultPassword >= 4,
        `${withVaultPassword} of ${toAgent.length} name the vault password`,
      );
      // The vault's own queue carries the repository and the task, not the backing target.
      for (const text of toVault) assert.deepEqual(found(text), [], text.slice(0, 200));
      log(
        `vault: S3 keys in none of ${pids.length} processes' environ/cmdline, ${files} files of web1, ${toAgent.length} messages to web1's agent (${opened} sealed, opened), ${toVault.length} vault jobs`,
      );
    });
  });

  it('kill -9 of an agent mid-backup: the job fails clearly, the repository stays clean', async () => {
    const s = world.server(2);
    await freshData(s, 'kill-backup');
    const id = await runNow(s);
    await underWay(s, id);
    await s.agent.kill('SIGKILL');
    await s.agent.start();
    const j = await finished(s, id);
    assert.equal(j.status, 'failed');
    assert.match(j.error ?? '', /stopped while this job ran/);
    ranOnce(s, id);
    await nextRunSucceeds(s);
  });

  it('kill -9 of an agent mid-restore: the job fails clearly, a restore again brings every file back', async () => {
    const s = world.server(2);
    const c = customerOf(s);
    const dir = join(s.webRootOnDisk(c.id), 'drill', 'kill-backup');
    const before = await digests(dir);
    assert.ok(before.size > 0);
    const { snapshots } = (await api('GET', `/api/schedules/${c.scheduleId}/snapshots`)) as {
      snapshots: { id: string; repositoryId: number }[];
    };
    const snapshot = snapshots[0]!;
    const restore = async () => {
      const answer = (await api(
        'POST',
        `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/restore`,
        { what: 'web' },
      )) as { jobId: number };
      assert.ok(answer.jobId, JSON.stringify(answer));
      return answer.jobId;
    };
    // The customer lost the files: the restore writes all of them back.
    await rm(dir, { recursive: true, force: true });
    const id = await restore();
    await underWay(s, id);
    await s.agent.kill('SIGKILL');
    await s.agent.start();
    const j = await finished(s, id);
    // Killed before the restore's commit, the agent's recovery leaves the tree as it was and the
    // job failed; killed after it, recovery finishes the restore and the job reads successful.
    if (j.status === 'failed') assert.match(j.error ?? '', /stopped while this job ran/);
    else assert.equal(j.status, 'successful', `${j.error}\n${j.log}`);
    ranOnce(s, id);

    const again = await finished(s, await restore());
    assert.equal(again.status, 'successful', `${again.error}\n${again.log}`);
    ranOnce(s, again.id);
    assert.deepEqual(await digests(dir), before);
    await nextRunSucceeds(s);
  });

  it("a server's link cut mid-backup and restored: the job ends clearly, the next run succeeds", async () => {
    const s = world.server(3);
    await freshData(s, 'link-cut');
    const id = await runNow(s);
    await underWay(s, id);
    await s.linkDown();
    await sleep(8_000);
    await s.linkUp();
    const j = await finished(s, id);
    log(`link cut: job ${id} ended ${j.status} ${j.error ?? ''}`);
    assert.ok(
      j.status === 'successful' || (j.status === 'failed' && (j.error ?? '').length > 0),
      `${j.status}: ${j.error}`,
    );
    ranOnce(s, id);
    await nextRunSucceeds(s);
  });

  it('the leading controller killed: the other takes the planner lease, serves the API, adopts its job', async () => {
    const s = world.server(1);
    // The holder whose lease has not expired (expires_at is ISO 8601 UTC text).
    const holder = async () => {
      const rows = await world.pg.query(
        FLEET_DATABASE,
        'select holder, expires_at from planner_leases',
      );
      return rows.find(([, expires]) => Date.parse(expires!) > Date.now())?.[0];
    };
    const lead = await waitFor('a planner lease holder', holder);
    const leader = world.controllers.find((x) => lead.split(':')[1] === String(x.pid));
    assert.ok(leader, `lease holder ${lead} is one of the controllers`);
    const other = world.controllers.find((x) => x !== leader)!;
    // The session is on the leader: a job under way through it when it dies.
    api = await leader.admin();
    await freshData(s, 'leader-killed');
    const id = await runNow(s);
    await underWay(s, id);
    // Whichever controller's worker claimed the job owns it (migration 0016): usually the leader.
    const [[owner] = []] = await world.pg.query(
      FLEET_DATABASE,
      `select owner from jobs where id = ${id}`,
    );
    const leaderRanIt = owner?.split('-').at(-2) === String(leader.pid);
    const killedAt = Date.now();
    const otherLogFrom = other.output.length;
    await leader.kill('SIGKILL');
    api = await other.admin();
    const next = await waitFor('another lease holder', async () => {
      const h = await holder();
      return h && h !== lead ? h : undefined;
    });
    const tookMs = Date.now() - killedAt;
    await other.waitFor(/planner: this process plans/, { from: otherLogFrom });
    log(`lease moved from ${lead} to ${next} in ${tookMs} ms`);
    assert.equal(next.split(':')[1], String(other.pid));
    assert.ok(tookMs < 30_000, `took over after ${tookMs} ms`);
    // The survivor answers the API and adopts the dead controller's running job once its lease
    // lapsed (HOSTVAULT_JOB_LEASE_MS, 4 s in this world): it asks the agent, which ran on, and
    // records the real outcome with its snapshot instead of "Interrupted".
    const j = await finished(s, id);
    log(`leader killed: job ${id} ended ${j.status} ${Date.now() - killedAt} ms after the kill`);
    assert.equal(j.status, 'successful', `${j.error}\n${j.log}`);
    assert.ok(j.snapshotId, 'the snapshot the agent made is recorded');
    if (leaderRanIt) assert.match(j.log ?? '', /Taken over by controller/);
    else log(`leader killed: job ${id} ran on the other controller (${owner}), nothing to adopt`);
    // The leader back: its start leaves the finished job as it is.
    await leader.start();
    assert.equal((await job(s, id)).status, 'successful');
    ranOnce(s, id);
    await nextRunSucceeds(s);
  });

  it('nats-server restarted mid-job: the job ends clearly, nothing is run twice', async () => {
    const s = world.server(1);
    await freshData(s, 'nats-restart');
    const id = await runNow(s);
    const hit = await underWay(s, id);
    await world.nats.stop({ keepData: true });
    // The drill hit a job under way (the API and the store need no NATS to say so).
    assert.equal((await job(s, id)).status, 'running');
    log(`nats stopped at ${hit.progress?.bytesDone} bytes of job ${id}`);
    await sleep(2_000);
    await world.nats.start();
    await world.recordPid(world.nats.pid());
    const j = await finished(s, id);
    log(`nats restarted: job ${id} ended ${j.status} ${j.error ?? ''}`);
    assert.equal(j.status, 'successful', `${j.error}\n${j.log}`);
    ranOnce(s, id);
    await nextRunSucceeds(s);
  });

  it('PostgreSQL restarted mid-job: the job ends clearly, nothing is run twice', async () => {
    const s = world.server(3);
    await freshData(s, 'pg-restart');
    const id = await runNow(s);
    await underWay(s, id);
    await world.pg.restart();
    const j = await finished(s, id);
    log(`postgres restarted: job ${id} ended ${j.status} ${j.error ?? ''}`);
    assert.equal(j.status, 'successful', `${j.error}\n${j.log}`);
    ranOnce(s, id);
    await nextRunSucceeds(s);
  });

  it("a lost server's customer is recovered onto server 3: files equal the snapshot in content, owner, mode and mtime, the database by CHECKSUM TABLE", async () => {
    const lost = world.server(2);
    const to = world.server(3);
    const c = customerOf(lost);
    const www = lost.webRootOnDisk(c.id);
    // The drills' bulk is not what this drill is about: a small newest snapshot restores fast.
    await rm(join(www, 'drill'), { recursive: true, force: true });
    // Owners, modes and times as a hosting account has them: the customer's, the web server's
    // (uploads), root's (a configuration the customer may only read), old and odd timestamps.
    const uid = 2000 + lost.index;
    const files: [string, string | null, number, number, number, Date][] = [
      // path, content (null: a directory), mode, uid, gid, mtime
      ['varied', null, 0o755, uid, uid, new Date('2021-06-01T10:00:00.250Z')],
      ['varied/readme.txt', 'hello\n', 0o644, uid, uid, new Date('2020-01-02T03:04:05.123Z')],
      ['varied/deploy.sh', '#!/bin/sh\necho deploy\n', 0o750, uid, uid, new Date('2019-12-31T23:59:59Z')],
      ['varied/settings.conf', 'db=shop\n', 0o640, 0, uid, new Date('2024-02-29T12:00:00.999Z')],
      ['varied/uploads', null, 0o2770, 33, uid, new Date('2022-03-04T05:06:07Z')],
      ['varied/uploads/photo.bin', randomBytes(300_000).toString('latin1'), 0o600, 33, 33, new Date('2023-07-08T09:10:11.5Z')],
      ['varied/empty', '', 0o444, uid, 33, new Date('2001-09-09T01:46:40Z')],
    ]; // prettier-ignore
    for (const [path, content] of files) {
      const full = join(www, path);
      if (content === null) await mkdir(full, { recursive: true });
      else await writeFile(full, Buffer.from(content, 'latin1'));
    }
    await symlink('readme.txt', join(www, 'varied/latest'));
    await lchown(join(www, 'varied/latest'), uid, uid);
    // Deepest first, so a directory's time is not moved by what is made in it afterwards.
    for (const [path, , mode, owner, group, mtime] of [...files].reverse()) {
      const full = join(www, path);
      await chown(full, owner, group);
      await chmod(full, mode);
      await utimes(full, mtime, mtime);
    }
    await world.mariadb.sql(
      `INSERT INTO orders (product, note, at) VALUES (2, 'the last order before the loss', NOW());
       UPDATE products SET price = 9.99 WHERE id = 3;`,
      c.database,
    );
    const checksums = await world.mariadb.checksums(c.database);
    assert.deepEqual(Object.keys(checksums), [`${c.database}.orders`, `${c.database}.products`]);

    const backup = await finished(lost, await runNow(lost));
    assert.equal(backup.status, 'successful', `${backup.error}\n${backup.log}`);
    ranOnce(lost, backup.id);
    const snapshot = await tree(www);
    assert.ok(snapshot.size >= files.length + 2, [...snapshot.keys()].join(' '));

    // The server is lost: its agent, its network, its disk and the databases on it.
    await lost.destroy();
    await world.mariadb.sql(`DROP DATABASE ${c.database}`);
    // The provider deletes it in the admin area (its key may never come back), and its panel
    // makes the customer's account on server 3, without the files; hostvault brings them back.
    const deleted = await api('DELETE', `/api/admin/servers/${lost.id}`);
    assert.equal(deleted.state, 'revoked', JSON.stringify(deleted));
    const home = dirname(to.webRootOnDisk(c.id));
    await mkdir(to.webRootOnDisk(c.id), { recursive: true });
    await chown(home, uid, uid);
    await chown(to.webRootOnDisk(c.id), uid, uid);
    const report = (await api('POST', `/api/admin/servers/${lost.id}/recover`, {
      to: to.id,
    })) as {
      from: string;
      to: string;
      customers: {
        customer: string;
        status: string;
        restores: { jobId: number; snapshotId: string; what: string }[];
        failed: unknown[];
      }[];
    };
    log(`recovery report: ${JSON.stringify(report)}`);
    assert.equal(report.from, lost.id);
    assert.equal(report.to, to.id);
    assert.deepEqual(
      report.customers.map((x) => [x.customer, x.status, x.failed]),
      [[c.id, 'queued', []]],
    );
    const [recovery] = report.customers;
    // The newest snapshot is a Full one holding everything: one restore of everything from it.
    assert.deepEqual(
      recovery!.restores.map((r) => [
        r.what,
        backup.snapshotId?.startsWith(r.snapshotId.slice(0, 8)),
      ]),
      [['everything', true]],
    );
    for (const r of recovery!.restores) {
      const j = await finished(to, r.jobId);
      assert.equal(j.status, 'successful', `${j.error}\n${j.log}`);
      ranOnce(to, r.jobId);
    }
    // On server 3's own disk, as the snapshot holds them.
    assert.deepEqual(await tree(to.webRootOnDisk(c.id)), snapshot);
    assert.deepEqual(await world.mariadb.checksums(c.database), checksums);
    const [[lastOrder] = []] = await world.mariadb.sql(
      'SELECT note FROM orders ORDER BY id DESC LIMIT 1',
      c.database,
    );
    assert.equal(lastOrder, 'the last order before the loss');
    // The customer lives on server 3 now: its next backup runs there, into the same repository.
    await nextRunSucceeds(lost, to);
  });
});
