/**
 * Fault drill: malformed input. Against one real service with two customers (a schedule and a
 * successful backup each), well over a thousand generated invalid requests go to every route of
 * the OpenAPI document, signed in as customer A (cookie + CSRF) and unauthenticated. Generation
 * is seeded, so a failure reproduces: the failing request is printed with its seed and index.
 *
 * Never a 5xx; never a 2xx on a mutation with invalid input; the store's schedules, jobs,
 * customers, packages and users are unchanged; nothing of customer B reaches customer A.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthService } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config.js';
import { startService, type Service } from '../../src/serve.js';

const SEED = Number(process.env.HV_FUZZ_SEED ?? 20261128);
const VARIANTS_PER_OPERATION = 40;
const CONCURRENCY = 8;
const B_SCHEDULE = 'Zebra-Bob-Secret-Schedule';
const B_FILE = 'bob-private-ledger.html';
const B_DIR = 'bob-hidden-dir';

let work: string;
let service: Service;

interface Session {
  cookie: string;
  csrf: string;
}

async function signIn(username: string, password: string): Promise<Session> {
  const response = await fetch(`${service.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const csrf = ((await response.json()) as { csrfToken: string }).csrfToken;
  return { cookie, csrf };
}

async function call(s: Session, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      cookie: s.cookie,
      'x-csrf-token': s.csrf,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

async function backUp(s: Session, name: string): Promise<{ scheduleId: number; jobId: number }> {
  const created = await call(s, 'POST', '/api/schedules', {
    name,
    scope: 'web',
    frequency: 'daily',
    retention: 3,
    target: { kind: 'local' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const run = await call(s, 'POST', `/api/schedules/${created.json.id}/run`);
  assert.equal(run.status, 202, JSON.stringify(run.json));
  for (let i = 0; i < 600; i++) {
    const job = await call(s, 'GET', `/api/jobs/${run.json.jobId}`);
    if (['successful', 'failed', 'canceled'].includes(job.json.status)) {
      assert.equal(job.json.status, 'successful', JSON.stringify(job.json));
      return { scheduleId: created.json.id, jobId: run.json.jobId };
    }
    await sleep(200);
  }
  throw new Error('backup did not finish');
}

/** mulberry32: small, seeded, good enough to pick junk reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TABLES = ['schedules', 'jobs', 'customers', 'packages', 'users'] as const;

async function storeSnapshot(): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const rows = (await service.app.store.db.selectFrom(table).selectAll().execute()) as Record<
      string,
      unknown
    >[];
    out[table] = rows
      .map((r) => JSON.stringify(r))
      .sort()
      .map((r) => JSON.parse(r) as unknown);
  }
  return out;
}

let bob: { scheduleId: number; jobId: number; repositoryId: number; snapshotId: string };

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-fuzz-'));
  process.env.HOSTVAULT_ADMIN_PASSWORD = 'admin-password-123';
  const config = {
    ...loadConfig({
      HOSTVAULT_DATA_DIR: join(work, 'data'),
      HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
    }),
    listen: { host: '127.0.0.1', port: 0 },
  };
  service = await startService(config, { log: () => undefined });
  const { inventory, store, masterKey } = service.app;
  for (const id of ['alice', 'bob']) {
    const home = join(work, 'home', id);
    await mkdir(join(home, 'www', id === 'bob' ? B_DIR : 'sub'), { recursive: true });
    await writeFile(join(home, 'www/index.php'), `<?php echo "${id}";`);
    if (id === 'bob') await writeFile(join(home, 'www', B_DIR, B_FILE), '<h1>ledger</h1>');
    else await writeFile(join(home, 'www/sub/page.html'), '<h1>alice</h1>');
  }
  await inventory.importInventory({
    packages: [
      { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 7, maxSchedules: 2 },
    ],
    customers: ['alice', 'bob'].map((id, i) => ({
      id,
      name: id,
      linuxUser: `u${id}`,
      uid: 2000 + i,
      gid: 2000 + i,
      packageId: 'basic',
      webRoot: join(work, 'home', id, 'www'),
    })),
  });
  const auth = new AuthService({ store, masterKey });
  for (const [username, password] of [
    ['alice', 'alice-password-1'],
    ['bob', 'bob-password-12'],
  ] as const)
    await auth.createUser({ username, password, role: 'customer', customerId: username });
  const a = await signIn('alice', 'alice-password-1');
  const b = await signIn('bob', 'bob-password-12');
  await backUp(a, 'Alice nightly');
  const bobRun = await backUp(b, B_SCHEDULE);
  const snaps = await call(b, 'GET', `/api/schedules/${bobRun.scheduleId}/snapshots`);
  const snapshot = snaps.json.snapshots[0];
  bob = { ...bobRun, repositoryId: snapshot.repositoryId, snapshotId: snapshot.id };
});
after(async () => {
  await service.stop();
  delete process.env.HOSTVAULT_ADMIN_PASSWORD;
  await rm(work, { recursive: true, force: true });
});

interface Fuzzed {
  index: number;
  who: 'alice' | 'anonymous';
  method: string;
  route: string;
  path: string;
  contentType?: string;
  body?: string;
}

test('a thousand malformed requests across every route: no 5xx, no change, no leak', async () => {
  const alice = await signIn('alice', 'alice-password-1');
  const spec = (await (await fetch(`${service.url}/api/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
  };
  const before = await storeSnapshot();
  const random = prng(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const long = 'x'.repeat(10_000);
  const segments = [
    String(bob.scheduleId),
    String(bob.jobId),
    String(bob.repositoryId),
    bob.snapshotId,
    'bob',
    '99999999999999999999999',
    '9007199254740993',
    '-1',
    '0',
    '1.5',
    '1e3',
    '..',
    '%2e%2e',
    '..%2f..%2fetc',
    '%00',
    '1%00',
    encodeURIComponent('ünï©ødé💥'),
    long,
    '%',
    '%ZZ',
    'null',
    'true',
    ' ',
  ];
  const junkValues: unknown[] = [
    null,
    true,
    -1,
    1e308,
    -0,
    1.5,
    '',
    '..',
    '\u0000',
    'ünï©ødé💥',
    long,
    [],
    [1, 'a', null],
    {},
    { $gt: '' },
    { __proto__: { admin: true } },
    { a: { b: { c: { d: [[[{}]]] } } } },
    'x'.repeat(200_000),
  ];
  const junkObject = (names: string[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const name of names) if (random() < 0.7) out[name] = pick(junkValues);
    if (random() < 0.5) out[`extra_${Math.floor(random() * 1000)}`] = pick(junkValues);
    return out;
  };
  const bodies = (names: string[]): { contentType?: string; body?: string } => {
    switch (Math.floor(random() * 10)) {
      case 0:
        return { contentType: 'application/json', body: '{"name": "unterminated' };
      case 1:
        return { contentType: 'text/plain', body: JSON.stringify(junkObject(names)) };
      case 2:
        return { contentType: 'application/x-www-form-urlencoded', body: 'name=a&retention=x' };
      case 3:
        return { contentType: 'application/json', body: JSON.stringify([junkObject(names)]) };
      case 4:
        return { contentType: 'application/json', body: JSON.stringify(pick(junkValues)) };
      case 5:
        return { contentType: 'application/json', body: '\u0000\u0001\u0002' };
      case 6:
        return { contentType: 'application/json', body: `{"a":${'['.repeat(5000)}` };
      case 7:
        return { contentType: 'multipart/form-data; boundary=x', body: '--x\r\n\r\n--x--' };
      default:
        return { contentType: 'application/json', body: JSON.stringify(junkObject(names)) };
    }
  };
  const query = (names: string[]): string => {
    const parts: string[] = [];
    for (const name of [...names, 'path', 'limit', 'offset', 'junk'])
      if (random() < 0.5) {
        const value = pick(junkValues);
        parts.push(
          `${encodeURIComponent(name)}=${
            random() < 0.3 ? pick(segments) : encodeURIComponent(JSON.stringify(value) ?? '')
          }`,
        );
      }
    if (random() < 0.1) parts.push('a=%', 'b[]=1', 'b[]=2', 'c[d]=e');
    return parts.length ? `?${parts.join('&')}` : '';
  };

  const requests: Fuzzed[] = [];
  const routes: string[] = [];
  for (const [route, operations] of Object.entries(spec.paths))
    for (const [method, operation] of Object.entries(operations)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const upper = method.toUpperCase();
      // Signing out is valid whatever comes with it; it would only end the drill's session.
      if (route === '/api/session' && upper === 'DELETE') continue;
      routes.push(`${upper} ${route}`);
      const parameters = operation.parameters ?? [];
      const queryNames = parameters.filter((p) => p.in === 'query').map((p) => p.name);
      const bodyNames = [
        ...new Set(
          [...route.matchAll(/\{(\w+)\}/g)]
            .map((m) => m[1]!)
            .concat(['name', 'scope', 'frequency', 'retention', 'target', 'what', 'dryRun']),
        ),
      ];
      for (let v = 0; v < VARIANTS_PER_OPERATION; v++) {
        const path = route.replace(/\{\w+\}/g, () => pick(segments)) + query(queryNames);
        const fuzzed: Fuzzed = {
          index: requests.length,
          who: random() < 0.7 ? 'alice' : 'anonymous',
          method: upper,
          route,
          path,
        };
        if (upper !== 'GET' && upper !== 'DELETE') Object.assign(fuzzed, bodies(bodyNames));
        else if (random() < 0.2) Object.assign(fuzzed, bodies(bodyNames));
        requests.push(fuzzed);
      }
    }

  const failures: string[] = [];
  const leaks = [B_SCHEDULE, B_FILE, B_DIR, join(work, 'home', 'bob')];
  let sent = 0;
  const statuses = new Map<string, number>();
  const send = async (r: Fuzzed) => {
    const headers: Record<string, string> = {};
    if (r.who === 'alice') {
      headers.cookie = alice.cookie;
      headers['x-csrf-token'] = alice.csrf;
    }
    if (r.contentType) headers['content-type'] = r.contentType;
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${service.url}${r.path}`, {
        method: r.method,
        headers,
        body: r.method === 'GET' ? undefined : r.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(20_000),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      failures.push(`#${r.index} ${r.who} ${r.method} ${r.path.slice(0, 200)}: ${String(error)}`);
      return;
    }
    sent++;
    const key = `${r.who} ${status}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    const where = `#${r.index} (seed ${SEED}) ${r.who} ${r.method} ${r.path.slice(0, 200)} ${
      r.contentType ?? ''
    } ${(r.body ?? '').slice(0, 200)} -> ${status} ${text.slice(0, 300)}`;
    if (status >= 500) failures.push(`5xx: ${where}`);
    if (r.method !== 'GET' && status >= 200 && status < 300)
      failures.push(`2xx on a mutation: ${where}`);
    if (r.who === 'alice')
      for (const leak of leaks) if (text.includes(leak)) failures.push(`leak of ${leak}: ${where}`);
  };
  const queue = [...requests];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) await send(r);
    }),
  );

  assert.deepEqual(failures, [], failures.join('\n'));
  assert.ok(requests.length >= 1000, `only ${requests.length} requests`);
  assert.ok(routes.length >= 20, `only ${routes.length} routes in the OpenAPI document`);
  assert.equal(sent, requests.length);
  // Alice is still signed in and the service still answers.
  assert.equal((await call(alice, 'GET', '/api/session')).status, 200);
  assert.deepEqual(await storeSnapshot(), before, 'the store is unchanged');
  // Signed in, the requests must get past authentication and CSRF to reach validation.
  const aliceRejected = (statuses.get('alice 401') ?? 0) + (statuses.get('alice 403') ?? 0);
  assert.ok(aliceRejected < sent / 3, JSON.stringify([...statuses]));
  console.log(
    `sent ${sent} malformed requests over ${routes.length} routes (seed ${SEED}): ${JSON.stringify(
      Object.fromEntries([...statuses].sort()),
    )}`,
  );
});
