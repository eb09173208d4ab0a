import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { loadConfig, type Config } from '../config.js';
import { formatTable, runInventoryCommand } from './inventory.js';

let dir: string;
let config: Config;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostvault-inventory-cli-'));
  config = loadConfig({ HOSTVAULT_DATA_DIR: join(dir, 'data') });
  await mkdir(join(dir, 'www', 'alice'), { recursive: true });
  await writeFile(
    join(dir, 'inventory.yaml'),
    `packages:
  - { id: basic, name: Basic, frequencies: [daily, weekly], maxRetention: 7, maxSchedules: 2, storageQuotaBytes: 5368709120 }
  - { id: unlimited, name: Unlimited, frequencies: [hourly], maxRetention: 0, maxSchedules: 0 }
customers:
  - id: alice
    name: Alice
    linuxUser: hv-alice
    uid: 2001
    gid: 2001
    packageId: basic
    webRoot: ${join(dir, 'www', 'alice')}
    databases: [alice_wp]
`,
  );
  await writeFile(join(dir, 'bad.json'), JSON.stringify({ customers: [{ id: 'Bob' }] }));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(t: TestContext, ...argv: string[]) {
  let stdout = '';
  const errors = t.mock.method(console, 'error', () => {});
  const [command, ...args] = argv;
  const code = await runInventoryCommand(config, command!, args, (text) => (stdout += text));
  const stderr = errors.mock.calls.map((c) => String(c.arguments[0])).join('\n');
  errors.mock.restore();
  return { code, stdout, stderr };
}

describe('inventory CLI', () => {
  test('imports a file and lists what it holds', async (t) => {
    const file = join(dir, 'inventory.yaml');
    assert.deepEqual(await cli(t, 'customers', 'import', file), {
      code: 0,
      stdout:
        `imported ${file}\n` +
        '  packages:  2 created (basic, unlimited), 0 updated, 0 unchanged, 0 deleted\n' +
        '  customers: 1 created (alice), 0 updated, 0 unchanged, 0 deleted\n',
      stderr: '',
    });
    const packages = await cli(t, 'packages', 'list');
    assert.equal(
      packages.stdout,
      'ID         NAME       FREQUENCIES    KEEP       SCHEDULES  QUOTA\n' +
        'basic      Basic      daily, weekly  7          2          5 GiB\n' +
        'unlimited  Unlimited  hourly         unlimited  unlimited  none\n',
    );
    const customers = await cli(t, 'customers', 'list');
    assert.equal(customers.code, 0);
    assert.match(customers.stdout, /^ID +NAME +LINUX USER +PACKAGE +WEB ROOT +DATABASES/);
    assert.match(
      customers.stdout,
      /\nalice +Alice +hv-alice \(2001:2001\) +basic +\/.*\/www\/alice +alice_wp +0 +0 +0\n$/,
    );
  });

  test('bad input exits 2 with every problem and changes nothing', async (t) => {
    const file = join(dir, 'bad.json');
    const result = await cli(t, 'customers', 'import', file, '--prune');
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      new RegExp(`^hostvault: ${file}: the inventory has \\d+ problems:\\n`),
    );
    assert.match(result.stderr, /\n {2}customers\[0\]\.id: A customer id may contain only/);
    assert.match(result.stderr, /\n {2}customers\[0\]\.webRoot: This field is required\.\n/);
    assert.match(result.stderr, /\nnothing was changed$/);
    assert.match((await cli(t, 'customers', 'list')).stdout, /\nalice /);

    assert.deepEqual(await cli(t, 'customers', 'import', join(dir, 'none.yaml')), {
      code: 2,
      stdout: '',
      stderr: `hostvault: cannot read ${join(dir, 'none.yaml')}: no such file`,
    });
    assert.equal((await cli(t, 'customers', 'import', file, '--purge')).code, 2);
  });

  test('leaves other arguments to the caller', async (t) => {
    assert.equal((await cli(t, 'customers')).code, undefined);
    assert.equal((await cli(t, 'customers', 'list', 'extra')).code, undefined);
    assert.equal((await cli(t, 'packages', 'import', 'x')).code, undefined);
  });

  test('formatTable pads columns, not the last one', () => {
    assert.equal(
      formatTable(
        ['A', 'BB'],
        [
          ['long', 'x'],
          ['y', ''],
        ],
      ),
      'A     BB\nlong  x\ny\n',
    );
  });
});
