import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { InventoryService } from '../inventory/inventory-service.js';
import { Keyring } from '../repository/keyring.js';
import { ScheduleService } from '../schedule/schedule-service.js';
import { AddressPolicy } from '../target/address-policy.js';
import type { ProbeOptions, ProbeResult } from '../host/probe.js';
import type { Target } from '../target/schema.js';
import { targetRoutes } from './target-routes.js';
import { harness, signIn, type Harness } from '../../test/support/api-harness.js';

let h: Harness;
let schedules: ScheduleService;
let probed: Target[];
let probeOptions: ProbeOptions[];
let hold = false;
let release: () => void = () => undefined;
let alice: { cookie: string; csrf: string };
let bob: { cookie: string; csrf: string };

const OK: ProbeResult = {
  ok: true,
  steps: [
    { step: 'reach', message: 'r' },
    { step: 'authenticate', message: 'a' },
    { step: 'write', message: 'w' },
    { step: 'delete', message: 'd' },
  ],
};

/**
 * The names of this file as a resolver would answer them: public documentation addresses, and
 * one name that leads to loopback. Everything else is not found, as on a machine without DNS.
 */
const DNS: Record<string, string[]> = {
  'ftp.example.net': ['203.0.113.21'],
  'other.example.net': ['203.0.113.22'],
  's3.example.net': ['203.0.113.23'],
  'inside.example.net': ['203.0.113.24', '10.1.2.3'],
};
const addresses = new AddressPolicy(
  { allow: [], deny: [] },
  {
    resolve: async (host) => {
      const found = DNS[host];
      if (!found) throw Object.assign(new Error(`${host} not found`), { code: 'ENOTFOUND' });
      return found;
    },
  },
);

beforeEach(async () => {
  probed = [];
  probeOptions = [];
  hold = false;
  const late: { schedules?: ScheduleService } = {};
  h = await harness(
    {},
    {
      modules: [
        targetRoutes({
          maxConcurrent: 1,
          addresses,
          schedules: {
            getRow: (viewer, id) => late.schedules!.getRow(viewer, id),
            target: (row) => late.schedules!.target(row),
          },
          async probe(target, opts) {
            probed.push(target);
            probeOptions.push(opts);
            if (!hold) return OK;
            await new Promise<void>((resolve) => (release = resolve));
            return OK;
          },
        }),
      ],
    },
  );
  const inventory = new InventoryService({ store: h.store });
  schedules = new ScheduleService({
    store: h.store,
    keyring: new Keyring(randomBytes(32)),
    customers: inventory,
    jobs: h.jobs,
    localRepositoryDir: '/var/lib/hostvault/repositories',
    addresses,
  });
  late.schedules = schedules;
  await h.store.db
    .insertInto('packages')
    .values({
      id: 'basic',
      name: 'Basic',
      frequencies: '["daily"]',
      max_retention: 7,
      max_schedules: 3,
      storage_quota_bytes: null,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    })
    .execute();
  for (const id of ['c-alice', 'c-bob']) {
    await h.store.db
      .insertInto('customers')
      .values({
        id,
        name: id,
        linux_user: id.slice(2),
        uid: 2000,
        gid: 2000,
        package_id: 'basic',
        web_root: `/home/${id}/public_html`,
        database_user: null,
        databases: '[]',
        mailboxes: '[]',
        ssl_files: '[]',
        config_files: '[]',
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z',
      })
      .execute();
  }
  alice = await signIn(h, 'alice');
  bob = await signIn(h, 'bob');
});
afterEach(async () => {
  await h.close();
});

const as = (who: { cookie: string; csrf: string }) => ({
  cookie: who.cookie,
  'x-csrf-token': who.csrf,
});

const ftp = {
  kind: 'ftp',
  host: 'ftp.example.net',
  user: 'alice',
  password: 'alice-ftp-password',
  baseDir: 'backups',
};

function test_(who: { cookie: string; csrf: string }, payload: object) {
  return h.app.inject({ method: 'POST', url: '/api/targets/test', headers: as(who), payload });
}

describe('POST /api/targets/test', () => {
  test('a customer tests an FTP target; the probe gets the validated target', async () => {
    const response = await test_(alice, { target: ftp });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), OK);
    assert.equal(probed.length, 1);
    assert.equal(probed[0]?.kind, 'ftp');
    assert.equal((probed[0] as { port: number }).port, 21, 'defaults applied');
  });

  test("a customer's local target is the provider's directory: answered without a probe", async () => {
    const response = await test_(alice, { target: { kind: 'local', path: '/etc' } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().ok, true);
    assert.deepEqual(probed, []);
  });

  test("a vault is the provider's to test; a customer's own answers 400 and nothing is probed", async () => {
    const vault = {
      kind: 'vault',
      url: 'https://vault.example.net:8421',
      user: 'web1',
      password: 'vault-credential',
    };
    const refused = await test_(alice, { target: vault });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal(refused.json().error.fields[0].code, 'target.vault_provider_only');
    assert.deepEqual(probed, []);
    const provider = await h.app.inject({
      method: 'POST',
      url: '/api/targets/test',
      headers: { authorization: `Bearer ${h.adminToken}` },
      payload: { target: vault },
    });
    assert.equal(provider.statusCode, 200, provider.body);
    assert.deepEqual(probed, [vault]);
  });

  test('an administrator tests a local directory for real', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/targets/test',
      headers: { authorization: `Bearer ${h.adminToken}` },
      payload: { target: { kind: 'local', path: '/srv/backups' } },
    });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(probed, [{ kind: 'local', path: '/srv/backups' }]);
  });

  test('each bad field of the form is named; nothing is probed', async () => {
    const cases: [object, string][] = [
      [{}, 'target'],
      [{ target: { kind: 'webdav' } }, 'target.kind'],
      [{ target: { ...ftp, host: '' } }, 'target.host'],
      [{ target: { ...ftp, port: 70000 } }, 'target.port'],
      [
        {
          target: {
            kind: 's3',
            endpoint: 'ftp://x',
            bucket: 'b',
            accessKeyId: 'a',
            secretAccessKey: 's',
          },
        },
        'target.endpoint',
      ],
      [{ target: ftp, scheduleId: 'x' }, 'scheduleId'],
      [{ target: ftp, extra: 1 }, 'extra'],
    ];
    for (const [payload, field] of cases) {
      const response = await test_(alice, payload);
      assert.equal(response.statusCode, 400, `${JSON.stringify(payload)}: ${response.body}`);
      const fields = response.json().error.fields.map((f: { field: string }) => f.field);
      assert.ok(fields.includes(field), `${field} in ${response.body}`);
    }
    assert.deepEqual(probed, []);
  });

  test("a masked secret is taken from the caller's own saved schedule, never another's", async () => {
    const saved = await schedules.create({ role: 'customer', customerId: 'c-alice' }, 'c-alice', {
      name: 'Offsite',
      scope: 'web',
      frequency: 'daily',
      retention: 3,
      target: ftp,
    });
    const masked = { ...ftp, password: '********' };

    const own = await test_(alice, { target: masked, scheduleId: saved.id });
    assert.equal(own.statusCode, 200, own.body);
    assert.equal((probed[0] as { password: string }).password, 'alice-ftp-password');

    const other = await test_(bob, { target: masked, scheduleId: saved.id });
    const missing = await test_(bob, { target: masked, scheduleId: 999 });
    assert.equal(other.statusCode, 404);
    assert.equal(other.body, missing.body);

    const unsaved = await test_(alice, { target: masked });
    assert.equal(unsaved.statusCode, 400);
    assert.equal(unsaved.json().error.fields[0].field, 'target.password');
    assert.equal(probed.length, 1);
  });

  test('tests beyond the limit at once answer 429; signed-out callers 401', async () => {
    hold = true;
    const first = test_(alice, { target: ftp });
    while (probed.length === 0) await new Promise((r) => setTimeout(r, 5));
    const second = await test_(bob, { target: ftp });
    assert.equal(second.statusCode, 429);
    assert.equal(second.headers['retry-after'], '5');
    hold = false;
    release();
    assert.equal((await first).statusCode, 200);
    assert.equal((await test_(bob, { target: ftp })).statusCode, 200, 'the slot is free again');

    const anonymous = await h.app.inject({
      method: 'POST',
      url: '/api/targets/test',
      payload: { target: ftp },
    });
    assert.equal(anonymous.statusCode, 401);
  });
});

/** A schedule the provider made for Alice in the admin area, with the provider's FTP login. */
async function providerSchedule(host = 'ftp.example.net') {
  return schedules.create({ role: 'admin' }, 'c-alice', {
    name: 'Provider offsite',
    scope: 'web',
    frequency: 'daily',
    retention: 3,
    target: { ...ftp, host, user: 'provider', password: 'provider-ftp-password' },
  });
}

describe('a masked secret never follows a changed server', () => {
  test("the provider's password is used for the same login only; a new host, port or user asks again", async () => {
    const saved = await providerSchedule();
    const shown = saved.target;
    assert.equal(shown.password, '********');

    const same = await test_(alice, { target: shown, scheduleId: saved.id });
    assert.equal(same.statusCode, 200, same.body);
    assert.equal((probed[0] as { password: string }).password, 'provider-ftp-password');

    const changes: object[] = [
      { host: 'other.example.net' },
      { port: 2121 },
      { user: 'someone-else' },
      { explicitTls: true },
    ];
    for (const change of changes) {
      const response = await test_(alice, {
        target: { ...shown, ...change },
        scheduleId: saved.id,
      });
      assert.equal(response.statusCode, 400, JSON.stringify(change));
      assert.deepEqual(response.json().error, {
        code: 'validation.failed',
        message: 'Enter the password again for the new server.',
        fields: [
          {
            field: 'target.password',
            code: 'target.secret_required',
            message: 'Enter the password again for the new server.',
            params: { secret: 'password' },
          },
        ],
      });
    }
    assert.equal(probed.length, 1, 'nothing was probed with the stored password');

    const typed = await test_(alice, {
      target: { ...shown, host: 'other.example.net', password: 'typed-again' },
      scheduleId: saved.id,
    });
    assert.equal(typed.statusCode, 200);
    assert.equal((probed[1] as { password: string }).password, 'typed-again');
  });

  test('S3: a new endpoint, bucket, access key or addressing style asks for the secret key again', async () => {
    const s3 = {
      kind: 's3',
      endpoint: 'https://s3.example.net',
      bucket: 'provider-bucket',
      accessKeyId: 'AKPROVIDER',
      secretAccessKey: 'provider-secret-key',
      pathStyle: true,
    };
    const saved = await schedules.create({ role: 'admin' }, 'c-alice', {
      name: 'Provider S3',
      scope: 'web',
      frequency: 'daily',
      retention: 3,
      target: s3,
    });
    const shown = saved.target;
    for (const change of [
      { endpoint: 'https://other.example.net' },
      { bucket: 'alice-bucket' },
      { accessKeyId: 'AKALICE' },
      { pathStyle: false },
    ]) {
      const response = await test_(alice, {
        target: { ...shown, ...change },
        scheduleId: saved.id,
      });
      assert.equal(response.statusCode, 400, JSON.stringify(change));
      assert.equal(response.json().error.fields[0].field, 'target.secretAccessKey');
      assert.equal(response.json().error.message, 'Enter the secret key again for the new server.');
    }
    assert.equal(probed.length, 0);
    const same = await test_(alice, {
      target: { ...shown, prefix: 'alice' },
      scheduleId: saved.id,
    });
    assert.equal(same.statusCode, 200, same.body);
    assert.equal((probed[0] as { secretAccessKey: string }).secretAccessKey, 'provider-secret-key');
  });
});

describe("a customer's target may not lead to this server or a private network", () => {
  test('loopback, private, link-local, IPv6 loopback and names that lead there: 400, nothing probed', async () => {
    const cases: [object, string][] = [
      [{ ...ftp, host: '127.0.0.1' }, 'target.host'],
      [{ ...ftp, host: '10.0.0.1' }, 'target.host'],
      [{ ...ftp, host: '169.254.169.254' }, 'target.host'],
      [{ ...ftp, host: '[::1]' }, 'target.host'],
      [{ ...ftp, host: 'inside.example.net' }, 'target.host'],
      [
        {
          kind: 's3',
          endpoint: 'http://127.0.0.1:8420',
          bucket: 'bkt',
          accessKeyId: 'a',
          secretAccessKey: 's',
        },
        'target.endpoint',
      ],
    ];
    for (const [target, field] of cases) {
      const response = await test_(alice, { target });
      assert.equal(response.statusCode, 400, `${JSON.stringify(target)}: ${response.body}`);
      const error = response.json().error;
      assert.equal(error.fields[0].field, field);
      assert.match(
        error.message,
        /^Backups cannot go to .*: it leads to this server or to a private network\./,
      );
      assert.ok(!error.message.includes('10.1.2.3'), 'the address behind a name stays unsaid');
    }
    assert.deepEqual(probed, []);
  });

  test('a name that does not resolve fails at reach without a probe', async () => {
    const response = await test_(alice, { target: { ...ftp, host: 'nowhere.example.net' } });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), {
      ok: false,
      step: 'reach',
      message:
        'The server name nowhere.example.net could not be found. Check the spelling of the address.',
      steps: [],
    });
    assert.deepEqual(probed, []);
  });

  test("the customer's probe connects to the checked address and reads the customer's texts; the provider's reads causes", async () => {
    assert.equal((await test_(alice, { target: ftp })).statusCode, 200);
    assert.deepEqual(probeOptions[0], { audience: 'customer', reachAddress: '203.0.113.21' });
    const admin = await h.app.inject({
      method: 'POST',
      url: '/api/targets/test',
      headers: { authorization: `Bearer ${h.adminToken}` },
      payload: { target: { ...ftp, host: '10.0.0.1' } },
    });
    assert.equal(admin.statusCode, 200, "the provider's own target may be private");
    assert.deepEqual(probeOptions[1], { audience: 'provider', reachAddress: undefined });
  });

  test("the provider's target keeps its server for the customer; a new private server is the customer's", async () => {
    const saved = await providerSchedule('10.0.0.7');
    const same = await test_(alice, { target: saved.target, scheduleId: saved.id });
    assert.equal(same.statusCode, 200, same.body);
    assert.equal((probed[0] as { host: string }).host, '10.0.0.7');
    const moved = await test_(alice, {
      target: { ...saved.target, host: '10.0.0.8', password: 'typed' },
      scheduleId: saved.id,
    });
    assert.equal(moved.statusCode, 400);
    assert.equal(moved.json().error.fields[0].field, 'target.host');
    assert.equal(probed.length, 1);
  });

  test('line breaks in any field: 400 in plain words, nothing probed', async () => {
    const attack = 'x\r\nHELO a\r\nMAIL FROM:<a@example.net>';
    for (const field of ['user', 'password', 'host', 'baseDir']) {
      const response = await test_(alice, { target: { ...ftp, [field]: attack } });
      assert.equal(response.statusCode, 400, field);
      assert.match(
        response.json().error.message,
        /must not contain line breaks or other control characters\.$/,
      );
      assert.ok(!response.body.includes('HELO'));
    }
    assert.deepEqual(probed, []);
  });
});

describe('Test connection is no port scanner', () => {
  test('10 tests a minute per customer, then 429 in plain words; others and later are not held up', async () => {
    let now = Date.parse('2026-11-28T10:00:00Z');
    await h.close();
    probed = [];
    h = await harness(
      {},
      {
        modules: [
          targetRoutes({
            addresses,
            now: () => now,
            schedules: {
              getRow: (viewer, id) => schedules.getRow(viewer, id),
              target: (row) => schedules.target(row),
            },
            async probe(target) {
              probed.push(target);
              return OK;
            },
          }),
        ],
      },
    );
    alice = await signIn(h, 'alice');
    bob = await signIn(h, 'bob');
    for (let i = 0; i < 10; i++) {
      now += 1_000;
      assert.equal((await test_(alice, { target: ftp })).statusCode, 200, `test ${i + 1}`);
    }
    const refused = await test_(alice, { target: { ...ftp, port: 2121 } });
    assert.equal(refused.statusCode, 429);
    assert.equal(
      refused.json().error.message,
      'You have started 10 connection tests within a minute. Try again in 51 s.',
    );
    assert.equal(refused.headers['retry-after'], '51');
    assert.equal(probed.length, 10);
    assert.equal((await test_(bob, { target: ftp })).statusCode, 200, 'another customer');
    for (let i = 0; i < 11; i++) {
      const provider = await h.app.inject({
        method: 'POST',
        url: '/api/targets/test',
        headers: { authorization: `Bearer ${h.adminToken}` },
        payload: { target: ftp },
      });
      assert.equal(provider.statusCode, 200, "the provider's own tests are not counted");
    }
    now += 51_000;
    assert.equal((await test_(alice, { target: ftp })).statusCode, 200, 'a minute later');
  });
});
