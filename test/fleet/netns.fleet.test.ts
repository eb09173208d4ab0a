// Fleet drills on a fleet of network namespaces (test/support/fleet-world.ts): three hosting
// servers web1..web3, each with its agent in its own namespace and hosting root, its controller(s)
// on the world's PostgreSQL (web1 has two, sharing one database and the planner lease), over
// nats-server with TLS and per-server permissions, backing up to the S3 test server. Everything is
// driven over HTTP like a user. Each drill ends with a clear job state, the agent's log showing
// the job started once, `restic check` clean and the next run succeeding.
//
// Needs root (network namespaces): run by `npm run test:fleet` (scripts/test-fleet.sh), not by
// scripts/test-files.sh's `all` (named *.fleet.test.ts, which it leaves out).
//   node --import tsx --test --test-reporter=spec test/fleet/netns.fleet.test.ts
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { FleetWorld, type Controller, type FleetServer } from '../support/fleet-world.js';
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

const log = (line: string) => console.log(`# ${new Date().toISOString().slice(11, 19)} ${line}`);

describe('fleet drills on network namespaces', { timeout: 600_000 }, () => {
  let world: FleetWorld;
  /** Per server: the customer, its schedule and an admin session on a live controller. */
  const customers = new Map<number, { id: string; scheduleId: number; api: Api }>();

  const customerOf = (s: FleetServer) => customers.get(s.index)!;

  async function api(s: FleetServer): Promise<Api> {
    return customerOf(s).api;
  }

  async function job(s: FleetServer, id: number): Promise<Job> {
    return (await api(s))('GET', `/api/jobs/${id}`) as Promise<Job>;
  }

  async function finished(s: FleetServer, id: number, timeoutMs = 180_000): Promise<Job> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const j = await job(s, id).catch(() => undefined);
      if (j && TERMINAL.includes(j.status)) return j;
      if (Date.now() > deadline)
        throw new Error(
          `job ${id} on ${s.id} did not end: ${JSON.stringify(j)}\n` +
            s.controllers
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
    const answer = (await c.api('POST', `/api/schedules/${c.scheduleId}/run`)) as { jobId: number };
    assert.ok(answer.jobId, JSON.stringify(answer));
    return answer.jobId;
  }

  async function freshData(s: FleetServer, name: string): Promise<void> {
    const dir = join(s.webRoot(customerOf(s).id), 'drill', name);
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

  /** `restic check` of the customer's repository on S3, with the key file the admin area gives. */
  async function resticCheck(s: FleetServer): Promise<void> {
    const c = s.controllers.find((x) => x.running)!;
    const cookie = await adminCookie(c);
    const { repositories } = (await (
      await fetch(`${c.url}/api/admin/repositories`, { headers: { cookie } })
    ).json()) as { repositories: { id: number; url: string }[] };
    assert.ok(repositories.length > 0);
    for (const repo of repositories) {
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
  async function nextRunSucceeds(s: FleetServer): Promise<void> {
    const again = await finished(s, await runNow(s));
    assert.equal(again.status, 'successful', `${again.error}\n${again.log}`);
    ranOnce(s, again.id);
    // Nothing lost: the run's snapshot is recorded and listed for its schedule.
    const c = customerOf(s);
    const { snapshots } = (await c.api('GET', `/api/schedules/${c.scheduleId}/snapshots`)) as {
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
    world = await FleetWorld.start({ controllers: [2, 1, 1], log });
    // The drills back up the web scope only: a database scope would need a MariaDB the agents
    // reach over veth (a mariadbd of the world's own on the bridge address), not built yet; the
    // drills are about the transport, the store and the processes, which the scope does not change.
    log('database scope not drilled: the world has no MariaDB of its own yet (web scope only)');
    for (const s of world.servers) {
      const customerId = `${s.id}-alice`;
      const www = s.webRoot(customerId);
      await mkdir(www, { recursive: true });
      await writeFile(join(www, 'index.php'), `<?php echo "${s.id}";`);
      const a = await s.controllers[0]!.admin();
      const imported = await a('POST', '/api/admin/inventory/import', {
        packages: [
          { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 10, maxSchedules: 5 },
        ],
        customers: [
          {
            id: customerId,
            name: 'Alice',
            linuxUser: customerId,
            uid: 2000,
            gid: 2000,
            packageId: 'basic',
            webRoot: www,
          },
        ],
      });
      assert.ok(!imported.error, JSON.stringify(imported));
      const schedule = await a('POST', '/api/admin/schedules', {
        mode: 'single',
        customerId,
        name: 'Drill',
        scope: 'web',
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
      customers.set(s.index, { id: customerId, scheduleId: schedule.id, api: a });
    }
    // A first backup on every server: repositories exist, the drills start from a known state.
    const first = await Promise.all(world.servers.map(async (s) => finished(s, await runNow(s))));
    for (const j of first) assert.equal(j.status, 'successful', `${j.error}\n${j.log}`);
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
    const dir = join(s.webRoot(c.id), 'drill', 'kill-backup');
    const before = await digests(dir);
    assert.ok(before.size > 0);
    const { snapshots } = (await c.api('GET', `/api/schedules/${c.scheduleId}/snapshots`)) as {
      snapshots: { id: string; repositoryId: number }[];
    };
    const snapshot = snapshots[0]!;
    const restore = async () => {
      const answer = (await c.api(
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
      const rows = await world.pg.query('hv_web1', 'select holder, expires_at from planner_leases');
      return rows.find(([, expires]) => Date.parse(expires!) > Date.now())?.[0];
    };
    const lead = await waitFor('a planner lease holder', holder);
    const leader = s.controllers.find((x) => lead.split(':')[1] === String(x.pid));
    assert.ok(leader, `lease holder ${lead} is one of web1's controllers`);
    const other = s.controllers.find((x) => x !== leader)!;
    // The customer's session is on the leader: a job under way through it when it dies.
    const c = customerOf(s);
    c.api = await leader.admin();
    await freshData(s, 'leader-killed');
    const id = await runNow(s);
    await underWay(s, id);
    // Whichever controller's worker claimed the job owns it (migration 0016): usually the leader.
    const [[owner] = []] = await world.pg.query(
      'hv_web1',
      `select owner from jobs where id = ${id}`,
    );
    const leaderRanIt = owner?.split('-').at(-2) === String(leader.pid);
    const killedAt = Date.now();
    const otherLogFrom = other.output.length;
    await leader.kill('SIGKILL');
    c.api = await other.admin();
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
});
