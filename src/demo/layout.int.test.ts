/**
 * Builds the demo layout for real (Linux users, openssl, MariaDB on the local socket), imports it,
 * and checks what a newcomer would see. Databases and database users get a name prefix unique to
 * this run and are dropped afterwards; the hv-* Linux users are shared by every run and stay.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { InventoryService } from '../inventory/inventory-service.js';
import { inventorySchema } from '../inventory/schema.js';
import { openStore } from '../store/index.js';
import { buildDemoLayout, type DemoLayout } from './layout.js';
import { runSql } from './mariadb.js';

const run = promisify(execFile);
const root = { user: 'root' };
const prefix = `hvt${randomBytes(4).toString('hex')}_`;

let dir: string;
let layout: DemoLayout;

before(async () => {
  await runSql(root, 'SELECT 1;').catch((error: Error) => {
    throw new Error(`this test needs MariaDB on the local socket as root: ${error.message}`);
  });
  dir = await mkdtemp(join(tmpdir(), 'hostvault-layout-'));
  layout = await buildDemoLayout(join(dir, 'demo'), { databasePrefix: prefix });
});

after(async () => {
  const dbs = await runSql(
    root,
    `SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE '${prefix.replaceAll('_', '\\_')}%';`,
  );
  const users = await runSql(
    root,
    `SELECT user FROM mysql.user WHERE user LIKE '${prefix.replaceAll('_', '\\_')}%';`,
  );
  const drops = [
    ...lines(dbs).map((d) => `DROP DATABASE \`${d}\`;`),
    ...lines(users).map((u) => `DROP USER '${u}'@'localhost';`),
  ];
  if (drops.length > 0) await runSql(root, drops.join('\n'));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

interface Entry {
  path: string;
  type: string;
  mode: number;
  uid: number;
  size: number;
  mtime: number;
}

async function walk(base: string, rel = '', out: Entry[] = []): Promise<Entry[]> {
  for (const name of await readdir(join(base, rel))) {
    const path = rel === '' ? name : `${rel}/${name}`;
    const st = await lstat(join(base, path));
    const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'file';
    out.push({ path, type, mode: st.mode & 0o7777, uid: st.uid, size: st.size, mtime: st.mtimeMs });
    if (type === 'dir') await walk(base, path, out);
  }
  return out;
}

describe('buildDemoLayout', () => {
  test('builds three customers fast, with a valid inventory', () => {
    assert.ok(layout.seconds < 60, `took ${layout.seconds} s`);
    const inv = inventorySchema.parse(layout.inventory);
    assert.deepEqual(
      inv.customers.map((c) => c.id),
      ['alice', 'bob', 'carol'],
    );
    assert.deepEqual(
      inv.packages.map((p) => [p.id, p.frequencies.length, p.maxRetention, p.maxSchedules]),
      [
        ['basic', 2, 7, 2],
        ['business', 4, 30, 10],
      ],
    );
    assert.ok(!layout.notes.some((n) => /not reachable/.test(n)), layout.notes.join('\n'));
  });

  test('imports into the store, paths checked', async () => {
    const store = await openStore({ memory: true });
    try {
      const inventory = new InventoryService({ store });
      const result = await inventory.importInventory(layout.inventory);
      assert.deepEqual(result.customers.created, ['alice', 'bob', 'carol']);
      assert.deepEqual(result.packages.created, ['basic', 'business']);
      const bob = await inventory.getCustomer('bob');
      assert.equal(bob?.databases.length, 2);
      assert.equal(bob?.mailboxes.length, 3);
      assert.equal(bob?.databaseUser, `${prefix}bob`);
    } finally {
      await store.close();
    }
  });

  test('web roots: thousands of small files, media of several MB, owned by the customer', async () => {
    let total = 0;
    for (const c of layout.inventory.customers) {
      const { stdout } = await run('getent', ['passwd', `hv-${c.id}`]);
      assert.equal(Number(stdout.split(':')[2]), c.uid, `uid of hv-${c.id}`);
      assert.notEqual(c.uid, 0);

      const entries = await walk(c.webRoot);
      const files = entries.filter((e) => e.type === 'file');
      total += files.length;
      assert.ok(files.length >= 2000, `${c.id}: ${files.length} files`);
      const small = files.filter((e) => e.size < 64 * 1024);
      assert.ok(small.length >= 1500, `${c.id}: ${small.length} small files`);
      const media = files.filter((e) => e.size >= 2 * 1024 * 1024);
      assert.ok(media.length >= 2, `${c.id}: ${media.length} media files`);
      assert.ok(
        entries.some((e) => e.type === 'dir' && e.path.split('/').length >= 5),
        'nested',
      );
      for (const ext of ['.php', '.js', '.css']) {
        assert.ok(
          files.some((e) => e.path.endsWith(ext)),
          `${c.id} has ${ext} files`,
        );
      }
      const owned = files.filter((e) => e.uid === c.uid);
      assert.ok(owned.length >= files.length - 5, `${c.id}: most files belong to the customer`);
      const panel = files.find((e) => e.path === '.user.ini');
      assert.equal(panel?.uid, 0, '.user.ini belongs to root');
      const config = files.find((e) => e.path === 'wp-config.php');
      assert.equal(config?.mode, 0o640);
      assert.ok(
        entries.some((e) => e.type === 'symlink'),
        'a symlink inside the web root',
      );
    }
    assert.ok(total >= 9000, `${total} files`);
  });

  test('mailboxes: Maildir with RFC 822 messages, Sieve scripts', async () => {
    for (const stats of layout.customers) {
      const customer = layout.inventory.customers.find((c) => c.id === stats.id)!;
      let messages = 0;
      for (const box of customer.mailboxes) {
        const entries = await walk(box.maildir);
        for (const sub of ['cur', 'new', 'tmp', '.Sent/cur', '.Trash/cur']) {
          assert.ok(
            entries.some((e) => e.path === sub && e.type === 'dir'),
            `${box.address}: ${sub}`,
          );
        }
        const mails = entries.filter((e) => /(^|\/)(cur|new)\/\d+\.M\d+P\d+\./.test(e.path));
        messages += mails.length;
        for (const mail of mails.slice(0, 20)) {
          assert.match(mail.path, new RegExp(`,S=${mail.size},W=\\d+(:2,[A-Z]*)?$`), mail.path);
          assert.equal(mail.uid, customer.uid);
          assert.equal(mail.mode, 0o600);
        }
        const text = await readFile(join(box.maildir, mails[0]!.path), 'utf8');
        assert.match(text, /^Return-Path: <[^>]+>\n(.+\n)*Message-ID: <.+>\n(.+\n)*\n/);
        const sieve = await readFile(join(box.sieveDir!, 'default.sieve'), 'utf8');
        assert.match(sieve, /^require \[/);
      }
      assert.equal(messages, stats.mailMessages, stats.id);
      assert.ok(messages >= 100, `${stats.id}: ${messages} messages`);
    }
  });

  test('certificates and configuration', async () => {
    for (const c of layout.inventory.customers) {
      const [cert, key] = c.sslFiles;
      const { stdout } = await run('openssl', [
        'x509',
        '-noout',
        '-subject',
        '-ext',
        'subjectAltName',
        '-in',
        cert!,
      ]);
      const domain = c.mailboxes[0]!.address.split('@')[1]!;
      assert.match(stdout, new RegExp(`CN ?= ?${domain.replaceAll('.', '\\.')}`));
      assert.match(stdout, new RegExp(`DNS:www\\.${domain.replaceAll('.', '\\.')}`));
      assert.equal((await lstat(key!)).mode & 0o777, 0o600);
      const [vhost, pool] = c.configFiles;
      const nginx = await readFile(vhost!, 'utf8');
      assert.ok(nginx.includes(`root ${c.webRoot};`));
      assert.ok(nginx.includes(`ssl_certificate     ${cert};`));
      assert.match(await readFile(pool!, 'utf8'), new RegExp(`^user = hv-${c.id}$`, 'm'));
    }
  });

  test('databases: tables, views, triggers, routines and rows, owned by the customer user', async () => {
    const all = layout.inventory.customers.flatMap((c) => c.databases);
    assert.equal(all.length, 4);
    const list = all.map((d) => `'${d}'`).join(',');
    const counts = lines(
      await runSql(
        root,
        `SELECT table_schema, SUM(table_type = 'BASE TABLE'), SUM(table_type = 'VIEW')
           FROM information_schema.tables WHERE table_schema IN (${list}) GROUP BY table_schema ORDER BY 1;
         SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema IN (${list});
         SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema IN (${list});
         SELECT COUNT(*) FROM information_schema.events WHERE event_schema IN (${list});
         SELECT COUNT(*) FROM ${prefix}alice_wp.wp_posts;
         SELECT COUNT(*) FROM ${prefix}alice_wp.wp_comments;
         SELECT COUNT(*) FROM ${prefix}bob_shop.order_items;
         SELECT SUM(comment_count) = (SELECT COUNT(*) FROM ${prefix}carol_wp.wp_comments) FROM ${prefix}carol_wp.wp_posts;
         SELECT COUNT(DISTINCT definer) FROM information_schema.views WHERE table_schema = '${prefix}bob_shop' AND definer = '${prefix}bob@localhost';`,
      ),
    );
    assert.deepEqual(counts.slice(0, 4), [
      `${prefix}alice_wp\t7\t1`,
      `${prefix}bob_shop\t4\t1`,
      `${prefix}bob_wp\t7\t1`,
      `${prefix}carol_wp\t7\t1`,
    ]);
    assert.deepEqual(counts.slice(4), ['7', '7', '3', '1200', '2400', '3000', '1', '1']);
  });

  test('a customer’s database user reaches its own databases and nothing else', async () => {
    const alice = layout.inventory.customers.find((c) => c.id === 'alice')!;
    const config = await readFile(join(alice.webRoot, 'wp-config.php'), 'utf8');
    const password = /'DB_PASSWORD', '([^']+)'/.exec(config)?.[1];
    assert.ok(password);
    const conn = { user: alice.databaseUser!, password };
    assert.deepEqual(lines(await runSql(conn, 'SHOW DATABASES;')).sort(), [
      `${prefix}alice_wp`,
      'information_schema',
    ]);
    assert.equal(
      (await runSql(conn, `CALL ${prefix}alice_wp.wp_posts_per_month(2025);`)).length > 0,
      true,
    );
    await assert.rejects(runSql(conn, `SELECT COUNT(*) FROM ${prefix}bob_wp.wp_posts;`), /denied/);
    await assert.rejects(runSql(conn, 'SELECT COUNT(*) FROM mysql.user;'), /denied/);
    // `_` is a wildcard in GRANT: a database that matches the pattern must stay out of reach.
    const lookalike = `${prefix}aliceXwp`;
    await runSql(root, `CREATE DATABASE \`${lookalike}\`;`);
    await assert.rejects(runSql(conn, `CREATE TABLE \`${lookalike}\`.t (x int);`), /denied/);
  });

  test('a second run changes nothing', async () => {
    const before = await walk(join(dir, 'demo'));
    const again = await buildDemoLayout(join(dir, 'demo'), { databasePrefix: prefix });
    assert.deepEqual(
      again.customers.map((c) => c.written),
      [0, 0, 0],
    );
    assert.deepEqual(again.inventory, layout.inventory);
    assert.deepEqual(await walk(join(dir, 'demo')), before);
  });

  test('refuses a directory that holds something else', async () => {
    const other = join(dir, 'not-a-demo');
    await mkdir(join(other, 'var/www'), { recursive: true });
    await assert.rejects(
      buildDemoLayout(other, { databasePrefix: prefix }),
      new RegExp(`${other} is not empty and holds no demo layout`),
    );
    assert.deepEqual(await readdir(other), ['var']);
  });

  test('without MariaDB it says so and leaves databases out', async () => {
    const other = await buildDemoLayout(join(dir, 'no-db'), {
      mariadb: { socketPath: join(dir, 'no-such.sock'), user: 'root' },
    });
    assert.ok(
      other.notes.some((n) =>
        n.startsWith(`MariaDB is not reachable on ${join(dir, 'no-such.sock')}`),
      ),
      other.notes.join('\n'),
    );
    for (const c of other.inventory.customers) {
      assert.deepEqual(c.databases, []);
      assert.equal(c.databaseUser, undefined);
    }
    const store = await openStore({ memory: true });
    try {
      await new InventoryService({ store }).importInventory(other.inventory);
    } finally {
      await store.close();
    }
  });
});
