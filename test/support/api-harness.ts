/**
 * A server over an in-memory store with real auth and job services, for the API tests.
 * Not a test file itself; nothing outside tests imports it.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { AuthService } from '../../src/auth/index.js';
import { JobStore, type NewJob } from '../../src/job/job-store.js';
import type { Store } from '../../src/store/index.js';
import { openTestStore } from './store.js';
import type { ApiDeps, ApiOptions, JobControl } from '../../src/api/deps.js';
import { buildServer } from '../../src/api/server.js';
import { storeHealth, storeJobMetrics } from '../../src/api/store-adapters.js';
import { InventoryService } from '../../src/inventory/inventory-service.js';

export const PASSWORD = 'correct horse battery staple';

export interface Harness {
  app: FastifyInstance;
  store: Store;
  auth: AuthService;
  jobs: JobStore;
  deps: ApiDeps;
  /** Moves the clock shared by auth and jobs. */
  clock: { now: Date; advance(ms: number): void };
  canceled: number[];
  adminToken: string;
  close(): Promise<void>;
}

export async function harness(
  options: ApiOptions = {},
  overrides: Partial<ApiDeps> = {},
): Promise<Harness> {
  const store = await openTestStore();
  const clock = {
    now: new Date('2026-11-28T10:00:00.000Z'),
    advance(ms: number) {
      clock.now = new Date(clock.now.getTime() + ms);
    },
  };
  const now = () => clock.now;
  const auth = new AuthService({
    store,
    masterKey: randomBytes(32),
    now,
    // Cheap hashes keep the suite fast; password.test.ts covers the real cost.
    passwordCost: { log2N: 10, r: 8, p: 1 },
  });
  const jobs = new JobStore(store, now);
  const canceled: number[] = [];
  const worker: JobControl = {
    async cancel(id) {
      canceled.push(id);
      if (await jobs.cancelPending(id)) return 'canceled';
      const job = await jobs.get(id);
      return job?.status === 'running' ? 'canceling' : 'not-active';
    },
  };
  await auth.createUser({ username: 'root', password: PASSWORD, role: 'admin' });
  await auth.createUser({
    username: 'alice',
    password: PASSWORD,
    role: 'customer',
    customerId: 'c-alice',
  });
  await auth.createUser({
    username: 'bob',
    password: PASSWORD,
    role: 'customer',
    customerId: 'c-bob',
  });
  const { token: adminToken } = await auth.createApiToken({ name: 'panel', role: 'admin' });
  const deps: ApiDeps = {
    auth,
    jobs,
    worker,
    health: storeHealth(store),
    metrics: storeJobMetrics(store),
    customers: new InventoryService({ store }),
    options: { validateResponses: true, now, ...options },
    ...overrides,
  };
  const app = buildServer(deps);
  await app.ready();
  return {
    app,
    store,
    auth,
    jobs,
    deps,
    clock,
    canceled,
    adminToken,
    async close() {
      await app.close();
      await store.close();
    },
  };
}

/** The cookie header and CSRF token of a fresh sign-in. */
export async function signIn(
  h: Harness,
  username: string,
): Promise<{ cookie: string; csrf: string; response: LightMyRequestResponse }> {
  const response = await h.app.inject({
    method: 'POST',
    url: '/api/session',
    payload: { username, password: PASSWORD },
  });
  if (response.statusCode !== 200) throw new Error(`sign-in failed: ${response.body}`);
  const cookie = response.cookies.find((c) => c.name === 'hostvault_session');
  if (!cookie) throw new Error('no session cookie');
  return {
    cookie: `hostvault_session=${cookie.value}`,
    csrf: (response.json() as { csrfToken: string }).csrfToken,
    response,
  };
}

/** Inserts a job in the given state; returns its id. */
export async function addJob(
  h: Harness,
  job: Partial<NewJob> & { customerId: string | null },
  state: 'pending' | 'running' | 'successful' | 'failed' | 'canceled' = 'pending',
  extra: { bytesAdded?: number; log?: string; progress?: object } = {},
): Promise<number> {
  const created = await h.jobs.create({ type: 'backup', trigger: 'manual', ...job });
  if (!created.created) throw new Error('job not created');
  const id = created.id;
  if (state === 'pending') return id;
  await h.store.db
    .updateTable('jobs')
    .set({
      status: 'running',
      started_at: h.clock.now.toISOString(),
      ...(extra.progress ? { progress: JSON.stringify(extra.progress) } : {}),
    })
    .where('id', '=', id)
    .execute();
  if (state === 'running') return id;
  await h.jobs.finish(id, {
    status: state,
    error: state === 'failed' ? 'Not enough disk space: needs about 2 GB, 1 GB free' : null,
    bytesAdded: extra.bytesAdded ?? null,
    logAppend: extra.log,
  });
  return id;
}
