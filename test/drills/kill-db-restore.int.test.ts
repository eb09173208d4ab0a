/**
 * Fault drill (issue 10, point 5): the service is killed with `kill -9` at every step of a
 * database restore — before the import, in the middle of it (a table of 200,005 rows, as in the
 * issue), after it, after the check, at each step of the swap, after the swap before the safety
 * snapshot, and during the cleanup — and started again. Each time the database must equal, by
 * CHECKSUM TABLE of every table and the definitions of its views, triggers, routines and events,
 * either the database before the restore (killed before the swap's RENAME) or the restored one
 * (after it); the owner account must be locked (a login with the password the import used
 * fails), no option file, staging database or journal may remain, and the job must say which.
 *
 * The service stops itself at a step (`HOSTVAULT_TEST_PAUSE_DB_RESTORE`: it writes the step into
 * a file and waits), and the drill kills it there.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openApp } from '../../src/app.js';
import { AuthService } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config.js';
import { checksumDatabase } from '../../src/database/checksum.js';
import { runSql } from '../../src/database/client.js';
import { dropEverything, uniquePrefix } from '../support/mariadb.js';
import { serviceEnv, session, startServe } from '../support/service-process.js';

const ROWS = 200_005;
const prefix = uniquePrefix();
const customer = `${prefix}cust`;
const shop = `${prefix}shop`;
const PASSWORD = 'drill-customer-password';

type Call = Awaited<ReturnType<typeof session>>;
interface Running {
  child: ChildProcess;
  call: Call;
}
/** Checksums of every table, and every object's definition. */
interface State {
  tables: Record<string, string | null>;
  objects: string[][];
}

let work: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;
let service: Running | undefined;
let snapshotUrl: string;
let restoredState: State;
let oldState: State;
let changes = 0;

const root = {};
const sql = (query: string, database?: string) => runSql(root, query, { database });
const one = async (query: string, database?: string) => (await sql(query, database))[0]?.[0];

async function readState(): Promise<State> {
  const db = `'${shop}'`;
  return {
    tables: await checksumDatabase(shop, root),
    objects: await sql(`
      SELECT 'table', TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${db}
      UNION ALL SELECT 'view', TABLE_NAME, CONCAT_WS('|', VIEW_DEFINITION, DEFINER, SECURITY_TYPE)
        FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ${db}
      UNION ALL SELECT 'trigger', TRIGGER_NAME, CONCAT_WS('|', EVENT_OBJECT_TABLE, ACTION_TIMING,
          EVENT_MANIPULATION, ACTION_ORDER, ACTION_STATEMENT, DEFINER, SQL_MODE)
        FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ${db}
      UNION ALL SELECT ROUTINE_TYPE, ROUTINE_NAME, CONCAT_WS('|', ROUTINE_DEFINITION, DEFINER, SQL_MODE)
        FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ${db}
      UNION ALL SELECT 'event', EVENT_NAME, CONCAT_WS('|', EVENT_DEFINITION, STATUS, INTERVAL_VALUE,
          INTERVAL_FIELD, DEFINER, SQL_MODE)
        FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ${db}
      ORDER BY 1, 2;`),
  };
}

function same(a: State, b: State): boolean {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

async function seed(): Promise<void> {
  await sql(`
    CREATE DATABASE \`${shop}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    USE \`${shop}\`;
    CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL) ENGINE=InnoDB;
    CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, total DECIMAL(10,2),
      note VARCHAR(60), KEY (customer_id)) ENGINE=InnoDB;
    CREATE TABLE audit (id INT PRIMARY KEY AUTO_INCREMENT, msg VARCHAR(200)) ENGINE=InnoDB;
    INSERT INTO customers SELECT seq, CONCAT('Kunde ', seq, ' Grüße') FROM seq_1_to_1000;
    INSERT INTO orders SELECT seq, 1 + seq MOD 1000, (seq * 37) MOD 500, CONCAT('order note ', seq)
      FROM seq_1_to_${ROWS};
    CREATE VIEW big_orders AS SELECT o.id, c.name, o.total FROM orders o
      JOIN customers c ON c.id = o.customer_id WHERE o.total > 400;
    CREATE TRIGGER orders_ai AFTER INSERT ON orders FOR EACH ROW
      INSERT INTO audit (msg) VALUES (CONCAT('order ', NEW.id));
    CREATE PROCEDURE order_count(IN cid INT, OUT n INT)
      SELECT COUNT(*) INTO n FROM orders WHERE customer_id = cid;
    CREATE FUNCTION with_tax(x DECIMAL(10,2)) RETURNS DECIMAL(10,2) DETERMINISTIC RETURN x * 1.19;
    CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00' ENABLE
      DO DELETE FROM audit WHERE id < 0;
  `);
}

/** Makes the live database differ from the restored one in rows, tables and every kind of object. */
async function change(): Promise<void> {
  const n = ++changes;
  await sql(
    `DELETE FROM orders WHERE id > ${ROWS - 1000 * n};
     UPDATE customers SET name = 'changed ${n}' WHERE id <= ${n};
     CREATE TABLE added_${n} (id INT PRIMARY KEY);
     INSERT INTO added_${n} VALUES (${n});
     CREATE OR REPLACE VIEW big_orders AS SELECT id, total FROM orders WHERE total > ${400 - n};
     DROP TRIGGER orders_ai;
     CREATE TRIGGER orders_ai AFTER INSERT ON orders FOR EACH ROW
       INSERT INTO audit (msg) VALUES (CONCAT('changed ${n} ', NEW.id));
     CREATE TRIGGER added_${n}_bi BEFORE INSERT ON added_${n} FOR EACH ROW SET NEW.id = NEW.id + 1;
     DROP PROCEDURE IF EXISTS order_count;
     CREATE OR REPLACE PROCEDURE added_${n}_count() SELECT COUNT(*) FROM added_${n};
     ALTER EVENT nightly DISABLE;`,
    shop,
  );
}

async function until<T>(what: string, probe: () => T | Promise<T>, ms: number, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

async function start(extra: NodeJS.ProcessEnv = {}): Promise<Running> {
  const { child, url } = await startServe({ ...env, ...extra });
  service = { child, call: await session(url, customer, PASSWORD) };
  return service;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

async function finished(call: Call, id: number): Promise<any> {
  return until(
    `job ${id} to finish`,
    async () => {
      const job = await call('GET', `/api/jobs/${id}`);
      return job.status !== 'pending' && job.status !== 'running' ? job : undefined;
    },
    180_000,
    200,
  );
}

const sessionDir = () => join(dataDir, 'database-sessions');
const journalDir = () => join(dataDir, 'database-restore-journal');
const undoDir = () => join(dataDir, 'database-undo');
const instance = () => readFileSync(join(dataDir, 'instance-id'), 'utf8').trim();
const owner = () => `hv_${instance()}_${customer}`;

function clientProcesses(): string[] {
  return execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(dataDir) && /mariadb/.test(l) && !/^\s*\d+\s+Z/.test(l));
}

async function stagingDatabases(): Promise<string[]> {
  return (await sql(`SHOW DATABASES LIKE 'hvr\\_%\\_${shop.replace(/_/g, '\\_')}';`)).flat();
}

/** The owner account's password, from the import's option file while it exists. */
async function importPassword(): Promise<string | undefined> {
  for (const dir of existsSync(sessionDir()) ? readdirSync(sessionDir()) : []) {
    const text = await readFile(join(sessionDir(), dir, 'client.cnf'), 'utf8').catch(() => '');
    const password = /^password="(.*)"$/m.exec(text)?.[1];
    if (password && password.length >= 32) return password;
  }
  return undefined;
}

async function loginWorks(password: string): Promise<boolean> {
  try {
    await runSql(root, 'SELECT 1;', { account: { user: owner(), password } });
    return true;
  } catch {
    return false;
  }
}

async function locked(): Promise<boolean> {
  const value = await one(
    `SELECT JSON_VALUE(Priv, '$.account_locked') FROM mysql.global_priv WHERE User = '${owner()}';`,
  );
  return value === '1' || value === 'true';
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-drill-db-'));
  dataDir = join(work, 'data');
  env = serviceEnv(work);
  await mkdir(join(work, 'www'), { recursive: true });
  const t0 = Date.now();
  await seed();
  const seeded = Date.now() - t0;
  const app = await openApp(loadConfig(env));
  try {
    await app.inventory.importInventory({
      packages: [{ id: 'p', name: 'P', frequencies: ['daily'], maxRetention: 30, maxSchedules: 5 }],
      customers: [
        {
          id: customer,
          name: customer,
          linuxUser: 'drill',
          uid: 3001,
          gid: 3001,
          packageId: 'p',
          webRoot: join(work, 'www'),
          databases: [shop],
        },
      ],
    });
    await new AuthService({ store: app.store, masterKey: app.masterKey }).createUser({
      username: customer,
      password: PASSWORD,
      role: 'customer',
      customerId: customer,
    });
  } finally {
    await app.close();
  }
  const { call } = await start();
  const schedule = await call('POST', '/api/schedules', {
    name: 'Databases',
    scope: 'databases',
    frequency: 'daily',
    retention: 3,
    target: { kind: 'local' },
  });
  const backup = await finished(
    call,
    (await call('POST', `/api/schedules/${schedule.id}/run`)).jobId,
  );
  assert.equal(backup.status, 'successful', JSON.stringify(backup));
  const { snapshots } = await call('GET', `/api/schedules/${schedule.id}/snapshots`);
  snapshotUrl = `${snapshots[0].repositoryId}/${snapshots[0].id}`;
  console.log(
    `seeded ${ROWS} rows in ${seeded} ms; backup job took ${backup.durationMs ?? '?'} ms`,
  );

  // The restored state: the database after a restore that nobody interrupted.
  await change();
  const { jobId } = await call('POST', `/api/snapshots/${snapshotUrl}/restore`, {
    what: 'database',
    database: shop,
  });
  const job = await finished(call, jobId);
  assert.equal(job.status, 'successful', JSON.stringify(job));
  assert.match(job.log, /table\(s\) match the checksums recorded at backup time/);
  restoredState = await readState();
  assert.equal(restoredState.tables.orders !== undefined, true);
  oldState = restoredState;
});

after(async () => {
  if (service) await stop(service.child);
  await dropEverything(prefix);
  await rm(work, { recursive: true, force: true });
});

/**
 * Restores with the service stopping at `step`, kills it there, starts it again and checks the
 * recovery. Returns what the drill saw, for the test's diagnostic.
 */
async function killAt(step: string, expect: 'old' | 'restored'): Promise<string> {
  if (service) await stop(service.child);
  service = undefined;
  if (same(oldState, restoredState)) {
    await change();
    oldState = await readState();
    assert.ok(!same(oldState, restoredState));
  }
  const pauseFile = join(work, `pause-${step}`);
  const { child, call } = await start({
    HOSTVAULT_TEST_PAUSE_DB_RESTORE: step,
    HOSTVAULT_TEST_PAUSE_FILE: pauseFile,
  });
  const { jobId } = await call('POST', `/api/snapshots/${snapshotUrl}/restore`, {
    what: 'database',
    database: shop,
  });
  assert.ok(jobId, 'restore queued');
  await until(`the restore to reach ${step}`, () => existsSync(pauseFile), 120_000);
  const [staging] = await stagingDatabases();
  if (step === 'importing') {
    // Some rows are in, not all: the client gets no more while the service waits. (The import
    // holds the table's write lock, so the server's estimate is all one can read now.)
    await until(
      'rows in the staging database',
      async () =>
        Number(
          await one(
            `SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${staging}' AND TABLE_NAME = 'orders';`,
          ),
        ) > 0,
      30_000,
    );
  }
  const password = await importPassword();
  const unlockedAtKill = !(await locked());

  child.kill('SIGKILL');
  await once(child, 'exit');
  service = undefined;
  for (let i = 0; i < 50 && clientProcesses().length > 0; i++) await sleep(100);
  assert.deepEqual(clientProcesses(), [], 'no database client outlives the service');
  let seen = '';
  if (step === 'importing') {
    // The import's session ends with its client; then its table lock is gone.
    const rows = await one(
      `SET SESSION lock_wait_timeout = 30; SELECT COUNT(*) FROM \`${staging}\`.orders;`,
    );
    assert.ok(Number(rows) > 0 && Number(rows) < ROWS, `${rows} rows imported`);
    seen = `, ${rows} of ${ROWS} rows in the staging database at the kill`;
  }

  const { call: after } = await start();
  const job = await after('GET', `/api/jobs/${jobId}`);
  const said =
    expect === 'old'
      ? `Database ${shop} was left as it was before the restore.`
      : `Database ${shop} was restored completely when the service started again.`;
  if (expect === 'old') {
    assert.equal(job.status, 'failed', JSON.stringify(job));
    assert.ok(job.error.includes(said), `${step}: ${job.error}`);
  } else {
    // The one database was all the job restores: recovery finished it, so the job succeeded.
    assert.equal(job.status, 'successful', JSON.stringify(job));
    assert.equal(job.error, null);
    assert.ok(job.log.includes(said), `${step}: ${job.log}`);
    assert.match(job.log, /Restore completed when the service started again/);
  }

  const state = await readState();
  const observed = same(state, oldState)
    ? 'as before the restore'
    : same(state, restoredState)
      ? 'restored'
      : 'a mix';
  assert.deepStrictEqual(
    state,
    expect === 'old' ? oldState : restoredState,
    `${step}: ${observed}`,
  );
  oldState = state;

  assert.ok(await locked(), 'the owner account is locked');
  if (password)
    assert.equal(await loginWorks(password), false, 'the import password no longer works');
  assert.deepEqual(
    readdirSync(sessionDir()).filter((n) => n.startsWith('hostvault-db-')),
    [],
  );
  assert.deepEqual(await stagingDatabases(), []);
  assert.deepEqual(readdirSync(journalDir()), []);
  assert.deepEqual(
    readdirSync(dataDir).filter((n) => n === 'staging' || n.startsWith('restore-db-')),
    [],
  );
  const kept = existsSync(undoDir()) ? readdirSync(undoDir()) : [];
  const told =
    job.error?.replace(/^Interrupted: the service stopped while this job was running\. /, '') ??
    job.status;
  return `${observed}${seen}; account unlocked at the kill: ${unlockedAtKill}, password seen: ${Boolean(password)}; job: "${told}"; undo files: ${kept.length}`;
}

const steps: [string, 'old' | 'restored'][] = [
  ['prepared', 'old'],
  ['importing', 'old'],
  ['imported', 'old'],
  ['verified', 'old'],
  ['triggers-dropped', 'old'],
  ['renamed', 'restored'],
  ['swapped', 'restored'],
  ['safety-dumped', 'restored'],
  ['saved', 'restored'],
  ['cleaned', 'restored'],
];
for (const [step, expect] of steps) {
  test(`kill -9 at ${step}: the database is ${expect === 'old' ? 'as before' : 'restored'}`, async (t) => {
    t.diagnostic(await killAt(step, expect));
  });
}

test('the previous database is kept when the kill came between the swap and its safety snapshot', async () => {
  const kept = readdirSync(undoDir()).sort();
  // renamed, swapped and safety-dumped: no safety snapshot was saved yet.
  assert.equal(kept.length, 3, kept.join(', '));
  for (const name of kept) {
    const text = await readFile(join(undoDir(), name), 'latin1');
    assert.match(text, /CREATE TABLE `orders`/);
    assert.match(text, /CREATE TABLE `added_\d+`/);
  }
});

test('afterwards a restore runs through, and nothing of it is left', async () => {
  if (service) await stop(service.child);
  const { call } = await start();
  await change();
  const { jobId } = await call('POST', `/api/snapshots/${snapshotUrl}/restore`, {
    what: 'database',
    database: shop,
  });
  const job = await finished(call, jobId);
  assert.equal(job.status, 'successful', JSON.stringify(job));
  assert.deepStrictEqual(await readState(), restoredState);
  // The customer's log names the safety copy in plain words (its raw line is the provider's).
  assert.ok(
    job.steps.some((s: { code: string }) => s.code === 'restore.safety'),
    JSON.stringify(job.steps),
  );
  assert.deepEqual(await stagingDatabases(), []);
  assert.ok(await locked());
  assert.deepEqual(readdirSync(journalDir()), []);
});
