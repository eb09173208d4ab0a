import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { InventoryService } from '../inventory/inventory-service.js';
import { Keyring } from '../repository/keyring.js';
import { ScheduleService } from '../schedule/schedule-service.js';
import type { ProbeResult } from '../target/probe.js';
import type { Target } from '../target/schema.js';
import { targetRoutes } from './target-routes.js';
import { harness, signIn, type Harness } from './testing.js';

let h: Harness;
let schedules: ScheduleService;
let probed: Target[];
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

beforeEach(async () => {
  probed = [];
  hold = false;
  const late: { schedules?: ScheduleService } = {};
  h = await harness(
    {},
    {
      modules: [
        targetRoutes({
          maxConcurrent: 1,
          schedules: {
            getRow: (viewer, id) => late.schedules!.getRow(viewer, id),
            target: (row) => late.schedules!.target(row),
          },
          async probe(target) {
            probed.push(target);
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
