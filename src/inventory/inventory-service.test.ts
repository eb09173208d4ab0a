import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, afterEach, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Store } from '../store/index.js';
import { openTestStore } from '../../test/support/store.js';
import { InventoryService, type CustomerInput } from './inventory-service.js';
import { InventoryValidationError, PackageInUseError, type InventoryIssue } from './issues.js';
import { inventorySchema, type Package } from './schema.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostvault-inventory-'));
  for (const id of ['alice', 'bob', 'carol', 'dave']) await makeAreas(id);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let store: Store;
let inventory: InventoryService;
beforeEach(async () => {
  store = await openTestStore();
  let tick = 0;
  inventory = new InventoryService({
    store,
    now: () => new Date(Date.UTC(2026, 10, 28, 10, 0, tick++)),
  });
});
afterEach(async () => {
  await store.close();
});

const basic: Package = {
  id: 'basic',
  name: 'Basic',
  frequencies: ['daily', 'weekly'],
  maxRetention: 7,
  maxSchedules: 2,
};
const business: Package = {
  id: 'business',
  name: 'Business',
  frequencies: ['hourly', 'daily', 'weekly', 'monthly'],
  maxRetention: 30,
  maxSchedules: 10,
  storageQuotaBytes: 50 * 1024 ** 3,
};

async function makeAreas(id: string): Promise<void> {
  const home = join(dir, id);
  await mkdir(join(home, 'public_html'), { recursive: true });
  await mkdir(join(home, 'mail', 'info', 'Maildir', 'cur'), { recursive: true });
  await mkdir(join(home, 'mail', 'info', 'sieve'), { recursive: true });
  await mkdir(join(home, 'ssl'), { recursive: true });
  await writeFile(join(home, 'ssl', `${id}.crt`), 'cert');
  await writeFile(join(home, 'ssl', `${id}.key`), 'key');
  await writeFile(join(home, 'nginx.conf'), 'server {}');
}

function customer(id: string, overrides: Partial<CustomerInput> = {}): CustomerInput {
  const home = join(dir, id);
  return {
    id,
    name: `${id[0]!.toUpperCase()}${id.slice(1)} GmbH`,
    linuxUser: `hv-${id}`,
    uid: 2000 + id.length,
    gid: 2000 + id.length,
    packageId: 'basic',
    webRoot: join(home, 'public_html'),
    databases: [`${id}_wp`],
    databaseUser: `${id}_db`,
    mailboxes: [
      {
        address: `info@${id}.example`,
        maildir: join(home, 'mail', 'info', 'Maildir'),
        sieveDir: join(home, 'mail', 'info', 'sieve'),
      },
    ],
    sslFiles: [join(home, 'ssl', `${id}.crt`), join(home, 'ssl', `${id}.key`)],
    configFiles: [join(home, 'nginx.conf')],
    ...overrides,
  };
}

function doc(...customers: CustomerInput[]) {
  return { packages: [basic, business], customers };
}

async function snapshot() {
  return { packages: await inventory.listPackages(), customers: await inventory.listCustomers() };
}

/** Runs `fn`, expects an InventoryValidationError, returns its issues as `path: message` lines. */
async function issuesOf(fn: () => Promise<unknown>): Promise<string[]> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof InventoryValidationError, String(error));
    return error.issues.map((i: InventoryIssue) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected an InventoryValidationError');
}

describe('importInventory', () => {
  test('creates packages and customers that read back as imported', async () => {
    const input = doc(customer('bob', { packageId: 'business' }), customer('alice'));
    const result = await inventory.importInventory(input);
    assert.deepEqual(result, {
      packages: { created: ['basic', 'business'], updated: [], unchanged: [], deleted: [] },
      customers: { created: ['bob', 'alice'], updated: [], unchanged: [], deleted: [] },
    });
    const expected = inventorySchema.parse(input);
    assert.deepEqual(await inventory.listPackages(), expected.packages);
    assert.deepEqual(
      await inventory.listCustomers(),
      [...expected.customers].sort((a, b) => a.id.localeCompare(b.id)),
    );
    assert.deepEqual(await inventory.getCustomer('bob'), expected.customers[0]);
    assert.deepEqual(await inventory.getPackage('business'), business);
    assert.equal(await inventory.getCustomer('nobody'), undefined);
  });

  test('normalizes paths and fills defaults', async () => {
    await inventory.importInventory({
      packages: [basic],
      customers: [
        {
          ...customer('alice'),
          webRoot: `${join(dir, 'alice')}//public_html/`,
          databases: undefined,
          databaseUser: undefined,
          mailboxes: undefined,
          sslFiles: undefined,
          configFiles: undefined,
        },
      ],
    });
    const alice = await inventory.getCustomer('alice');
    assert.equal(alice?.webRoot, join(dir, 'alice', 'public_html'));
    assert.deepEqual(alice?.databases, []);
    assert.deepEqual(alice?.mailboxes, []);
    assert.equal('databaseUser' in (alice ?? {}), false);
  });

  test('a second import reports what changed; prune deletes what the document leaves out', async () => {
    await inventory.importInventory(doc(customer('alice'), customer('bob'), customer('carol')));
    const before = await store.db
      .selectFrom('customers')
      .select(['id', 'created_at', 'updated_at'])
      .orderBy('id')
      .execute();

    const again = await inventory.importInventory(
      doc(customer('alice'), customer('bob', { name: 'Bob AG' })),
    );
    assert.deepEqual(again.customers, {
      created: [],
      updated: ['bob'],
      unchanged: ['alice'],
      deleted: [],
    });
    assert.deepEqual(again.packages.unchanged, ['basic', 'business']);
    assert.equal((await inventory.getCustomer('bob'))?.name, 'Bob AG');
    assert.ok(await inventory.getCustomer('carol'), 'without prune, carol stays');

    const after = await store.db
      .selectFrom('customers')
      .select(['id', 'created_at', 'updated_at'])
      .orderBy('id')
      .execute();
    assert.deepEqual(after[0], before[0], 'an unchanged customer keeps its timestamps');
    assert.equal(after[1]?.created_at, before[1]?.created_at);
    assert.notEqual(after[1]?.updated_at, before[1]?.updated_at);

    const pruned = await inventory.importInventory(
      { packages: [basic], customers: [customer('alice')] },
      { prune: true },
    );
    assert.deepEqual(pruned.customers.deleted, ['bob', 'carol']);
    assert.deepEqual(pruned.packages.deleted, ['business']);
    assert.deepEqual(
      (await inventory.listCustomers()).map((c) => c.id),
      ['alice'],
    );
    assert.deepEqual(
      (await inventory.listPackages()).map((p) => p.id),
      ['basic'],
    );
  });

  test('reports every shape error with its field path in plain words', async () => {
    const lines = await issuesOf(() =>
      inventory.importInventory({
        packages: [{ ...basic, frequencies: ['yearly'], maxRetention: 1.5, colour: 'red' }],
        customers: [
          customer('alice'),
          { ...customer('bob'), uid: '2003', linuxUser: undefined },
          {
            ...customer('carol'),
            webRoot: 'var/www/carol',
            sslfiles: [],
            mailboxes: [{ address: 'not-an-address', maildir: '/srv/../etc' }],
          },
        ],
      }),
    );
    assert.deepEqual(lines, [
      'packages[0].frequencies[0]: Expected one of: hourly, daily, weekly, monthly; got "yearly".',
      'packages[0].maxRetention: Enter a whole number.',
      'packages[0].colour: Unknown field (check the spelling).',
      'customers[1].linuxUser: This field is required.',
      'customers[1].uid: Expected a number, got "2003".',
      'customers[2].webRoot: The path must be absolute (start with /).',
      'customers[2].mailboxes[0].address: Enter a valid e-mail address.',
      'customers[2].mailboxes[0].maildir: The path must not contain "..".',
      'customers[2].sslfiles: Unknown field (check the spelling).',
    ]);
  });

  test('refuses line breaks and other control characters in names, ids and paths; stores nothing', async () => {
    const before = await snapshot();
    const lines = await issuesOf(() =>
      inventory.importInventory({
        packages: [{ ...basic, name: 'Basic\r\nBcc: x@example.net' }, business],
        customers: [
          customer('alice', { name: 'Alice\nGmbH' }),
          customer('bob', { webRoot: `${join(dir, 'bob', 'public_html')}\n/etc` }),
          customer('carol', { packageId: 'basic\u2028' }),
          customer('dave', {
            mailboxes: [{ address: 'info@dave.example\r\nRCPT TO:<x@y.z>', maildir: '/srv' }],
          }),
        ],
      }),
    );
    const line = (path: string, subject: string) =>
      `${path}: ${subject} must not contain line breaks or other control characters.`;
    assert.deepEqual(lines, [
      line('packages[0].name', 'The package name'),
      line('customers[0].name', 'The customer name'),
      line('customers[1].webRoot', 'The path'),
      line('customers[2].packageId', 'The package id'),
      'customers[2].packageId: There is no package "basic\u2028" (known: basic, business).',
      line('customers[3].mailboxes[0].address', 'The e-mail address'),
    ]);
    assert.deepEqual(await snapshot(), before);
  });

  test('refuses a document that is not an object, naming the problem', async () => {
    assert.deepEqual(await issuesOf(() => inventory.importInventory(null)), [
      ': Expected an object (a map of fields), got null.',
    ]);
    assert.deepEqual(await issuesOf(() => inventory.importInventory({ customers: {} })), [
      'customers: Expected a list, got an object.',
    ]);
  });

  test('checks that every path exists and is of the right kind', async () => {
    const missing = join(dir, 'alice', 'mail', 'sales', 'Maildir');
    const lines = await issuesOf(() =>
      inventory.importInventory(
        doc(
          customer('alice', {
            mailboxes: [{ address: 'sales@alice.example', maildir: missing }],
            sslFiles: [join(dir, 'alice', 'ssl')],
          }),
          customer('bob', {
            webRoot: join(dir, 'bob', 'nginx.conf'),
            configFiles: [join(dir, 'bob', 'nginx.conf', 'x')],
          }),
        ),
      ),
    );
    assert.deepEqual(lines, [
      `customers[0].mailboxes[0].maildir: ${missing} does not exist.`,
      `customers[0].sslFiles[0]: ${join(dir, 'alice', 'ssl')} is not a regular file.`,
      `customers[1].webRoot: ${join(dir, 'bob', 'nginx.conf')} is not a directory.`,
      `customers[1].configFiles[0]: ${join(dir, 'bob', 'nginx.conf', 'x')} does not exist (a part of it is not a directory).`,
    ]);
  });

  test('refuses symbolic links and paths under them', async () => {
    const link = join(dir, 'alice-link');
    await symlink(join(dir, 'alice'), link);
    try {
      const lines = await issuesOf(() =>
        inventory.importInventory(
          doc(customer('alice', { webRoot: link, configFiles: [join(link, 'nginx.conf')] })),
        ),
      );
      assert.deepEqual(lines, [
        `customers[0].webRoot: ${link} is a symbolic link; give the real path (${join(dir, 'alice')}).`,
        `customers[0].configFiles[0]: ${join(link, 'nginx.conf')} lies under a symbolic link; give the real path (${join(dir, 'alice', 'nginx.conf')}).`,
      ]);
    } finally {
      await rm(link);
    }
  });

  test('checks packages: unknown ones, and stored ones only without prune', async () => {
    assert.deepEqual(
      await issuesOf(() =>
        inventory.importInventory({
          packages: [basic],
          customers: [customer('alice', { packageId: 'gold' })],
        }),
      ),
      ['customers[0].packageId: There is no package "gold" (known: basic).'],
    );
    await inventory.upsertPackage(business);
    // The stored package serves a customer of a document that does not list it…
    await inventory.importInventory({
      packages: [basic],
      customers: [customer('alice', { packageId: 'business' })],
    });
    // …but not when the import would delete it.
    assert.deepEqual(
      await issuesOf(() =>
        inventory.importInventory(
          { packages: [basic], customers: [customer('alice', { packageId: 'business' })] },
          { prune: true },
        ),
      ),
      ['customers[0].packageId: There is no package "business" (known: basic).'],
    );
  });

  test('refuses duplicate ids and anything two customers would share', async () => {
    const lines = await issuesOf(() =>
      inventory.importInventory({
        packages: [basic, business, { ...basic, name: 'Again' }],
        customers: [
          customer('alice'),
          customer('bob', {
            webRoot: join(dir, 'alice', 'public_html'),
            databases: ['alice_wp', 'bob_wp'],
            databaseUser: 'alice_db',
          }),
          customer('carol', {
            mailboxes: [
              {
                address: 'INFO@alice.example',
                maildir: join(dir, 'carol', 'mail', 'info', 'Maildir'),
              },
            ],
            sslFiles: [join(dir, 'alice', 'ssl', 'alice.key')],
          }),
          customer('dave', { webRoot: join(dir, 'dave') }),
          customer('alice', { name: 'Alice again' }),
        ],
      }),
    );
    assert.deepEqual(lines, [
      'packages[2].id: "basic" is listed twice (also packages[0]).',
      `customers[1].webRoot: ${join(dir, 'alice', 'public_html')} is also the web root of customer alice; customers must not share files or directories.`,
      'customers[1].databases[0]: The database "alice_wp" already belongs to customer alice.',
      'customers[1].databaseUser: The database user "alice_db" already belongs to customer alice.',
      'customers[2].mailboxes[0].address: The mailbox "info@alice.example" already belongs to customer alice.',
      `customers[2].sslFiles[0]: ${join(dir, 'alice', 'ssl', 'alice.key')} is also the SSL file of customer alice; customers must not share files or directories.`,
      // customers[3]: dave's web root holds dave's own mail, which is fine.
      'customers[4].id: "alice" is listed twice (also customers[0]).',
    ]);
  });

  test('a directory around another customer’s area is refused', async () => {
    const lines = await issuesOf(() =>
      inventory.importInventory(doc(customer('alice'), customer('bob', { webRoot: dir }))),
    );
    assert.deepEqual(lines, [
      `customers[1].webRoot: ${dir} contains the maildir of customer alice (${join(dir, 'alice', 'mail', 'info', 'Maildir')}); customers must not share files or directories.`,
    ]);
  });

  test('without prune, the document must not clash with stored customers it leaves out', async () => {
    await inventory.importInventory(doc(customer('alice')));
    assert.deepEqual(
      await issuesOf(() =>
        inventory.importInventory(
          doc(customer('bob', { configFiles: [join(dir, 'alice', 'nginx.conf')] })),
        ),
      ),
      [
        `customers[0].configFiles[0]: ${join(dir, 'alice', 'nginx.conf')} is also the configuration file of customer alice; customers must not share files or directories.`,
      ],
    );
    // With prune, alice goes, so bob may take her file.
    await inventory.importInventory(
      doc(customer('bob', { configFiles: [join(dir, 'alice', 'nginx.conf')] })),
      { prune: true },
    );
    // And a customer may move within its own areas.
    await inventory.importInventory(doc(customer('bob', { webRoot: join(dir, 'bob') })));
  });

  test('bad input changes nothing', async () => {
    await inventory.importInventory(doc(customer('alice'), customer('bob')));
    const before = await snapshot();
    const tables = async () => ({
      packages: await store.db.selectFrom('packages').selectAll().orderBy('id').execute(),
      customers: await store.db.selectFrom('customers').selectAll().orderBy('id').execute(),
    });
    const rowsBefore = await tables();

    const bad = doc(
      customer('alice', { name: 'Changed' }),
      customer('carol'),
      customer('dave', { webRoot: join(dir, 'nowhere') }),
    );
    await assert.rejects(inventory.importInventory(bad, { prune: true }), InventoryValidationError);
    await assert.rejects(inventory.importInventory(bad), InventoryValidationError);
    await assert.rejects(inventory.importInventory('customers: []'), InventoryValidationError);
    assert.deepEqual(await snapshot(), before);
    assert.deepEqual(await tables(), rowsBefore);
  });

  test('a failure while writing rolls the whole import back', async () => {
    await inventory.importInventory(doc(customer('alice')));
    const rowsBefore = await store.db.selectFrom('customers').selectAll().execute();
    // Valid documents pass every check, so make the database itself fail midway.
    if (store.dialect === 'sqlite') {
      await sql`create trigger refuse_dave before insert on customers when new.id = 'dave'
                begin select raise(abort, 'dave refused'); end`.execute(store.db);
    } else {
      await sql`create function refuse_dave() returns trigger language plpgsql as $$
                begin raise exception 'dave refused'; end $$`.execute(store.db);
      await sql`create trigger refuse_dave before insert on customers for each row
                when (new.id = 'dave') execute function refuse_dave()`.execute(store.db);
    }
    await assert.rejects(
      inventory.importInventory(
        {
          packages: [basic, business, { ...basic, id: 'starter', name: 'Starter' }],
          customers: [customer('alice', { name: 'Changed' }), customer('bob'), customer('dave')],
        },
        { prune: true },
      ),
      /dave refused/,
    );
    assert.deepEqual(
      (await inventory.listPackages()).map((p) => p.id),
      ['basic', 'business'],
    );
    assert.deepEqual(await store.db.selectFrom('customers').selectAll().execute(), rowsBefore);
  });

  test('the error message lists every problem', async () => {
    await assert.rejects(
      inventory.importInventory({ customers: [customer('alice', { packageId: 'gold' })] }),
      (error: Error) => {
        assert.equal(
          error.message,
          'the inventory has 1 problem:\n  customers[0].packageId: There is no package "gold" (there are no packages yet).',
        );
        return true;
      },
    );
  });
});

describe('packages', () => {
  test('upsert, list, get, delete', async () => {
    assert.deepEqual(await inventory.upsertPackage(business), business);
    await inventory.upsertPackage(basic);
    await inventory.upsertPackage({ ...basic, maxRetention: 0 });
    assert.deepEqual(await inventory.listPackages(), [{ ...basic, maxRetention: 0 }, business]);
    assert.equal(await inventory.deletePackage('business'), true);
    assert.equal(await inventory.deletePackage('business'), false);
    assert.equal(await inventory.getPackage('business'), undefined);
  });

  test('refuses an invalid package', async () => {
    assert.deepEqual(
      await issuesOf(() => inventory.upsertPackage({ ...basic, id: 'Basic', frequencies: [] })),
      [
        'id: A package id may contain only lower-case letters, digits, dashes and underscores.',
        'frequencies: Allow at least one frequency.',
      ],
    );
  });

  test('a package in use cannot be deleted', async () => {
    await inventory.importInventory(doc(customer('alice'), customer('bob')));
    await assert.rejects(inventory.deletePackage('basic'), (error: unknown) => {
      assert.ok(error instanceof PackageInUseError);
      assert.deepEqual(error.customerIds, ['alice', 'bob']);
      assert.match(error.message, /package basic is used by 2 customer\(s\) \(alice, bob\)/);
      return true;
    });
    assert.ok(await inventory.getPackage('basic'));
  });
});

describe('customers', () => {
  test('upsert checks paths, package and clashes; delete removes the record', async () => {
    await inventory.upsertPackage(basic);
    const alice = await inventory.upsertCustomer(customer('alice'));
    assert.deepEqual(await inventory.getCustomer('alice'), alice);

    assert.deepEqual(
      await issuesOf(() =>
        inventory.upsertCustomer(
          customer('bob', {
            packageId: 'gold',
            webRoot: join(dir, 'bob', 'www'),
            databases: ['alice_wp'],
          }),
        ),
      ),
      [
        'packageId: There is no package "gold" (known: basic).',
        `webRoot: ${join(dir, 'bob', 'www')} does not exist.`,
        'databases[0]: The database "alice_wp" already belongs to customer alice.',
      ],
    );
    assert.equal(await inventory.getCustomer('bob'), undefined);

    // Replacing a customer does not clash with its own old record.
    await inventory.upsertCustomer(customer('alice', { name: 'Alice AG' }));
    assert.equal((await inventory.getCustomer('alice'))?.name, 'Alice AG');

    assert.equal(await inventory.deleteCustomer('alice'), true);
    assert.equal(await inventory.deleteCustomer('alice'), false);
    assert.deepEqual(await inventory.listCustomers(), []);
  });
});
