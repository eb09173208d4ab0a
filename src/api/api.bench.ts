/**
 * Load check of the two endpoints the web page polls most: history pages and the banner's active
 * tasks. Not a test: run it by hand and read the numbers.
 *
 *   node --import tsx src/api/api.bench.ts [seconds per case, default 10]
 *
 * The server runs in a child process (so the load generator does not share its event loop) over a
 * file store holding 10,000 jobs of 100 customers; 50 clients send requests back to back over
 * keep-alive connections (node:http). Targets: at least 1,000 requests/s and p99 at most 50 ms.
 */
import { spawn } from 'node:child_process';
import { Agent, get } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthService } from '../auth/index.js';
import { JobStore } from '../job/job-store.js';
import { openStore, type JobStatus } from '../store/index.js';
import { buildServer } from './server.js';
import { storeCustomers, storeHealth, storeJobMetrics } from './store-adapters.js';

const JOBS = 10_000;
const CUSTOMERS = 100;
const CLIENTS = 50;

if (process.argv[2] === '--serve') {
  await serve(process.argv[3] ?? '');
} else {
  await main(Number(process.argv[2] ?? 10));
}

async function serve(file: string): Promise<void> {
  const store = await openStore({ file });
  const auth = new AuthService({ store, masterKey: randomBytes(32) });
  const jobs = new JobStore(store);
  const app = buildServer({
    auth,
    jobs,
    worker: { cancel: async () => 'not-active' },
    health: storeHealth(store),
    metrics: storeJobMetrics(store),
    customers: storeCustomers(store),
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${address}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void app.close().then(() => store.close()));
}

async function main(seconds: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hostvault-api-bench-'));
  const file = join(dir, 'store.db');
  try {
    const { adminToken, customerCookie } = await seed(file);
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--serve', file],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    try {
      const base = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
        child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
      });
      const admin = { authorization: `Bearer ${adminToken}` };
      const customer = { cookie: customerCookie };
      const cases: [string, string, Record<string, string>][] = [
        ['GET /api/jobs?limit=50 (admin token, 10,000 jobs)', '/api/jobs?limit=50', admin],
        [
          'GET /api/jobs?limit=50&offset=5000 (admin token)',
          '/api/jobs?limit=50&offset=5000',
          admin,
        ],
        ['GET /api/jobs?limit=50 (customer session, 100 jobs)', '/api/jobs?limit=50', customer],
        ['GET /api/tasks/active (admin token, 20 active)', '/api/tasks/active', admin],
        ['GET /api/tasks/active (customer session)', '/api/tasks/active', customer],
      ];
      console.log(`${JOBS} jobs, ${CLIENTS} concurrent clients, ${seconds} s per case\n`);
      for (const [name, path, headers] of cases) {
        await load(base + path, headers, 1); // warm-up
        const result = await load(base + path, headers, seconds);
        const verdict = result.rps >= 1000 && result.p99 <= 50 ? 'ok' : 'BELOW TARGET';
        console.log(
          `${name}\n  ${Math.round(result.rps)} req/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ` +
            `${result.count} requests, ${result.errors} errors — ${verdict}`,
        );
      }
    } finally {
      child.stdin.end();
      child.kill();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function seed(file: string): Promise<{ adminToken: string; customerCookie: string }> {
  const store = await openStore({ file });
  try {
    const auth = new AuthService({ store, masterKey: randomBytes(32) });
    const start = Date.parse('2026-01-01T00:00:00Z');
    const rows = Array.from({ length: JOBS }, (_, i) => {
      const active = i >= JOBS - 20;
      const status: JobStatus = active
        ? i % 2
          ? 'running'
          : 'pending'
        : i % 17 === 0
          ? 'failed'
          : 'successful';
      const created = new Date(start + i * 30 * 60_000).toISOString();
      const customer = `c${i % CUSTOMERS}`;
      return {
        type: i % 50 === 0 ? ('maintenance' as const) : ('backup' as const),
        status,
        schedule_id: i % 300,
        customer_id: customer,
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
        log: active ? null : '10:00:00 Backup started\n'.repeat(40),
        error: status === 'failed' ? 'Not enough disk space: needs about 2 GB, 1 GB free' : null,
        snapshot_id: status === 'successful' ? randomBytes(32).toString('hex') : null,
        bytes_added: active ? null : 1_000_000 + i,
        bytes_processed: active ? null : 50_000_000 + i,
        stats: null,
      };
    });
    for (let i = 0; i < rows.length; i += 500) {
      await store.db
        .insertInto('jobs')
        .values(rows.slice(i, i + 500))
        .execute();
    }
    const { token: adminToken } = await auth.createApiToken({ name: 'bench', role: 'admin' });
    // The customer whose jobs include active ones.
    const { token } = await auth.createSession({
      role: 'customer',
      customerId: `c${(JOBS - 1) % CUSTOMERS}`,
      userId: null,
      username: null,
    });
    return { adminToken, customerCookie: `hostvault_session=${token}` };
  } finally {
    await store.close();
  }
}

async function load(
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<{ rps: number; p50: number; p99: number; count: number; errors: number }> {
  // node:http with a keep-alive agent rather than fetch: on a two-core machine the load
  // generator's own CPU use would otherwise be most of what is measured.
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
