// Fleet drills on a fleet of network namespaces (test/support/fleet-world.ts): three hosting
// servers web1..web3, each with its agent (enrolled with a one-time token) in its own namespace
// and hosting root, and one control plane of two controllers on one PostgreSQL database (sharing
// the planner lease) serving all three through the fleet's routing, over nats-server with TLS and
// per-server permissions. Each server's customer has files and a MariaDB database (the world's
// mariadbd, reached over the server's veth) and backs up scope Full to the S3 test server.
// Everything is driven over HTTP like a user. Each drill ends with a clear job state, the agent's
// log showing the job started once, `restic check` clean and the next run succeeding; the last
// one loses server 2 and recovers its customer onto server 3, files equal to the snapshot in
// content, owner, mode and mtime, the database equal by CHECKSUM TABLE.
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
import {
  FLEET_DATABASE,
  FleetWorld,
  type Controller,
  type FleetServer,
} from '../support/fleet-world.js';
import { ADMIN_PASSWORD } from '../support/service-process.js';

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
    const own = repositories.filter((r) => r.url.includes(`/${customerOf(s).prefix}`));
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
    world = await FleetWorld.start({ servers: 3, controllers: 2, log });
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
