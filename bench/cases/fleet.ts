/**
 * The fleet at scale (issue 12): a real `hostvault controller` on PostgreSQL, a real nats-server
 * (JetStream, TLS, the fleet's per-server permissions) and 50 lightweight simulated agents: each
 * the real AgentServer (src/fleet/agent-server.ts) on its own NATS connection with its own
 * server's identity, over a HostAgent whose backup only records when it was called, i.e. when
 * restic would have started, and answers the job as failed (no repository is touched).
 *
 * - Run now → restic started on the right agent: POST /api/schedules/:id/run of a random
 *   customer's schedule until that customer's server's agent is called; target p99 ≤ 1 s.
 * - API with the store's history at 1,000,000 jobs (seeded set-based, INSERT … SELECT
 *   generate_series): History page and active tasks, 50 clients; targets ≥ 1,000 req/s, p99 ≤ 50
 *   ms. The plans of the queries behind them are printed (EXPLAIN): a sequential scan says an
 *   index is missing.
 * - The controller's RSS under that load (peak, VmHWM); target ≤ 300 MB.
 *
 * The controller runs in a child process (this module with `--controller`), so its memory is its
 * own and the load generator does not share its event loop; the agents and the load generator
 * share this process. The store is a database of its own (hvbench_fleet_<random>) on the
 * PostgreSQL at HOSTVAULT_BENCH_DATABASE_URL, else the local socket as root; it is dropped at the
 * end. Without an answering PostgreSQL the case reports nothing.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { HostAgent } from '../../src/agent/agent.js';
import { AgentError } from '../../src/agent/errors.js';
import { AgentServer } from '../../src/fleet/agent-server.js';
import { NatsAgent } from '../../src/fleet/nats-agent.js';
import { startNatsServer, type NatsTestServer } from '../../test/support/nats-server.js';
import { median, waitForQuiet, type Sample, type StandaloneCase } from '../harness.js';
import { fetchJson, load } from './api.js';

const SERVERS = 50;
const CUSTOMERS_PER_SERVER = 4;
const ACTIVE = 20;
const SELF = fileURLToPath(import.meta.url);
const ADMIN_URL =
  process.env.HOSTVAULT_BENCH_DATABASE_URL ??
  'postgresql://root@localhost/postgres?host=/var/run/postgresql';
const MB = 1e6;

const serverId = (i: number): string => `web${String(i + 1).padStart(2, '0')}`;

/** What the controller child prints once it is up and seeded. */
interface ControllerReady {
  url: string;
  adminToken: string;
  customerCookie: string;
  schedules: { id: number; customer: string; server: string }[];
}

/** A HostAgent that runs nothing: its backup notes the moment restic would start. */
function simulatedAgent(
  server: string,
  started: (jobId: number, server: string) => void,
): HostAgent {
  const none = (): never => {
    throw new AgentError({ code: 'failed', message: 'A simulated agent does not do this.' });
  };
  return {
    backup: (request) => {
      started(request.jobId, server);
      return Promise.reject(
        new AgentError({ code: 'failed', message: 'Simulated agent: restic was not run.' }),
      );
    },
    maintain: async () => none(),
    forget: async () => none(),
    restore: async () => none(),
    drill: async () => none(),
    restorePreview: async () => none(),
    testConnection: async () => none(),
    browse: {
      open: async () => none(),
      list: async () => none(),
      stat: async () => none(),
      search: async () => none(),
    },
    download: async () => none(),
    sweepCertificates: async () => ({ removed: [] }),
    recover: async () => ({ notes: [], log: [] }),
    facts: async () => none(),
  };
}

export const fleet: StandaloneCase = {
  name: 'fleet',
  standalone: true,
  async run(ctx) {
    const database = `hvbench_fleet_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    try {
      await admin.connect();
    } catch (error) {
      ctx.log(`fleet: no PostgreSQL at ${ADMIN_URL} (${String(error)}); case skipped`);
      return [];
    }
    const work = join(ctx.workDir, `fleet-${ctx.round}`);
    mkdirSync(work, { recursive: true });
    let nats: NatsTestServer | undefined;
    let controller: ControllerChild | undefined;
    const agents: AgentServer[] = [];
    const connections: { close(): Promise<void> }[] = [];
    let closeStore: (() => Promise<void>) | undefined;
    try {
      await admin.query(`create database ${database}`);
      const dbUrl = new URL(ADMIN_URL);
      dbUrl.pathname = `/${database}`;
      const servers = Array.from({ length: SERVERS }, (_, i) => serverId(i));
      const t0 = performance.now();
      nats = await startNatsServer({ servers });
      ctx.log(
        `fleet: nats-server with ${SERVERS} server identities in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      controller = await startControllerChild(nats, dbUrl.toString(), work, servers);
      const ready = controller.ready;
      ctx.log(
        `fleet: controller on PostgreSQL (${database}) with ${ready.schedules.length} customers on ${SERVERS} servers`,
      );

      // Each server's queue, as a controller makes them at its start for every enrolled server
      // (these are configured in nats-server, not enrolled through the controller's store).
      const setup = await nats.connect('controller');
      connections.push(setup);
      for (const server of servers)
        await new NatsAgent(setup, { serverId: server }).ensureStreams();

      // The agents: each on its own connection, as its own server.
      const startedAt = new Map<number, { at: number; server: string }>();
      const waiting = new Map<number, () => void>();
      const started = (jobId: number, server: string): void => {
        startedAt.set(jobId, { at: performance.now(), server });
        waiting.get(jobId)?.();
      };
      for (const server of servers) {
        const nc = await nats.connect(server);
        connections.push(nc);
        const dataDir = join(work, `agent-${server}`);
        mkdirSync(dataDir, { recursive: true });
        agents.push(
          await AgentServer.start({
            nc,
            serverId: server,
            agent: simulatedAgent(server, started),
            dataDir,
          }),
        );
      }

      const auth = { authorization: `Bearer ${ready.adminToken}` };
      const http = new Agent({ keepAlive: true, maxSockets: 8 });
      let wrong = 0;
      const runNow = async (s: ControllerReady['schedules'][number]): Promise<number> => {
        const before = performance.now();
        const answer = (await post(`${ready.url}/api/schedules/${s.id}/run`, auth, http)) as {
          jobId: number;
          alreadyRunning: boolean;
        };
        if (answer.alreadyRunning) return NaN;
        const jobId = answer.jobId;
        if (!startedAt.has(jobId))
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`job ${jobId} of ${s.customer} never reached its agent`)),
              120_000,
            );
            waiting.set(jobId, () => {
              clearTimeout(timer);
              resolve();
            });
          });
        waiting.delete(jobId);
        const start = startedAt.get(jobId)!;
        if (start.server !== s.server) wrong++;
        return start.at - before;
      };

      // Warm-up: every server's first job makes its queue's consumer, which its agent waits for.
      const first = new Map<string, ControllerReady['schedules'][number]>();
      for (const s of ready.schedules) if (!first.has(s.server)) first.set(s.server, s);
      const warm = performance.now();
      await Promise.all([...first.values()].map((s) => runNow(s)));
      ctx.log(
        `fleet: warm-up, one Run now per server, ${((performance.now() - warm) / 1000).toFixed(1)} s`,
      );

      const samples: Sample[] = [];
      const runNowSamples = ctx.apiSeconds >= 5 ? 500 : 200;
      const ms: number[] = [];
      let skipped = 0;
      await waitForQuiet(ctx);
      const rss = watchRss(controller.pid);
      for (let i = 0; i < runNowSamples; i++) {
        const s = ready.schedules[Math.floor(Math.random() * ready.schedules.length)]!;
        const took = await runNow(s);
        if (Number.isNaN(took)) skipped++;
        else ms.push(took);
      }
      if (wrong) throw new Error(`${wrong} Run now jobs started on another server's agent`);
      ms.sort((a, b) => a - b);
      const q = (p: number) => ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)]!;
      ctx.log(
        `fleet: Run now → agent called: p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, ` +
          `max ${ms.at(-1)!.toFixed(1)} ms (${ms.length} runs, ${skipped} already running)`,
      );
      samples.push({
        case: `fleet: Run now → restic started on its agent, p99, ${SERVERS} agents`,
        measured: q(0.99) / 1000,
        unit: 's',
        target: { on: 'measured', op: '<=', value: 1 },
        notes:
          `POST /api/schedules/:id/run of a random customer of ${ready.schedules.length} until its ` +
          `server's agent (AgentServer over a simulated HostAgent) is asked to back up; ` +
          `${ms.length} runs one after another, every one on the right agent; p50 ` +
          `${q(0.5).toFixed(1)} ms, max ${ms.at(-1)!.toFixed(1)} ms`,
      });

      // The history: ctx.fleetJobs jobs of the inventory's customers, ACTIVE running ones.
      const store = new pg.Client({ connectionString: dbUrl.toString() });
      await store.connect();
      try {
        const seeded = performance.now();
        await seedJobs(store, ctx.fleetJobs, [...new Set(ready.schedules.map((s) => s.customer))]);
        ctx.log(
          `fleet: seeded ${ctx.fleetJobs.toLocaleString('en')} jobs in ${((performance.now() - seeded) / 1000).toFixed(1)} s`,
        );
        for (const line of await plans(store, ready.schedules[0]!.customer)) ctx.log(line);
      } catch (error) {
        await store.end();
        throw error;
      }
      // As in the api case, a running job reports progress every second while clients poll
      // (the agents' presence, recorded by the controller, writes too).
      let tick = 0;
      const progress = setInterval(() => {
        tick++;
        void store
          .query(
            `update jobs set progress = $1 where id = (select max(id) from jobs where status = 'running')`,
            [
              JSON.stringify({
                percent: tick % 100,
                bytesDone: tick * 1e6,
                bytesTotal: 1e9,
                filesDone: tick,
                filesTotal: 1000,
                currentFile: `/srv/www/${tick}.jpg`,
              }),
            ],
          )
          .catch(() => undefined);
      }, 1000);
      closeStore = async () => {
        clearInterval(progress);
        await store.end();
      };
      const customer = { cookie: ready.customerCookie };
      const jobs = ctx.fleetJobs.toLocaleString('en');
      const endpoints = [
        { name: `history page, admin, first of ${jobs}`, path: '/api/jobs?limit=50', h: auth },
        {
          name: 'history page, admin, offset 5,000',
          path: '/api/jobs?limit=50&offset=5000',
          h: auth,
        },
        { name: 'history page, customer session', path: '/api/jobs?limit=50', h: customer },
        { name: `active tasks, admin, ${ACTIVE} active`, path: '/api/tasks/active', h: auth },
      ];
      for (const e of endpoints) {
        const body = (await fetchJson(ready.url + e.path, e.h)) as {
          jobs?: unknown[];
          tasks?: unknown[];
        };
        const n = body.jobs?.length ?? body.tasks?.length ?? 0;
        if (n === 0) throw new Error(`${e.path} answered ${JSON.stringify(body).slice(0, 300)}`);
      }
      // As the api case: warm every endpoint first.
      for (const e of endpoints)
        await load(ready.url + e.path, e.h, Math.max(0.5, ctx.apiSeconds / 4));
      for (const e of endpoints) {
        await waitForQuiet(ctx);
        const r = await load(ready.url + e.path, e.h, ctx.apiSeconds);
        if (r.errors > 0) throw new Error(`${e.path}: ${r.errors} of ${r.count} failed`);
        ctx.log(
          `fleet API ${e.name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms (${r.count} requests)`,
        );
        const notes = `GET ${e.path} on the controller, PostgreSQL, ${jobs} jobs, 50 clients, ${ctx.apiSeconds} s`;
        samples.push(
          {
            case: `fleet API ${e.name}: throughput`,
            measured: r.rps,
            unit: 'req/s',
            target: { on: 'measured', op: '>=', value: 1000 },
            notes,
          },
          {
            case: `fleet API ${e.name}: p99`,
            measured: r.p99,
            unit: 'ms',
            target: { on: 'measured', op: '<=', value: 50 },
            notes: `p50 ${r.p50.toFixed(1)} ms`,
          },
        );
      }
      const memory = rss();
      ctx.log(
        `fleet: controller RSS peak ${(memory.peak / MB).toFixed(0)} MB under Run now and API load ` +
          `(VmHWM over its life ${(memory.hwm / MB).toFixed(0)} MB, median ${(memory.median / MB).toFixed(0)} MB)`,
      );
      samples.push({
        case: 'fleet: controller RSS under Run now and API load, peak',
        measured: memory.hwm / MB,
        unit: 'MB',
        target: { on: 'measured', op: '<=', value: 300 },
        notes:
          `VmHWM of the controller process (tsx from the sources) at the end: ${SERVERS} agents, ` +
          `${ready.schedules.length} customers, ${jobs} jobs, the Run now and API load above; ` +
          `sampled during the load: peak ${(memory.peak / MB).toFixed(0)} MB, median ${(memory.median / MB).toFixed(0)} MB`,
      });
      http.destroy();
      return samples;
    } finally {
      await closeStore?.().catch(() => undefined);
      for (const a of agents) await a.stop().catch(() => undefined);
      for (const nc of connections) await nc.close().catch(() => undefined);
      await controller?.stop();
      await nats?.stop();
      await admin
        .query(`drop database if exists ${database} with (force)`)
        .catch((e: unknown) => ctx.log(`fleet: could not drop database ${database}: ${String(e)}`));
      await admin.end();
      rmSync(work, { recursive: true, force: true });
    }
  },
};

/** Finished jobs of the given customers, oldest first, and ACTIVE running ones of others. */
async function seedJobs(db: pg.Client, count: number, customers: string[]): Promise<void> {
  // Set-based: one statement makes the rows, as a year of a fleet's history would look.
  await db.query(
    `insert into jobs (type, status, schedule_id, customer_id, schedule_name, scope, trigger,
       params, created_at, started_at, finished_at, progress, log, error, snapshot_id,
       bytes_added, bytes_processed, stats, slot)
     select case when i % 50 = 0 then 'maintenance' else 'backup' end,
            case when i % 17 = 0 then 'failed' else 'successful' end,
            null, ($2::text[])[1 + i % array_length($2::text[], 1)], 'Schedule ' || (i % 300),
            'full', 'schedule', null, t, t, to_char(ts + interval '95 seconds', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            null, repeat(E'10:00:00 Backup started\\n', 40),
            case when i % 17 = 0 then 'Not enough disk space: needs about 2 GB, 1 GB free' end,
            case when i % 17 <> 0 then md5(i::text) || md5((i + 1)::text) end,
            1000000 + i, 50000000 + i, null, null
     from generate_series(1, $1::int) as i,
          lateral (select timestamp '2020-01-01' + i * interval '1 minute' as ts) as a,
          lateral (select to_char(a.ts, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as t) as b`,
    [count, customers],
  );
  // Running jobs of customers no schedule here belongs to, so Run now is never refused for them.
  const progress = JSON.stringify({
    percent: 40,
    bytesDone: 4e8,
    bytesTotal: 1e9,
    filesDone: 400,
    filesTotal: 1000,
    currentFile: '/srv/www/index.php',
  });
  await db.query(
    `insert into jobs (type, status, customer_id, schedule_name, scope, trigger, created_at,
       started_at, progress)
     select 'backup', 'running', 'busy' || i, 'Nightly', 'full', 'schedule', $2, $2, $3
     from generate_series(1, $1::int) as i`,
    [ACTIVE, new Date().toISOString(), progress],
  );
  await db.query('analyze jobs');
}

/** The plans of the queries behind the measured endpoints: does any scan the whole table? */
async function plans(db: pg.Client, customer: string): Promise<string[]> {
  // The customer id is one of ours ([a-z0-9-]), written in: EXPLAIN takes no parameters.
  const queries: [string, string][] = [
    ['history page', 'select * from jobs order by created_at desc, id desc limit 50 offset 5000'],
    ['history total', 'select count(*) from jobs'],
    [
      'customer history page',
      `select * from jobs where customer_id = '${customer}' order by created_at desc, id desc limit 50`,
    ],
    ['customer history total', `select count(*) from jobs where customer_id = '${customer}'`],
    ['active tasks', "select * from jobs where status in ('pending', 'running') order by id"],
  ];
  const lines: string[] = [];
  for (const [name, query] of queries) {
    const { rows } = await db.query<{ 'QUERY PLAN': string }>(`explain ${query}`);
    const plan = rows.map((r) => r['QUERY PLAN']);
    const scans = plan
      .filter((l) => /Scan/.test(l))
      .map((l) => l.trim().replace(/\s+\(cost.*$/, ''));
    lines.push(`fleet: plan of ${name}: ${scans.join('; ')}`);
  }
  return lines;
}

function watchRss(pid: number): () => { peak: number; median: number; hwm: number } {
  const seen: number[] = [];
  const read = (field: string): number => {
    try {
      const kb = new RegExp(`${field}:\\s*(\\d+)`).exec(
        readFileSync(`/proc/${pid}/status`, 'utf8'),
      )?.[1];
      return kb ? Number(kb) * 1024 : 0;
    } catch {
      return 0;
    }
  };
  const timer = setInterval(() => seen.push(read('VmRSS')), 200);
  return () => {
    clearInterval(timer);
    seen.push(read('VmRSS'));
    return { peak: Math.max(...seen), median: median(seen), hwm: read('VmHWM') };
  };
}

function post(url: string, headers: Record<string, string>, agent: Agent): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (s: string) => (text += s));
      response.on('end', () =>
        response.statusCode === 200 || response.statusCode === 202
          ? resolve(JSON.parse(text) as unknown)
          : reject(new Error(`POST ${url}: ${response.statusCode} ${text}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

interface ControllerChild {
  pid: number;
  ready: ControllerReady;
  stop(): Promise<void>;
}

async function startControllerChild(
  nats: NatsTestServer,
  databaseUrl: string,
  work: string,
  servers: string[],
): Promise<ControllerChild> {
  const id = nats.identity('controller');
  const seedFile = join(work, 'controller.seed');
  writeFileSync(seedFile, new TextDecoder().decode(id.seed), { mode: 0o600 });
  const args = JSON.stringify({ work, servers });
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [...process.execArgv, SELF, '--controller', args],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        HOSTVAULT_DATA_DIR: join(work, 'controller'),
        HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
        HOSTVAULT_DATABASE_URL: databaseUrl,
        HOSTVAULT_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
        HOSTVAULT_NATS_URL: nats.url,
        HOSTVAULT_NATS_CA: nats.caFile,
        HOSTVAULT_NATS_CERT: id.certFile,
        HOSTVAULT_NATS_KEY: id.keyFile,
        HOSTVAULT_NATS_SEED_FILE: seedFile,
      },
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<ControllerReady>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      // Whole lines only: the READY line may arrive in several chunks.
      const line = out
        .split('\n')
        .slice(0, -1)
        .find((l) => l.startsWith('READY '));
      if (line) resolve(JSON.parse(line.slice(6)) as ControllerReady);
    });
    child.once('exit', (code) => reject(new Error(`controller exited with ${code}: ${stderr}`)));
  });
  return {
    pid: child.pid!,
    ready,
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The child: `hostvault controller` as src/cli.ts starts it, then the fleet's inventory. */
async function controllerMain(argsJson: string): Promise<void> {
  const { work, servers } = JSON.parse(argsJson) as { work: string; servers: string[] };
  const { loadConfig } = await import('../../src/config.js');
  const { startController } = await import('../../src/controller.js');
  const { AuthService } = await import('../../src/auth/index.js');
  const config = { ...loadConfig(process.env), listen: { host: '127.0.0.1', port: 0 } };
  // Its log goes to stderr, whose tail the bench shows if the controller fails.
  const service = await startController(config, {
    log: (line) => void process.stderr.write(`${line}\n`),
  });
  const customers = servers.flatMap((server, s) =>
    Array.from({ length: CUSTOMERS_PER_SERVER }, (_, k) => {
      const id = `c${server}-${k}`;
      const webRoot = join(work, 'home', id, 'www');
      mkdirSync(webRoot, { recursive: true });
      const uid = 3000 + s * CUSTOMERS_PER_SERVER + k;
      return {
        id,
        server,
        name: id,
        linuxUser: id,
        uid,
        gid: uid,
        packageId: 'basic',
        webRoot,
      };
    }),
  );
  await service.app.inventory.importInventory({
    packages: [
      { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 10, maxSchedules: 5 },
    ],
    customers,
  });
  const schedules: ControllerReady['schedules'] = [];
  for (const c of customers) {
    const view = await service.app.schedules.create({ role: 'admin' }, c.id, {
      name: 'Nightly web',
      scope: 'web',
      frequency: 'daily',
      retention: 10,
      target: { kind: 'local', path: join(work, 'repos') },
    });
    schedules.push({ id: view.id, customer: c.id, server: c.server });
  }
  const auth = new AuthService({ store: service.app.store, masterKey: service.app.masterKey });
  const { token } = await auth.createApiToken({ name: 'bench', role: 'admin' });
  const session = await auth.createSession({
    role: 'customer',
    customerId: customers[0]!.id,
    userId: null,
    username: null,
  });
  const ready: ControllerReady = {
    url: service.url,
    adminToken: token,
    customerCookie: `hostvault_session=${session.token}`,
    schedules,
  };
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void service.stop().then(() => process.exit(0)));
}

if (process.argv[1] === SELF && process.argv[2] === '--controller')
  await controllerMain(process.argv[3] ?? '{}');
