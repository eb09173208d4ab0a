import { CustomerMove } from '../fleet/customer-move.js';
import { ServerRecords } from '../fleet/server-records.js';
import assert from 'node:assert/strict';
import { CoverageService } from '../coverage/coverage-service.js';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { InventoryService } from '../inventory/inventory-service.js';
import { Keyring } from '../repository/keyring.js';
import { RepositoryService } from '../repository/repository-service.js';
import { ScheduleService } from '../schedule/schedule-service.js';
import { LifecycleService } from '../lifecycle/lifecycle-service.js';
import { adminRoutes, type AdminRouteDeps } from './admin/index.js';
import { harness, PASSWORD, signIn, type Harness } from '../../test/support/api-harness.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hv-admin-api-'));
  for (const id of ['c-alice', 'c-bob', 'c-carol'])
    await mkdir(join(dir, id, 'public_html'), { recursive: true });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let h: Harness;
let keyring: Keyring;
let alice: { cookie: string; csrf: string };
/** The restic version the hosting server reports (the purge of a path needs 0.15+). */
let resticVersion = 'restic 0.18.0';
let current: AdminRouteDeps;
const routeDeps = () => current;
beforeEach(async () => {
  resticVersion = 'restic 0.18.0';
  const deps = {} as AdminRouteDeps;
  current = deps;
  h = await harness({}, { modules: adminRoutes(deps) });
  keyring = new Keyring(randomBytes(32));
  const inventory = new InventoryService({ store: h.store });
  const schedules = new ScheduleService({
    store: h.store,
    keyring,
    customers: inventory,
    jobs: h.jobs,
    localRepositoryDir: join(dir, 'repos'),
  });
  Object.assign(deps, {
    inventory,
    schedules,
    lifecycle: new LifecycleService({
      store: h.store,
      schedules,
      jobs: h.jobs,
      customers: inventory,
      keepDays: 10,
      now: () => new Date('2026-12-01T00:00:00Z'),
      // What the hosting server's agent answers; only its restic version is read.
      agent: {
        facts: async () => ({
          restic: { version: resticVersion, binary: 'restic' },
          mariadb: null,
          dataDirFreeBytes: 0,
        }),
      },
    }),
    users: h.auth,
    repositories: new RepositoryService({ store: h.store, keyring }),
    coverage: new CoverageService({ store: h.store, server: 'local' }),
    knownServers: new CustomerMove({
      store: h.store,
      records: new ServerRecords(h.store),
      inventory,
      implicitServers: ['local'],
    }),
  } satisfies AdminRouteDeps);
  await inventory.upsertPackage(basic);
  await inventory.upsertCustomer(customer('c-alice'));
  alice = await signIn(h, 'alice');
});
afterEach(async () => {
  await h.close();
});

const basic = {
  id: 'basic',
  name: 'Basic',
  frequencies: ['daily', 'weekly'] as ('daily' | 'weekly')[],
  maxRetention: 7,
  maxSchedules: 2,
};

function customer(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    name: `Customer ${id}`,
    linuxUser: id.replace(/^c-/, ''),
    uid: 2000,
    gid: 2000,
    packageId: 'basic',
    webRoot: join(dir, id, 'public_html'),
    ...extra,
  };
}

const admin = () => ({ authorization: `Bearer ${h.adminToken}` });
const asAlice = () => ({ cookie: alice.cookie, 'x-csrf-token': alice.csrf });

async function call(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = admin(),
) {
  return h.app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

const serverSchedule = {
  name: 'Entire server nightly',
  scope: 'full',
  frequency: 'daily',
  retention: 14,
  target: { kind: 'local', path: '/srv/backups' },
};

describe('customers never reach the admin area', () => {
  test('every admin route answers 403 to a customer, and nothing changes', async () => {
    await h.store.db
      .insertInto('repositories')
      .values({
        url: '/srv/repos/c-alice',
        owner: 'c-alice',
        target_kind: 'local',
        password_sealed: keyring.seal('secret', '/srv/repos/c-alice'),
        created_at: '2026-01-01T00:00:00.000Z',
        initialized_at: null,
      })
      .execute();
    const routes: [Parameters<typeof call>[0], string, unknown?][] = [
      ['GET', '/api/admin/customers'],
      ['PUT', '/api/admin/customers/c-bob', customer('c-bob')],
      ['DELETE', '/api/admin/customers/c-alice'],
      ['POST', '/api/admin/inventory/import', { packages: [], customers: [] }],
      ['GET', '/api/admin/packages'],
      ['PUT', '/api/admin/packages/gold', { ...basic, id: undefined, name: 'Gold' }],
      ['DELETE', '/api/admin/packages/basic'],
      ['POST', '/api/admin/users', { username: 'x', password: PASSWORD, role: 'admin' }],
      ['GET', '/api/admin/users'],
      ['DELETE', '/api/admin/users/1'],
      ['PUT', '/api/admin/users/1/password', { password: PASSWORD + '!' }],
      ['GET', '/api/admin/tokens'],
      ['POST', '/api/admin/tokens', { name: 'x', role: 'admin' }],
      ['DELETE', '/api/admin/tokens/1'],
      ['GET', '/api/admin/schedules'],
      ['POST', '/api/admin/schedules', { mode: 'entire', ...serverSchedule }],
      ['GET', '/api/admin/repositories'],
      ['GET', '/api/admin/repositories/1/key'],
      ['POST', '/api/admin/customers/c-alice/suspend', {}],
      ['POST', '/api/admin/customers/c-alice/terminate', {}],
      ['POST', '/api/admin/customers/c-alice/reactivate'],
      ['POST', '/api/admin/customers/c-alice/purge-path', { path: '/x' }],
      ['GET', '/api/admin/customers/c-alice/lifecycle'],
      ['GET', '/api/admin/customers/c-alice/lifecycle/audit'],
    ];
    for (const [method, url, payload] of routes) {
      const response = await call(method, url, payload, asAlice());
      assert.equal(response.statusCode, 403, `${method} ${url}: ${response.body}`);
      assert.doesNotMatch(response.body, /secret/);
    }
    const anonymous = await h.app.inject({ url: '/api/admin/repositories/1/key' });
    assert.equal(anonymous.statusCode, 401);
    assert.equal((await call('GET', '/api/admin/customers')).json().customers.length, 1);
    assert.equal((await call('GET', '/api/admin/packages')).json().packages.length, 1);
    assert.equal((await call('GET', '/api/admin/schedules')).json().schedules.length, 0);
    assert.equal((await call('GET', '/api/admin/users')).json().users.length, 3);
    assert.equal((await call('GET', '/api/admin/tokens')).json().tokens.length, 1);
  });
});

describe('customers', () => {
  test('list, create, replace and delete', async () => {
    const list = await call('GET', '/api/admin/customers');
    assert.equal(list.statusCode, 200);
    assert.deepEqual(
      list.json().customers.map((c: { id: string }) => c.id),
      ['c-alice'],
    );

    const created = await call('PUT', '/api/admin/customers/c-bob', {
      ...customer('c-bob'),
      id: undefined,
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().id, 'c-bob');
    const replaced = await call(
      'PUT',
      '/api/admin/customers/c-bob',
      customer('c-bob', { name: 'Bob Ltd' }),
    );
    assert.equal(replaced.statusCode, 200, replaced.body);
    assert.equal(replaced.json().name, 'Bob Ltd');

    const deleted = await call('DELETE', '/api/admin/customers/c-bob');
    assert.equal(deleted.statusCode, 200);
    assert.deepEqual(deleted.json(), { deleted: true });
    assert.equal((await call('DELETE', '/api/admin/customers/c-bob')).statusCode, 404);
  });

  test('a refused customer names each field and changes nothing', async () => {
    const response = await call('PUT', '/api/admin/customers/c-bob', {
      ...customer('c-bob'),
      packageId: 'gold',
      webRoot: join(dir, 'c-alice', 'public_html'),
    });
    assert.equal(response.statusCode, 400, response.body);
    const fields = response.json().error.fields.map((f: { field: string }) => f.field);
    assert.ok(fields.includes('packageId'), response.body);
    assert.ok(fields.includes('webRoot'), response.body);
    assert.equal((await call('GET', '/api/admin/customers')).json().customers.length, 1);
  });

  test('unknown fields, a missing path on disk and a mismatched id are each refused', async () => {
    const unknown = await call('PUT', '/api/admin/customers/c-bob', {
      ...customer('c-bob'),
      sslfiles: [],
    });
    assert.equal(unknown.statusCode, 400);
    assert.deepEqual(unknown.json().error.fields, [
      {
        field: 'sslfiles',
        code: 'field.unknown',
        message: 'Sslfiles is not a known field',
        params: { label: 'Sslfiles' },
      },
    ]);

    const missing = await call(
      'PUT',
      '/api/admin/customers/c-bob',
      customer('c-bob', { webRoot: join(dir, 'nowhere') }),
    );
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().error.fields[0].field, 'webRoot');

    const mismatch = await call('PUT', '/api/admin/customers/c-bob', customer('c-carol'));
    assert.equal(mismatch.statusCode, 400);
    assert.equal(mismatch.json().error.fields[0].field, 'id');

    const badId = await call('PUT', '/api/admin/customers/Bad%20Id', customer('c-bob'));
    assert.equal(badId.statusCode, 400);
    assert.equal(badId.json().error.fields[0].field, 'id');
  });
});

describe('inventory import', () => {
  test('imports a document and reports what changed; prune removes the rest', async () => {
    const doc = {
      packages: [basic, { ...basic, id: 'gold', name: 'Gold' }],
      customers: [customer('c-alice'), customer('c-bob', { packageId: 'gold' })],
    };
    const response = await call('POST', '/api/admin/inventory/import', doc);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), {
      packages: { created: ['gold'], updated: [], unchanged: ['basic'], deleted: [] },
      customers: { created: ['c-bob'], updated: [], unchanged: ['c-alice'], deleted: [] },
    });

    const pruned = await call('POST', '/api/admin/inventory/import?prune=true', {
      packages: [basic],
      customers: [customer('c-alice')],
    });
    assert.equal(pruned.statusCode, 200, pruned.body);
    assert.deepEqual(pruned.json().customers.deleted, ['c-bob']);
    assert.deepEqual(pruned.json().packages.deleted, ['gold']);
  });

  test('every problem of the document is listed as a field, and nothing changes', async () => {
    const response = await call('POST', '/api/admin/inventory/import', {
      packages: [{ ...basic, id: 'gold', frequencies: ['yearly'] }],
      customers: [
        customer('c-bob', { packageId: 'platinum' }),
        customer('c-carol', { webRoot: join(dir, 'c-bob', 'public_html') }),
        { ...customer('c-dave'), sslfiles: [] },
      ],
    });
    assert.equal(response.statusCode, 400, response.body);
    const fields = response.json().error.fields.map((f: { field: string }) => f.field);
    for (const field of [
      'packages.0.frequencies.0',
      'customers.0.packageId',
      'customers.1.webRoot',
      'customers.2.sslfiles',
    ])
      assert.ok(fields.includes(field), `${field} in ${response.body}`);
    assert.match(response.json().error.message, /problems; nothing was changed/);
    const customers = (await call('GET', '/api/admin/customers')).json().customers;
    assert.deepEqual(
      customers.map((c: { id: string }) => c.id),
      ['c-alice'],
    );
    assert.equal((await call('GET', '/api/admin/packages')).json().packages.length, 1);
  });

  test('a body that is not a document is refused', async () => {
    const list = await call('POST', '/api/admin/inventory/import', [1, 2]);
    assert.equal(list.statusCode, 400);
    const wrong = await call('POST', '/api/admin/inventory/import', { customers: 'all' });
    assert.equal(wrong.statusCode, 400);
    assert.equal(wrong.json().error.fields[0].field, 'customers');
    const prune = await call('POST', '/api/admin/inventory/import?prune=yes', {});
    assert.equal(prune.statusCode, 400);
    assert.equal(prune.json().error.fields[0].field, 'prune');
  });

  test('a document beyond the default 64 KiB body limit is accepted', async () => {
    const customers = [
      customer('c-alice', { databases: Array.from({ length: 6000 }, (_, i) => `db_alice_${i}`) }),
    ];
    const payload = JSON.stringify({ packages: [basic], customers });
    assert.ok(payload.length > 64 * 1024);
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/admin/inventory/import',
      headers: { ...admin(), 'content-type': 'application/json' },
      payload,
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json().customers.updated, ['c-alice']);
  });
});

describe('packages', () => {
  test('create, replace, refuse bad values, delete; 409 while in use', async () => {
    const gold = {
      name: 'Gold',
      frequencies: ['hourly', 'daily'],
      maxRetention: 30,
      maxSchedules: 5,
    };
    const created = await call('PUT', '/api/admin/packages/gold', gold);
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().id, 'gold');
    const replaced = await call('PUT', '/api/admin/packages/gold', { ...gold, maxRetention: 60 });
    assert.equal(replaced.statusCode, 200);
    assert.equal(replaced.json().maxRetention, 60);

    const bad = await call('PUT', '/api/admin/packages/gold', {
      ...gold,
      maxRetention: -1,
      frequencies: [],
    });
    assert.equal(bad.statusCode, 400);
    const fields = bad
      .json()
      .error.fields.map((f: { field: string }) => f.field)
      .sort();
    assert.deepEqual(fields, ['frequencies', 'maxRetention']);

    const inUse = await call('DELETE', '/api/admin/packages/basic');
    assert.equal(inUse.statusCode, 409);
    assert.match(inUse.json().error.message, /used by 1 customer \(c-alice\)/);
    assert.equal((await call('DELETE', '/api/admin/packages/gold')).statusCode, 200);
    assert.equal((await call('DELETE', '/api/admin/packages/gold')).statusCode, 404);
    assert.deepEqual(
      (await call('GET', '/api/admin/packages')).json().packages.map((p: { id: string }) => p.id),
      ['basic'],
    );
  });
});

describe('users', () => {
  test('creates a customer sign-in that works, and an administrator', async () => {
    const response = await call('POST', '/api/admin/users', {
      username: 'alice2',
      password: PASSWORD,
      role: 'customer',
      customerId: 'c-alice',
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.deepEqual(
      { ...(response.json() as object), id: 0 },
      { id: 0, username: 'alice2', role: 'customer', customerId: 'c-alice' },
    );
    assert.doesNotMatch(response.body, new RegExp(PASSWORD));
    const session = await signIn(h, 'alice2');
    const me = await h.app.inject({ url: '/api/session', headers: { cookie: session.cookie } });
    assert.equal(me.json().user.customerId, 'c-alice');

    const adminUser = await call('POST', '/api/admin/users', {
      username: 'ops',
      password: PASSWORD,
      role: 'admin',
    });
    assert.equal(adminUser.statusCode, 201, adminUser.body);
    assert.equal(adminUser.json().customerId, null);
  });

  test('each bad field is named', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ username: 'x1', password: 'short', role: 'admin' }, 'password'],
      [
        { username: 'alice', password: PASSWORD, role: 'customer', customerId: 'c-alice' },
        'username',
      ],
      [{ username: 'x2', password: PASSWORD, role: 'customer' }, 'customerId'],
      [
        { username: 'x3', password: PASSWORD, role: 'customer', customerId: 'c-nobody' },
        'customerId',
      ],
      [{ username: 'x4', password: PASSWORD, role: 'admin', customerId: 'c-alice' }, 'customerId'],
      [{ username: 'x5', password: PASSWORD, role: 'root' }, 'role'],
      [{ username: 'Not Valid!', password: PASSWORD, role: 'admin' }, 'username'],
    ];
    for (const [body, field] of cases) {
      const response = await call('POST', '/api/admin/users', body);
      assert.equal(response.statusCode, 400, `${JSON.stringify(body)}: ${response.body}`);
      assert.equal(response.json().error.fields[0].field, field, response.body);
    }
  });
});

describe('users: list, delete, reset passwords; each user changes their own', () => {
  test('lists every user without a password; deletes one and ends its sessions', async () => {
    const list = await call('GET', '/api/admin/users');
    assert.equal(list.statusCode, 200, list.body);
    const users = list.json().users as { id: number; username: string; role: string }[];
    assert.deepEqual(
      users.map((u) => [u.username, u.role]),
      [
        ['root', 'admin'],
        ['alice', 'customer'],
        ['bob', 'customer'],
      ],
    );
    assert.doesNotMatch(list.body, /hash|scrypt/i);
    const aliceId = users.find((u) => u.username === 'alice')!.id;
    const gone = await call('DELETE', `/api/admin/users/${aliceId}`);
    assert.equal(gone.statusCode, 204, gone.body);
    const me = await h.app.inject({ url: '/api/session', headers: { cookie: alice.cookie } });
    assert.equal(me.statusCode, 401, 'her session ended with her');
    assert.equal((await call('DELETE', `/api/admin/users/${aliceId}`)).statusCode, 404);
    assert.equal((await call('DELETE', '/api/admin/users/abc')).statusCode, 400);
  });

  test('the last administrator and the user doing it cannot be deleted', async () => {
    const rootId = (await h.auth.listUsers()).find((u) => u.username === 'root')!.id;
    const last = await call('DELETE', `/api/admin/users/${rootId}`);
    assert.equal(last.statusCode, 400);
    assert.equal(last.json().error.fields[0].code, 'user.last_admin');
    const root = await signIn(h, 'root');
    const self = await call('DELETE', `/api/admin/users/${rootId}`, undefined, {
      cookie: root.cookie,
      'x-csrf-token': root.csrf,
    });
    assert.equal(self.json().error.fields[0].code, 'user.cannot_delete_self');
    assert.equal((await h.auth.listUsers()).length, 3, 'nothing deleted');
  });

  test('a reset password works at once, the old one no longer, and sessions end', async () => {
    const aliceId = (await h.auth.listUsers()).find((u) => u.username === 'alice')!.id;
    const short = await call('PUT', `/api/admin/users/${aliceId}/password`, { password: 'short' });
    assert.equal(short.statusCode, 400);
    assert.equal(short.json().error.fields[0].field, 'password');
    const reset = await call('PUT', `/api/admin/users/${aliceId}/password`, {
      password: 'a brand new passphrase',
    });
    assert.equal(reset.statusCode, 204, reset.body);
    const me = await h.app.inject({ url: '/api/session', headers: { cookie: alice.cookie } });
    assert.equal(me.statusCode, 401);
    const old = await h.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { username: 'alice', password: PASSWORD },
    });
    assert.equal(old.statusCode, 401);
    const fresh = await h.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { username: 'alice', password: 'a brand new passphrase' },
    });
    assert.equal(fresh.statusCode, 200);
    assert.equal(
      (await call('PUT', '/api/admin/users/999999/password', { password: PASSWORD + 'x' }))
        .statusCode,
      404,
    );
  });

  test('a customer changes their own password with the current one; other sessions end', async () => {
    const other = await signIn(h, 'alice');
    const change = (body: object) =>
      h.app.inject({
        method: 'PUT',
        url: '/api/session/password',
        headers: asAlice(),
        payload: body,
      });
    const wrong = await change({
      currentPassword: 'not it at all',
      newPassword: 'my new passphrase',
    });
    assert.equal(wrong.statusCode, 400);
    assert.equal(wrong.json().error.fields[0].field, 'currentPassword');
    const short = await change({ currentPassword: PASSWORD, newPassword: 'short' });
    assert.equal(short.json().error.fields[0].field, 'newPassword');
    const done = await change({ currentPassword: PASSWORD, newPassword: 'my new passphrase' });
    assert.equal(done.statusCode, 204, done.body);
    const still = await h.app.inject({ url: '/api/session', headers: { cookie: alice.cookie } });
    assert.equal(still.statusCode, 200, 'the session that changed it stays');
    const ended = await h.app.inject({ url: '/api/session', headers: { cookie: other.cookie } });
    assert.equal(ended.statusCode, 401, 'the other session ended');
    // An API token has no password of its own.
    const token = await call('PUT', '/api/session/password', {
      currentPassword: PASSWORD,
      newPassword: 'my new passphrase',
    });
    assert.equal(token.statusCode, 400);
  });
});

describe('API tokens', () => {
  test('created with a scope and shown once, listed without it, revoked at once', async () => {
    const made = await call('POST', '/api/admin/tokens', {
      name: 'Dashboard',
      role: 'customer',
      customerId: 'c-alice',
      scope: 'read',
    });
    assert.equal(made.statusCode, 201, made.body);
    const { id, token } = made.json() as { id: number; token: string };
    const list = await call('GET', '/api/admin/tokens');
    const listed = (list.json().tokens as { id: number }[]).find((t) => t.id === id);
    assert.deepEqual(
      { ...listed, createdAt: 'x' },
      {
        id,
        name: 'Dashboard',
        role: 'customer',
        customerId: 'c-alice',
        scope: 'read',
        createdAt: 'x',
        lastUsedAt: null,
      },
    );
    assert.ok(!list.body.includes(token), 'the token itself is never shown again');

    const bearer = { authorization: `Bearer ${token}` };
    const read = await h.app.inject({ url: '/api/session', headers: bearer });
    assert.equal(read.statusCode, 200, read.body);
    assert.equal(read.json().user.customerId, 'c-alice');
    const write = await h.app.inject({
      method: 'DELETE',
      url: '/api/session',
      headers: bearer,
    });
    assert.equal(write.statusCode, 403);
    assert.equal(write.json().error.code, 'auth.token_read_only');

    assert.equal((await call('DELETE', `/api/admin/tokens/${id}`)).statusCode, 204);
    const after = await h.app.inject({ url: '/api/session', headers: bearer });
    assert.equal(after.statusCode, 401);
    assert.equal((await call('DELETE', `/api/admin/tokens/${id}`)).statusCode, 404);
  });

  test('a full token changes things; a token for an unknown customer is refused', async () => {
    const full = await call('POST', '/api/admin/tokens', { name: 'Panel 2', role: 'admin' });
    assert.equal(full.statusCode, 201, full.body);
    const bearer = { authorization: `Bearer ${full.json().token}` };
    const user = await h.app.inject({
      method: 'POST',
      url: '/api/admin/users',
      headers: bearer,
      payload: { username: 'ops2', password: PASSWORD, role: 'admin' },
    });
    assert.equal(user.statusCode, 201, user.body);
    const unknown = await call('POST', '/api/admin/tokens', {
      name: 'X',
      role: 'customer',
      customerId: 'c-nobody',
    });
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().error.fields[0].field, 'customerId');
    const customerOnly = await call('GET', '/api/admin/tokens', undefined, asAlice());
    assert.equal(customerOnly.statusCode, 403);
  });
});

describe('server-wide schedules', () => {
  test('entire server and single customer; never shown to the customer', async () => {
    const entire = await call('POST', '/api/admin/schedules', {
      mode: 'entire',
      ...serverSchedule,
    });
    assert.equal(entire.statusCode, 201, entire.body);
    assert.equal(entire.json().ownerKind, 'server');
    assert.equal(entire.json().customerId, null);

    const single = await call('POST', '/api/admin/schedules', {
      mode: 'single',
      customerId: 'c-alice',
      ...serverSchedule,
      name: 'Alice, offsite',
      frequency: 'hourly', // beyond her package: package limits do not bind the provider
      target: {
        kind: 's3',
        endpoint: 'https://s3.example.net',
        bucket: 'offsite',
        accessKeyId: 'AKIA',
        secretAccessKey: 'top-secret-key',
      },
    });
    assert.equal(single.statusCode, 201, single.body);
    assert.equal(single.json().customerId, 'c-alice');
    assert.equal(single.json().target.secretAccessKey, '********');

    const ofAlice = await call('GET', '/api/admin/schedules?customerId=c-alice');
    assert.deepEqual(
      ofAlice.json().schedules.map((s: { name: string }) => s.name),
      ['Alice, offsite'],
    );
    const server = await call('GET', '/api/admin/schedules?ownerKind=server');
    assert.equal(server.json().schedules.length, 2);

    const hers = await h.app.inject({ url: '/api/admin/schedules', headers: asAlice() });
    assert.equal(hers.statusCode, 403);
  });

  test('mode, customer and schedule fields are each checked', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...serverSchedule }, 'mode'],
      [{ mode: 'everyone', ...serverSchedule }, 'mode'],
      [{ mode: 'single', ...serverSchedule }, 'customerId'],
      [{ mode: 'single', customerId: 'c-nobody', ...serverSchedule }, 'customerId'],
      [{ mode: 'entire', customerId: 'c-alice', ...serverSchedule }, 'customerId'],
      [{ mode: 'entire', ...serverSchedule, name: '' }, 'name'],
      [{ mode: 'entire', ...serverSchedule, target: { kind: 's3' } }, 'target.endpoint'],
    ];
    for (const [body, field] of cases) {
      const response = await call('POST', '/api/admin/schedules', body);
      assert.equal(response.statusCode, 400, `${JSON.stringify(body)}: ${response.body}`);
      const fields = response.json().error.fields.map((f: { field: string }) => f.field);
      assert.ok(fields.includes(field), `${field} in ${response.body}`);
    }
    assert.equal((await call('GET', '/api/admin/schedules')).json().schedules.length, 0);
  });
});

describe('repository keys', () => {
  test('lists repositories and downloads a key as an attachment', async () => {
    const password = randomBytes(32).toString('base64url');
    const url = 's3:https://s3.example.net/bucket/server';
    const row = await h.store.db
      .insertInto('repositories')
      .values({
        url,
        owner: 'server',
        target_kind: 's3',
        password_sealed: keyring.seal(password, url),
        created_at: '2026-11-01T00:00:00.000Z',
        initialized_at: '2026-11-01T00:00:05.000Z',
      })
      .returning('id')
      .executeTakeFirstOrThrow();

    const list = await call('GET', '/api/admin/repositories');
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json().repositories, [
      {
        id: row.id,
        url,
        owner: 'server',
        targetKind: 's3',
        createdAt: '2026-11-01T00:00:00.000Z',
        initializedAt: '2026-11-01T00:00:05.000Z',
      },
    ]);
    assert.doesNotMatch(list.body, new RegExp(password));

    const key = await call('GET', `/api/admin/repositories/${row.id}/key`);
    assert.equal(key.statusCode, 200);
    assert.equal(key.body, `${password}\n`);
    assert.match(String(key.headers['content-type']), /^text\/plain/);
    assert.equal(key.headers['content-disposition'], 'attachment; filename="hostvault-server.key"');
    assert.equal(key.headers['cache-control'], 'no-store');

    assert.equal((await call('GET', '/api/admin/repositories/999/key')).statusCode, 404);
    const bad = await call('GET', '/api/admin/repositories/abc/key');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.fields[0].field, 'id');
  });
});

describe('customer life cycle', () => {
  test('suspend, reactivate, terminate: a final backup per schedule, the state and the audit', async () => {
    await (routeDeps().schedules as ScheduleService).create({ role: 'admin' }, 'c-alice', {
      name: 'Web',
      scope: 'web',
      frequency: 'daily',
      retention: 3,
      target: { kind: 'local', path: join(dir, 'repos') },
    });
    const suspended = await call('POST', '/api/admin/customers/c-alice/suspend', {});
    assert.equal(suspended.statusCode, 200, suspended.body);
    assert.equal(suspended.json().state, 'suspended');
    const [finalJob] = suspended.json().finalBackupJobs as number[];
    assert.equal((await h.jobs.get(finalJob!))?.type, 'backup', 'a final backup was queued');
    await h.store.db.updateTable('jobs').set({ status: 'successful' }).execute();
    assert.equal(
      (await call('POST', '/api/admin/customers/c-alice/reactivate')).json().state,
      'active',
    );
    const terminated = await call('POST', '/api/admin/customers/c-alice/terminate', {});
    assert.equal(terminated.statusCode, 200, terminated.body);
    assert.equal(terminated.json().purgeAfter, '2026-12-11T00:00:00.000Z');
    const again = await call('POST', '/api/admin/customers/c-alice/terminate', {});
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'lifecycle.terminated');
    const audit = await call('GET', '/api/admin/customers/c-alice/lifecycle/audit');
    assert.deepEqual(
      (audit.json().entries as { action: string }[]).map((e) => e.action),
      ['suspend', 'reactivate', 'terminate'],
    );
    assert.equal((await call('POST', '/api/admin/customers/c-nobody/suspend', {})).statusCode, 404);
  });

  test('purge of a path: a relative path and restic 0.14 are refused, nothing queued', async () => {
    const relative = await call('POST', '/api/admin/customers/c-alice/purge-path', {
      path: 'public_html/secret.txt',
    });
    assert.equal(relative.statusCode, 400);
    assert.equal(relative.json().error.code, 'lifecycle.path_invalid');
    resticVersion = 'restic 0.14.0';
    const old = await call('POST', '/api/admin/customers/c-alice/purge-path', {
      path: join(dir, 'c-alice/public_html/secret.txt'),
    });
    assert.equal(old.statusCode, 409);
    assert.equal(old.json().error.code, 'lifecycle.rewrite_unsupported');
    assert.match(old.json().error.message, /restic 0\.14\.0/);
    assert.equal((await h.jobs.list({ type: 'lifecycle' })).length, 0);
    resticVersion = 'restic 0.18.0';
    const queued = await call('POST', '/api/admin/customers/c-alice/purge-path', {
      path: join(dir, 'c-alice/public_html/secret.txt'),
    });
    assert.equal(queued.statusCode, 202, queued.body);
    assert.equal((await h.jobs.get(queued.json().jobId))?.type, 'lifecycle');
  });
});
