/**
 * Saving a schedule's target: control characters and customers' private servers refused with
 * nothing stored, a masked secret kept only for the same login, the origin of a target following
 * who chose its server, and CA certificate files removed when no schedule uses them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { InventoryService } from '../inventory/inventory-service.js';
import { JobStore } from '../job/job-store.js';
import { Keyring } from '../repository/keyring.js';
import { RepositoryService } from '../repository/repository-service.js';
import type { Store } from '../store/index.js';
import { openTestStore } from '../../test/support/store.js';
import { AddressPolicy } from '../target/address-policy.js';
import { caCertFileName, sweepCaCerts, writeCaCert } from '../host/ca-certs.js';
import { chosenByProvider } from '../target/origin.js';
import type { Viewer } from '../auth/viewer.js';
import { ScheduleDeletion } from './schedule-deletion.js';
import { ScheduleInputError, ScheduleService } from './schedule-service.js';

let dir: string;
let store: Store;
let schedules: ScheduleService;
let deletion: ScheduleDeletion;
const alice: Viewer = { role: 'customer', customerId: 'alice' };
const admin: Viewer = { role: 'admin' };

/** Public documentation addresses for the names used here; anything else is not found. */
const addresses = new AddressPolicy(
  { allow: [], deny: [] },
  {
    resolve: async (host) => {
      const known: Record<string, string[]> = {
        'ftp.example.net': ['203.0.113.21'],
        'alice.example.net': ['203.0.113.22'],
        's3.example.net': ['203.0.113.23'],
        'rebound.example.net': ['127.0.0.1'],
      };
      if (known[host]) return known[host];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    },
  },
);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hv-schedule-targets-'));
  await mkdir(join(dir, 'alice'));
  store = await openTestStore();
  const inventory = new InventoryService({ store });
  const keyring = new Keyring(randomBytes(32));
  const jobs = new JobStore(store);
  schedules = new ScheduleService({
    store,
    keyring,
    customers: inventory,
    jobs,
    localRepositoryDir: join(dir, 'repos'),
    addresses,
    sweepCertificates: (inUse) => sweepCaCerts(join(dir, 'certs'), inUse),
  });
  deletion = new ScheduleDeletion({
    store,
    schedules,
    jobs,
    repositories: new RepositoryService({ store, keyring, targets: schedules.targets }),
    // Schedules are deleted keeping their snapshots here: nothing to forget on a server.
    agent: { forget: () => Promise.reject(new Error('no hosting server in this test')) },
  });
  await inventory.importInventory({
    packages: [
      { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 7, maxSchedules: 5 },
    ],
    customers: [
      {
        id: 'alice',
        name: 'Alice',
        linuxUser: 'alice',
        uid: 2000,
        gid: 2000,
        packageId: 'basic',
        webRoot: join(dir, 'alice'),
      },
    ],
  });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const ftp = {
  kind: 'ftp',
  host: 'ftp.example.net',
  user: 'provider',
  password: 'provider-password',
};
const form = (target: object, extra: object = {}) => ({
  name: 'Offsite',
  scope: 'web',
  frequency: 'daily',
  retention: 3,
  target,
  ...extra,
});

async function refused(work: Promise<unknown>): Promise<{ field: string; message: string }[]> {
  try {
    await work;
  } catch (error) {
    if (error instanceof ScheduleInputError)
      return error.fields.map(({ field, message }) => ({ field, message }));
    throw error;
  }
  assert.fail('the save was accepted');
}

async function rows() {
  return store.db.selectFrom('schedules').selectAll().execute();
}

describe('control characters', () => {
  test('in the name or any target field: refused, naming the field, and nothing is stored', async () => {
    const attack = 'x\r\nHELO a\r\nMAIL FROM:<a@example.net>';
    const cases: [object, string, string][] = [
      [form({ ...ftp, user: attack }), 'target.user', 'The user name'],
      [form({ ...ftp, password: attack }), 'target.password', 'The password'],
      [form({ ...ftp, host: attack }), 'target.host', 'The server name'],
      [form({ ...ftp, baseDir: `a\u2028b` }), 'target.baseDir', 'The directory'],
      [form(ftp, { name: `Nightly\u0085Bcc: x` }), 'name', 'The name'],
      [
        form({
          kind: 's3',
          endpoint: 'https://s3.example.net',
          bucket: 'bkt',
          accessKeyId: 'AK\nX',
          secretAccessKey: 's',
        }),
        'target.accessKeyId',
        'The access key',
      ],
    ];
    for (const [body, field, subject] of cases) {
      assert.deepEqual(await refused(schedules.create(alice, 'alice', body)), [
        { field, message: `${subject} must not contain line breaks or other control characters.` },
      ]);
    }
    assert.deepEqual(await rows(), []);
    const saved = await schedules.create(admin, 'alice', form(ftp));
    const before = await rows();
    assert.deepEqual(
      await refused(schedules.update(admin, saved.id, form({ ...ftp, user: attack }))),
      [
        {
          field: 'target.user',
          message: 'The user name must not contain line breaks or other control characters.',
        },
      ],
    );
    assert.deepEqual(await rows(), before, 'the edit changed nothing');
  });
});

describe('where a target may point', () => {
  test("a customer's private or loopback server is refused at save; the provider's is not", async () => {
    for (const host of ['127.0.0.1', '10.0.0.5', '[::1]', 'rebound.example.net']) {
      const fields = await refused(schedules.create(alice, 'alice', form({ ...ftp, host })));
      assert.equal(fields[0]?.field, 'target.host', host);
      assert.match(fields[0]?.message ?? '', /^Backups cannot go to /);
    }
    const s3 = await refused(
      schedules.create(
        alice,
        'alice',
        form({
          kind: 's3',
          endpoint: 'http://127.0.0.1:8420',
          bucket: 'bkt',
          accessKeyId: 'a',
          secretAccessKey: 's',
        }),
      ),
    );
    assert.equal(s3[0]?.field, 'target.endpoint');
    assert.deepEqual(await rows(), []);

    const provider = await schedules.create(admin, 'alice', form({ ...ftp, host: '10.0.0.5' }));
    const row = await schedules.getRow(admin, provider.id);
    assert.equal((await schedules.targetRecord(row)).origin, 'provider');
    assert.equal(chosenByProvider(await schedules.target(row)), true);
    const server = await schedules.createServerWide(null, form({ ...ftp, host: '127.0.0.1' }));
    assert.equal(
      (await schedules.targetRecord(await schedules.getRow(admin, server.id))).origin,
      'provider',
    );

    const own = await schedules.create(alice, 'alice', form({ ...ftp, host: 'alice.example.net' }));
    const ownRow = await schedules.getRow(admin, own.id);
    assert.equal((await schedules.targetRecord(ownRow)).origin, 'customer');
    assert.equal(chosenByProvider(await schedules.target(ownRow)), false);
  });

  test('a name that does not resolve is saved: every test and run checks it again', async () => {
    const saved = await schedules.create(
      alice,
      'alice',
      form({ ...ftp, host: 'later.example.net' }),
    );
    assert.equal(saved.target.host, 'later.example.net');
  });

  test("the origin follows who chose the server: the customer's edits of the provider's target keep it until the server changes", async () => {
    const saved = await schedules.create(admin, 'alice', form({ ...ftp, host: '10.0.0.5' }));
    const shown = saved.target;

    const hour = await schedules.update(alice, saved.id, form(shown, { hour: 5 }));
    assert.equal(hour.hour, 5);
    let row = await schedules.getRow(admin, saved.id);
    assert.equal((await schedules.targetRecord(row)).origin, 'provider');
    assert.equal(
      ((await schedules.target(row)) as { password: string }).password,
      'provider-password',
    );

    const moved = await refused(
      schedules.update(alice, saved.id, form({ ...shown, host: '10.0.0.6', password: 'typed' })),
    );
    assert.equal(moved[0]?.field, 'target.host');

    await schedules.update(
      alice,
      saved.id,
      form({ ...shown, host: 'alice.example.net', password: 'alice-password' }),
    );
    row = await schedules.getRow(admin, saved.id);
    assert.equal((await schedules.targetRecord(row)).origin, 'customer');

    // An administrator who edits the schedule without choosing a new server does not vouch for it.
    await schedules.update(
      admin,
      saved.id,
      form({ ...shown, host: 'alice.example.net' }, { hour: 7 }),
    );
    row = await schedules.getRow(admin, saved.id);
    assert.equal((await schedules.targetRecord(row)).origin, 'customer');
    assert.equal(
      ((await schedules.target(row)) as { password: string }).password,
      'alice-password',
    );
  });
});

describe('a masked secret on edit', () => {
  test('kept for the same login; a new host, port, user or kind asks for it again and changes nothing', async () => {
    const saved = await schedules.create(admin, 'alice', form(ftp));
    const shown = saved.target;
    assert.equal(shown.password, '********');
    const before = await rows();
    for (const change of [
      { host: 'alice.example.net' },
      { port: 2121 },
      { user: 'alice' },
      { explicitTls: true },
    ]) {
      assert.deepEqual(
        await refused(schedules.update(alice, saved.id, form({ ...shown, ...change }))),
        [
          {
            field: 'target.password',
            message: 'Enter the password again for the new server.',
          },
        ],
        JSON.stringify(change),
      );
    }
    const s3 = await refused(
      schedules.update(
        alice,
        saved.id,
        form({
          kind: 's3',
          endpoint: 'https://s3.example.net',
          bucket: 'bkt',
          accessKeyId: 'a',
          secretAccessKey: '********',
        }),
      ),
    );
    assert.equal(s3[0]?.field, 'target.secretAccessKey');
    assert.deepEqual(await rows(), before);

    await schedules.update(alice, saved.id, form({ ...shown, baseDir: 'alice' }));
    const row = await schedules.getRow(admin, saved.id);
    assert.deepEqual(await schedules.target(row), {
      ...ftp,
      port: 21,
      baseDir: 'alice',
      explicitTls: false,
      connections: 2,
    });
  });
});

describe('CA certificate files', () => {
  const pem = (n: number) => `-----BEGIN CERTIFICATE-----\nMIIB${n}\n-----END CERTIFICATE-----\n`;
  const s3 = (caCert: string) => ({
    kind: 's3',
    endpoint: 'https://s3.example.net',
    bucket: 'bkt',
    accessKeyId: 'a',
    secretAccessKey: 's',
    caCert,
  });

  test('a file no schedule uses any more is removed at start, on save and on delete', async () => {
    const certs = join(dir, 'certs');
    const first = await schedules.create(admin, 'alice', form(s3(pem(1))));
    const second = await schedules.create(admin, 'alice', form(s3(pem(1)), { name: 'Second' }));
    // Runs write the files; one is left from a target that no longer exists.
    await writeCaCert(pem(1), certs);
    await writeCaCert(pem(9), certs);
    assert.deepEqual(await schedules.sweepCertificates(), [caCertFileName(pem(9))]);
    assert.deepEqual(await readdir(certs), [caCertFileName(pem(1))]);

    await schedules.update(admin, first.id, form(s3(pem(2))));
    await writeCaCert(pem(2), certs);
    assert.equal((await readdir(certs)).length, 2, 'the second schedule still uses the first one');
    await deletion.delete(admin, second.id, 'keep');
    assert.deepEqual(await readdir(certs), [caCertFileName(pem(2))]);
    await deletion.delete(admin, first.id, 'keep');
    assert.deepEqual(await readdir(certs), []);
  });
});

describe('a vault target', () => {
  const vault = {
    kind: 'vault',
    url: 'https://vault.example.net:8421',
    user: 'web01',
    password: 'vault-credential',
  };

  test("the provider's choice: saved and sealed for the provider, kept through a customer's edit, never entered by a customer", async () => {
    const saved = await schedules.create(admin, 'alice', form(vault));
    assert.deepEqual(saved.target, { ...vault, password: '********' });
    let row = await schedules.getRow(admin, saved.id);
    const record = await schedules.targetRecord(row);
    assert.equal(record.origin, 'provider');
    assert.equal(chosenByProvider(record.target), true);
    const stored = await store.db
      .selectFrom('targets')
      .select(['kind', 'sealed'])
      .where('id', '=', record.id)
      .executeTakeFirstOrThrow();
    assert.equal(stored.kind, 'vault');
    assert.ok(!stored.sealed.includes('vault-credential'), 'the credential is sealed');

    // The customer changes the hour of the provider's vault schedule: the vault stays.
    await schedules.update(alice, saved.id, form(saved.target, { hour: 5 }));
    row = await schedules.getRow(admin, saved.id);
    assert.equal(row.hour, 5);
    assert.equal((await schedules.targetRecord(row)).origin, 'provider');
    assert.equal(
      ((await schedules.target(row)) as { password: string }).password,
      'vault-credential',
    );

    // Another vault, or one of the customer's own: refused, nothing changed.
    const before = await rows();
    for (const attempt of [
      schedules.update(
        alice,
        saved.id,
        form({ ...vault, url: 'https://alice.example.net:8421', password: 'mine' }),
      ),
      schedules.create(alice, 'alice', form({ ...vault, url: 'https://alice.example.net' })),
    ]) {
      const fields = await refused(attempt);
      assert.equal(fields[0]?.field, 'target.url');
      assert.match(fields[0]!.message, /hosting provider/);
    }
    assert.deepEqual(await rows(), before);
  });
});
