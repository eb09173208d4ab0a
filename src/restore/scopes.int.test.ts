/**
 * Every scope on real data (the demo hosting layout, real restic and MariaDB): back up, change
 * the live data (edit, delete and add files; drop a table and change rows; delete mails; replace a
 * certificate), restore, and compare byte for byte with owners and modes, databases by table
 * checksums.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import { checksumDatabase } from '../database/checksum.js';
import { buildDemoLayout } from '../demo/layout.js';
import { runSql } from '../demo/mariadb.js';
import type { Customer } from '../inventory/schema.js';
import type { JobProgress } from '../job/job-store.js';
import type { SnapshotRow } from '../store/index.js';
import { readTree } from '../../test/support/tree.js';
import type { RestoreRequest } from '../restore-job/restore-request.js';

const prefix = `hvt${randomBytes(4).toString('hex')}_`;
const admin = { role: 'admin' as const };
let work: string;
let app: App;
let bob: Customer;

async function waitForJob(id: number) {
  for (let i = 0; i < 1500; i++) {
    const job = await app.jobs.get(id);
    if (job && !['pending', 'running'].includes(job.status)) return job;
    await sleep(100);
  }
  throw new Error(`job ${id} did not finish`);
}

async function backup(scope: string): Promise<SnapshotRow> {
  const schedule = await app.schedules.create(admin, 'bob', {
    name: `${scope} backup`,
    scope,
    frequency: 'daily',
    retention: 5,
    target: { kind: 'local', path: join(work, 'repos') },
  });
  const run = await app.schedules.runNow(admin, schedule.id);
  const job = await waitForJob(run.jobId);
  assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
  return app.store.db
    .selectFrom('snapshots')
    .selectAll()
    .where('schedule_id', '=', schedule.id)
    .executeTakeFirstOrThrow();
}

async function restore(
  snapshot: SnapshotRow,
  request: Partial<RestoreRequest> & { what: RestoreRequest['what'] },
) {
  const created = await app.jobs.create({
    type: 'restore',
    trigger: 'manual',
    customerId: 'bob',
    params: {
      repositoryId: snapshot.repository_id,
      snapshotId: snapshot.id,
      request: { keepNewerMail: true, ...request },
    },
  });
  assert.ok(created.created);
  app.worker.notify();
  const job = await waitForJob(created.id);
  assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
  return job;
}

async function checksums(): Promise<Record<string, Record<string, string | null>>> {
  const out: Record<string, Record<string, string | null>> = {};
  for (const db of bob.databases) out[db] = await checksumDatabase(db, {});
  return out;
}

async function fileState(path: string) {
  const s = await stat(path);
  return {
    content: await readFile(path, 'base64'),
    mode: s.mode,
    uid: s.uid,
    gid: s.gid,
    mtimeMs: Math.round(s.mtimeMs),
  };
}

/** Regular files under `dir` and their bytes, as a restore of it counts them. */
async function regularFiles(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    files++;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-scopes-'));
  app = await openApp(
    loadConfig({
      HOSTVAULT_DATA_DIR: join(work, 'data'),
      HOSTVAULT_KEY_FILE: join(work, 'master.key'),
    }),
  );
  const layout = await buildDemoLayout(join(work, 'demo'), { databasePrefix: prefix });
  await app.inventory.importInventory(layout.inventory);
  bob = (await app.inventory.getCustomer('bob'))!;
  assert.ok(
    bob.databases.length >= 2 &&
      bob.mailboxes.length >= 1 &&
      bob.sslFiles.length >= 1 &&
      bob.configFiles.length >= 1,
  );
  app.worker.start();
});

after(async () => {
  await app.close();
  const like = `${prefix.replaceAll('_', '\\_')}%`;
  const dbs = await runSql(
    { user: 'root' },
    `SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE '${like}';`,
  );
  const users = await runSql(
    { user: 'root' },
    // The owner account its database restores created (named by this run's instance).
    `SELECT user FROM mysql.user WHERE user LIKE '${like}'
       OR user = 'hv_${app.database.connection.instance}_bob';`,
  );
  const drops = [
    ...dbs
      .split('\n')
      .filter(Boolean)
      .map((d) => `DROP DATABASE \`${d}\`;`),
    ...users
      .split('\n')
      .filter(Boolean)
      .map((u) => `DROP USER '${u}'@'localhost';`),
  ];
  if (drops.length) await runSql({ user: 'root' }, drops.join('\n'));
  await rm(work, { recursive: true, force: true });
});

describe('every scope, backed up, changed and restored on real data', () => {
  test('Full backup, then "Restore everything" brings web files, databases, mail, SSL and configuration back exactly', async () => {
    const snapshot = await backup('full');
    assert.deepEqual(JSON.parse(snapshot.contents), ['web', 'db', 'mail', 'ssl', 'config']);
    const maildir = bob.mailboxes[0]!.maildir;
    const before = {
      web: await readTree(bob.webRoot),
      mail: await readTree(maildir),
      ssl: await fileState(bob.sslFiles[0]!),
      config: await fileState(bob.configFiles[0]!),
      db: await checksums(),
    };
    // The areas the job restores one by one: web root, each Maildir and its Sieve filters.
    const roots = JSON.parse(snapshot.roots ?? '{}') as { mail?: string[] };
    const areas = [
      bob.webRoot,
      ...bob.mailboxes.flatMap((m) =>
        m.sieveDir && roots.mail?.includes(m.sieveDir) ? [m.maildir, m.sieveDir] : [m.maildir],
      ),
    ];
    const sizes = await Promise.all(areas.map(regularFiles));
    const inSnapshot = {
      files: sizes.reduce((n, s) => n + s.files, 0),
      bytes: sizes.reduce((n, s) => n + s.bytes, 0),
    };
    assert.ok(inSnapshot.bytes > 0);

    // Change everything a customer can change.
    const files = (await readdir(bob.webRoot, { recursive: true })).filter((f) =>
      f.endsWith('.php'),
    );
    await appendFile(join(bob.webRoot, files[0]!), '\n// edited\n');
    await rm(join(bob.webRoot, files[1]!));
    await writeFile(join(bob.webRoot, 'added-after-backup.php'), '<?php // new');
    const [db1, db2] = bob.databases as [string, string];
    const tables = Object.keys(before.db[db1]!);
    await runSql(
      { user: 'root' },
      `SET FOREIGN_KEY_CHECKS=0; DROP TABLE \`${db1}\`.\`${tables.at(-1)}\`;`,
    );
    await runSql(
      { user: 'root' },
      `SET FOREIGN_KEY_CHECKS=0; DELETE FROM \`${db2}\`.\`${Object.keys(before.db[db2]!)[0]}\` LIMIT 3;`,
    );
    const cur = join(maildir, 'cur');
    for (const mail of (await readdir(cur)).slice(0, 5)) await rm(join(cur, mail));
    await writeFile(
      bob.sslFiles[0]!,
      '-----BEGIN CERTIFICATE-----\nreplaced\n-----END CERTIFICATE-----\n',
    );
    assert.notDeepEqual(await checksums(), before.db);

    const job = await restore(snapshot, { what: 'everything', keepNewerMail: false });
    const restic16 = app.restic.features.restoreProgress;
    assert.match(
      job.log ?? '',
      /To undo this restore: on the Restore tab, choose "Safety copy before restore #\d+"/,
    );
    assert.deepEqual(await readTree(bob.webRoot), before.web);
    assert.deepEqual(await readTree(maildir), before.mail);
    assert.deepEqual(await fileState(bob.sslFiles[0]!), before.ssl);
    assert.deepEqual(await fileState(bob.configFiles[0]!), before.config);
    assert.deepEqual(await checksums(), before.db);
    // The bar ends with the bytes and files of every area, not 100 % of 0 bytes.
    const progress = JSON.parse(job.progress ?? 'null') as JobProgress;
    assert.deepEqual(
      [progress.percent, progress.bytesDone, progress.bytesTotal, progress.filesDone],
      [100, inSnapshot.bytes, inSnapshot.bytes, progress.filesTotal],
    );
    // restic 0.16+ counts the directories it restores among its files.
    const counted = progress.filesTotal;
    assert.ok(
      restic16 ? counted >= inSnapshot.files : counted === inSnapshot.files,
      `${counted} files of ${inSnapshot.files}`,
    );
  });

  test('Email scope: a mailbox restore keeps mail that arrived after the snapshot', async () => {
    const snapshot = await backup('email');
    const maildir = bob.mailboxes[0]!.maildir;
    const cur = join(maildir, 'cur');
    const [lost] = await readdir(cur);
    const lostContent = await readFile(join(cur, lost!));
    await rm(join(cur, lost!));
    const newer = join(maildir, 'new', `${Date.now()}.M1P1.demo`);
    await writeFile(newer, 'Subject: arrived after the backup\n\nhello\n');
    await restore(snapshot, {
      what: 'mailbox',
      mailbox: bob.mailboxes[0]!.address,
      keepNewerMail: true,
    });
    assert.deepEqual(await readFile(join(cur, lost!)), lostContent);
    assert.equal(await readFile(newer, 'utf8'), 'Subject: arrived after the backup\n\nhello\n');
  });

  test('Databases scope: one database restored, the other left alone', async () => {
    const snapshot = await backup('databases');
    const [db1, db2] = bob.databases as [string, string];
    const before = await checksums();
    const table1 = Object.keys(before[db1]!)[0]!;
    const table2 = Object.keys(before[db2]!)[0]!;
    await runSql(
      { user: 'root' },
      `SET FOREIGN_KEY_CHECKS=0; DELETE FROM \`${db1}\`.\`${table1}\` LIMIT 2; DELETE FROM \`${db2}\`.\`${table2}\` LIMIT 2;`,
    );
    const changed = await checksums();
    await restore(snapshot, { what: 'database', database: db1 });
    const after = await checksums();
    assert.deepEqual(after[db1], before[db1]);
    assert.deepEqual(after[db2], changed[db2], 'the other database keeps its current state');
  });

  test('Web, SSL and Configuration scopes: a single file comes back with its owner and mode', async () => {
    const snapshot = await backup('web');
    const file = join(bob.webRoot, 'index.php');
    const before = await fileState(file);
    await writeFile(file, 'defaced');
    await restore(snapshot, { what: 'file', path: file });
    assert.deepEqual(await fileState(file), before);
    for (const scope of ['ssl', 'config'] as const) {
      const snap = await backup(scope);
      assert.deepEqual(JSON.parse(snap.contents), [scope]);
    }
  });
});
