/**
 * API under load: the two endpoints the web page polls most, the History tab's page of jobs and
 * the banner's active tasks, with 10,000 jobs of 100 customers in a file store (WAL,
 * synchronous=FULL, as the service opens it). Target: at least 1,000 requests/s with p99 at
 * most 50 ms for 50 concurrent clients.
 *
 * The server runs in a child process (this module with `--serve`), so the load generator does
 * not share its event loop; 50 clients send requests back to back over keep-alive connections.
 * The store is seeded once per run; each round starts a fresh server and, per endpoint, warms it
 * up before measuring.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { storeHealth, storeJobMetrics } from '../../src/api/store-adapters.js';
import { buildServer } from '../../src/api/server.js';
import { AuthService } from '../../src/auth/index.js';
import { InventoryService } from '../../src/inventory/inventory-service.js';
import { JobStore } from '../../src/job/job-store.js';
import { openStore, type JobStatus } from '../../src/store/index.js';
import {
  waitForQuiet,
  type StandaloneCase,
  type StandaloneContext,
  type Sample,
} from '../harness.js';

const JOBS = 10_000;
const CUSTOMERS = 100;
const ACTIVE = 20;
const CLIENTS = 50;
const SELF = fileURLToPath(import.meta.url);
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

interface Seeded {
  file: string;
  admin: Record<string, string>;
  customer: Record<string, string>;
}

/** Seeding takes a few seconds: once per run, in the run's work directory. */
let seeded: Promise<Seeded> | undefined;

interface Endpoint {
  name: string;
  path: string;
  who: 'admin' | 'customer';
  /** What a correct answer holds, checked once per round before the load. */
  check: (body: unknown) => boolean;
}

const ENDPOINTS: Endpoint[] = [
  {
    name: `history page, admin, first of ${JOBS.toLocaleString('en')} jobs`,
    path: '/api/jobs?limit=50',
    who: 'admin',
    check: (b) => page(b).jobs.length === 50 && page(b).total === JOBS,
  },
  {
    name: 'history page, admin, offset 5,000',
    path: '/api/jobs?limit=50&offset=5000',
    who: 'admin',
    check: (b) => page(b).jobs.length === 50 && page(b).total === JOBS,
  },
  {
    name: `history page, customer session, ${JOBS / CUSTOMERS} jobs`,
    path: '/api/jobs?limit=50',
    who: 'customer',
    check: (b) => page(b).jobs.length === 50 && page(b).total === JOBS / CUSTOMERS,
  },
  {
    name: `active tasks, admin, ${ACTIVE} active`,
    path: '/api/tasks/active',
    who: 'admin',
    check: (b) => (b as { tasks: unknown[] }).tasks.length === ACTIVE,
  },
  {
    name: 'active tasks, customer session',
    path: '/api/tasks/active',
    who: 'customer',
    check: (b) => (b as { tasks: unknown[] }).tasks.length > 0,
  },
];

const page = (body: unknown) => body as { jobs: unknown[]; total: number };

export const api: StandaloneCase = {
  name: 'api',
  standalone: true,
  async run(ctx) {
    seeded ??= seed(ctx);
    const { file, admin, customer } = await seeded;
    const server = await startServer(file);
    ctx.defer(() => server.stop());
    // A running job reports progress every second, as the worker's do, from another connection:
    // the answers every client polls change while they poll.
    const writer = await openStore({ file });
    const jobs = new JobStore(writer);
    let tick = 0;
    const progress = setInterval(() => {
      tick++;
      void jobs.saveProgress(JOBS, {
        percent: tick % 100,
        bytesDone: tick * 1e6,
        bytesTotal: 1e9,
        filesDone: tick,
        filesTotal: 1000,
        currentFile: `/srv/www/wp-content/uploads/${tick}.jpg`,
      });
    }, 1000);
    ctx.defer(async () => {
      clearInterval(progress);
      await writer.close();
    });
    const seconds = ctx.apiSeconds;
    const samples: Sample[] = [];
    const headersOf = (e: Endpoint) => (e.who === 'admin' ? admin : customer);
    for (const endpoint of ENDPOINTS) {
      const body = await fetchJson(server.base + endpoint.path, headersOf(endpoint));
      if (!endpoint.check(body))
        throw new Error(`${endpoint.path} as ${endpoint.who} answered ${JSON.stringify(body)}`);
    }
    // A new server compiles its hot paths during the first seconds of load: warm every endpoint
    // first, or the first one measured pays for all of them.
    for (const endpoint of ENDPOINTS)
      await load(server.base + endpoint.path, headersOf(endpoint), Math.max(0.5, seconds / 4));
    for (const endpoint of ENDPOINTS) {
      const url = server.base + endpoint.path;
      const headers = headersOf(endpoint);
      await waitForQuiet(ctx);
      await load(url, headers, 0.5);
      const cpuBefore = server.cpu();
      const r = await load(url, headers, seconds);
      const cpuMs = ((server.cpu() - cpuBefore) * 1000) / r.count;
      if (r.errors > 0) throw new Error(`${endpoint.path}: ${r.errors} of ${r.count} failed`);
      ctx.log(
        `api ${endpoint.name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(1)} ms, ` +
          `p99 ${r.p99.toFixed(1)} ms (${r.count} requests, server CPU ${cpuMs.toFixed(2)} ms each)`,
      );
      const name = `API ${endpoint.name}`;
      // CPU per request moves far less with other load on the machine than requests/s.
      const notes =
        `GET ${endpoint.path}, ${CLIENTS} clients, ${seconds} s, a running job's progress written ` +
        `every second; server CPU ${cpuMs.toFixed(2)} ms/request`;
      samples.push(
        {
          case: `${name}: throughput`,
          measured: r.rps,
          unit: 'req/s',
          target: { on: 'measured', op: '>=', value: 1000 },
          notes,
        },
        {
          case: `${name}: p99`,
          measured: r.p99,
          unit: 'ms',
          target: { on: 'measured', op: '<=', value: 50 },
        },
        { case: `${name}: p50`, measured: r.p50, unit: 'ms', notes: 'informational' },
      );
    }
    return samples;
  },
};

async function seed(ctx: StandaloneContext): Promise<Seeded> {
  const started = performance.now();
  const dir = join(ctx.workDir, 'api');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'store.db');
  const store = await openStore({ file });
  try {
    const auth = new AuthService({ store, masterKey: randomBytes(32) });
    const start = Date.parse('2026-01-01T00:00:00Z');
    const rows = Array.from({ length: JOBS }, (_, i) => {
      const active = i >= JOBS - ACTIVE;
      const status: JobStatus = active
        ? i % 2
          ? 'running'
          : 'pending'
        : i % 17 === 0
          ? 'failed'
          : 'successful';
      const created = new Date(start + i * 30 * 60_000).toISOString();
      return {
        type: i % 50 === 0 ? ('maintenance' as const) : ('backup' as const),
        status,
        schedule_id: i % 300,
        customer_id: `c${i % CUSTOMERS}`,
        schedule_name: `Schedule ${i % 300}`,
        scope: 'full',
        trigger: 'schedule',
        params: null,
        created_at: created,
        started_at: status === 'pending' ? null : created,
        finished_at: active ? null : new Date(Date.parse(created) + 95_000).toISOString(),
        progress:
          status === 'running'
            ? JSON.stringify({
                percent: 40,
                bytesDone: 4e8,
                bytesTotal: 1e9,
                filesDone: 400,
                filesTotal: 1000,
                currentFile: '/srv/www/index.php',
              })
            : null,
        // Real logs are this long or longer; they share the rows a history page reads.
        log: active ? null : '10:00:00 Backup started\n'.repeat(40),
        error: status === 'failed' ? 'Not enough disk space: needs about 2 GB, 1 GB free' : null,
        snapshot_id: status === 'successful' ? randomBytes(32).toString('hex') : null,
        bytes_added: active ? null : 1_000_000 + i,
        bytes_processed: active ? null : 50_000_000 + i,
        stats: null,
      };
    });
    for (let i = 0; i < rows.length; i += 500)
      await store.db
        .insertInto('jobs')
        .values(rows.slice(i, i + 500))
        .execute();
    const { token: adminToken } = await auth.createApiToken({ name: 'bench', role: 'admin' });
    // The customer whose jobs include active ones.
    const { token } = await auth.createSession({
      role: 'customer',
      customerId: `c${(JOBS - 1) % CUSTOMERS}`,
      userId: null,
      username: null,
    });
    ctx.log(`api: seeded ${JOBS} jobs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return {
      file,
      admin: { authorization: `Bearer ${adminToken}` },
      customer: { cookie: `hostvault_session=${token}` },
    };
  } finally {
    await store.close();
  }
}

interface Server {
  base: string;
  /** CPU seconds (user + system) the server process has used so far. */
  cpu: () => number;
  stop: () => Promise<void>;
}

async function startServer(file: string): Promise<Server> {
  // execArgv carries `--import tsx`, so the child runs this TypeScript module as we do.
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [...process.execArgv, SELF, '--serve', file],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`API server exited with ${code}: ${stderr}`)));
  });
  return {
    base,
    cpu: () => {
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    },
    async stop() {
      // Closing stdin asks the server to close; the kill is for one that does not.
      child.stdin.end();
      const timer = setTimeout(() => child.kill(), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The child: the API as the service builds it, over the seeded store, until stdin closes. */
async function serve(file: string): Promise<void> {
  const store = await openStore({ file });
  const auth = new AuthService({ store, masterKey: randomBytes(32) });
  const app = buildServer({
    auth,
    jobs: new JobStore(store),
    worker: { cancel: async () => 'not-active' },
    health: storeHealth(store),
    metrics: storeJobMetrics(store),
    customers: new InventoryService({ store }),
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${address}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void app.close().then(() => store.close()));
}

export function fetchJson(url: string, headers: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (s: string) => (text += s));
      response.on('end', () =>
        response.statusCode === 200
          ? resolve(JSON.parse(text) as unknown)
          : reject(new Error(`GET ${url}: ${response.statusCode} ${text}`)),
      );
    }).on('error', reject);
  });
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  count: number;
  errors: number;
}

export async function load(
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<LoadResult> {
  // node:http with a keep-alive agent rather than fetch: on a two-core machine the load
  // generator's own CPU would otherwise take much of what the server needs.
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const request = () =>
    new Promise<number>((resolve, reject) => {
      get(url, { agent, headers }, (response) => {
        response.on('data', () => undefined);
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      }).on('error', reject);
    });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        try {
          if ((await request()) !== 200) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    rps: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    count: latencies.length,
    errors,
  };
}

if (process.argv[1] === SELF && process.argv[2] === '--serve') await serve(process.argv[3] ?? '');
