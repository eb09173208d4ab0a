/**
 * The undo a restore promises, end to end on the demo layout through the running service (real
 * restic and MariaDB): every restore names its safety snapshots in the job log by the id the
 * Restore tab lists them under; restoring that id (through the API, or queued by the command
 * line) puts back what the restore overwrote, for web files, a single file, a mailbox and a
 * database. A mail restore that stops half way says which mailboxes it restored and how to undo.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthService } from '../auth/index.js';
import { loadConfig } from '../config.js';
import { checksumDatabase } from '../database/checksum.js';
import { buildDemoLayout } from '../demo/layout.js';
import { runSql } from '../demo/mariadb.js';
import type { Customer } from '../inventory/schema.js';
import { startService, type Service } from '../serve.js';
import { CLI_FROM_SOURCES } from '../../test/support/cli.js';
import { readTree } from '../../test/support/tree.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const prefix = `hvu${randomBytes(4).toString('hex')}_`;
let work: string;
let service: Service;
let bob: Customer;
let cookie = '';
let csrf = '';
let scheduleId = 0;
let backup: { repositoryId: number; id: string };

interface Snapshot {
  repositoryId: number;
  id: string;
  kind: 'backup' | 'safety';
  contents: string[];
  safety?: { label: string; restoreJobId: number; holds: string; undo: Record<string, unknown> };
}

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      cookie,
      'x-csrf-token': csrf,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

async function waitForJob(id: number): Promise<{ status: string; log: string; error: string }> {
  for (let i = 0; i < 1200; i++) {
    const job = await service.app.jobs.get(id);
    if (job && !['pending', 'running'].includes(job.status))
      return { status: job.status, log: job.log ?? '', error: job.error ?? '' };
    await sleep(100);
  }
  throw new Error(`job ${id} did not finish`);
}

/** Restores through the API as the customer; returns the finished job. */
async function restore(snapshot: { repositoryId: number; id: string }, request: object) {
  const answer = await call(
    'POST',
    `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/restore`,
    request,
  );
  assert.equal(answer.status, 202, JSON.stringify(answer.json));
  return { jobId: answer.json.jobId as number, ...(await waitForJob(answer.json.jobId)) };
}

/**
 * The safety snapshots the job log names for undo, found in the schedule's list (what the
 * Restore tab shows) by their short ids; each must be there, labelled.
 */
async function undoSnapshots(log: string, jobId: number): Promise<Snapshot[]> {
  const line = log.split('\n').find((l) => l.includes('To undo this restore'));
  assert.ok(line, log);
  assert.match(line, new RegExp(`choose "Safety copy before restore #${jobId}"`));
  const ids = [...line.matchAll(/\b([0-9a-f]{8}) with /g)].map((m) => m[1]!);
  assert.ok(ids.length > 0, line);
  const list = (await call('GET', `/api/schedules/${scheduleId}/snapshots`)).json
    .snapshots as Snapshot[];
  return ids.map((short) => {
    const found = list.find((s) => s.id.startsWith(short));
    assert.ok(found, `safety snapshot ${short} is in the schedule's list`);
    assert.equal(found.kind, 'safety');
    assert.equal(found.safety?.label, `Safety copy before restore #${jobId}`);
    assert.equal(found.safety?.restoreJobId, jobId);
    return found;
  });
}

function hv(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      // The sources under test, not a build that bin/hostvault.js would prefer.
      [...CLI_FROM_SOURCES, ...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          HOSTVAULT_DATA_DIR: join(work, 'data'),
          HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
        },
        timeout: 120_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function checksums(name: string) {
  return checksumDatabase(name, {});
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-undo-'));
  process.env.HOSTVAULT_ADMIN_PASSWORD = 'admin-password-123';
  service = await startService({
    ...loadConfig({
      HOSTVAULT_DATA_DIR: join(work, 'data'),
      HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
    }),
    listen: { host: '127.0.0.1', port: 0 },
  });
  const layout = await buildDemoLayout(join(work, 'demo'), { databasePrefix: prefix });
  await service.app.inventory.importInventory(layout.inventory);
  bob = (await service.app.inventory.getCustomer('bob'))!;
  const auth = new AuthService({ store: service.app.store, masterKey: service.app.masterKey });
  await auth.createUser({
    username: 'bob',
    password: 'bob-password-123',
    role: 'customer',
    customerId: 'bob',
  });
  const signIn = await fetch(`${service.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bob', password: 'bob-password-123' }),
  });
  cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  csrf = ((await signIn.json()) as { csrfToken: string }).csrfToken;
  const created = await call('POST', '/api/schedules', {
    name: 'Nightly full',
    scope: 'full',
    frequency: 'daily',
    retention: 3,
    target: { kind: 'local' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  scheduleId = created.json.id as number;
  const run = await call('POST', `/api/schedules/${scheduleId}/run`);
  const job = await waitForJob(run.json.jobId);
  assert.equal(job.status, 'successful', job.error);
  const list = await call('GET', `/api/schedules/${scheduleId}/snapshots`);
  backup = list.json.snapshots[0] as Snapshot;
});

after(async () => {
  await service?.stop();
  delete process.env.HOSTVAULT_ADMIN_PASSWORD;
  const like = `${prefix.replaceAll('_', '\\_')}%`;
  const dbs = await runSql(
    { user: 'root' },
    `SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE '${like}';`,
  );
  const drops = dbs
    .split('\n')
    .filter(Boolean)
    .map((d) => `DROP DATABASE \`${d}\`;`);
  if (drops.length) await runSql({ user: 'root' }, drops.join('\n'));
  await rm(work, { recursive: true, force: true });
});

describe('undo: the safety snapshot the log names is reachable and restores what was overwritten', () => {
  test('web files, through the API', async () => {
    await writeFile(join(bob.webRoot, 'added-after-backup.php'), '<?php // new');
    await writeFile(join(bob.webRoot, 'index.php'), 'changed after the backup');
    const beforeRestore = await readTree(bob.webRoot);

    const restored = await restore(backup, { what: 'web' });
    assert.equal(restored.status, 'successful', restored.error);
    assert.notDeepEqual(await readTree(bob.webRoot), beforeRestore);
    const [safety] = await undoSnapshots(restored.log, restored.jobId);
    assert.deepEqual(safety!.contents, ['web']);
    assert.equal(safety!.safety?.holds, 'web files');

    // Browse works on it like on any snapshot (the one 404 would say it is unreachable).
    const browse = await call('GET', `/api/snapshots/${safety!.repositoryId}/${safety!.id}/browse`);
    assert.equal(browse.status, 200, JSON.stringify(browse.json));

    // A safety copy restores only what it saved.
    const wrong = await call(
      'POST',
      `/api/snapshots/${safety!.repositoryId}/${safety!.id}/restore`,
      { what: 'everything' },
    );
    assert.equal(wrong.status, 400, JSON.stringify(wrong.json));
    assert.match(wrong.json.error.message, /only restore what it saved: web files/);

    const undone = await restore(safety!, safety!.safety!.undo);
    assert.equal(undone.status, 'successful', undone.error);
    assert.deepEqual(await readTree(bob.webRoot), beforeRestore);
  });

  test('a single file, queued by the command line with the short id the log names', async () => {
    const file = join(bob.webRoot, 'index.php');
    await writeFile(file, 'defaced');
    const restored = await restore(backup, { what: 'file', path: file });
    assert.equal(restored.status, 'successful', restored.error);
    assert.notEqual(await readFile(file, 'utf8'), 'defaced');
    const [safety] = await undoSnapshots(restored.log, restored.jobId);
    assert.deepEqual(safety!.safety?.undo, { what: 'file', path: file, keepNewerMail: true });

    const short = safety!.id.slice(0, 8);
    const queued = await hv([
      'restore',
      String(safety!.repositoryId),
      short,
      '--what',
      'file',
      '--path',
      file,
    ]);
    assert.equal(queued.code, 0, queued.stdout + queued.stderr);
    const jobId = Number(/queued restore job (\d+)/.exec(queued.stdout)?.[1]);
    service.app.worker.notify();
    const undone = await waitForJob(jobId);
    assert.equal(undone.status, 'successful', undone.error);
    assert.equal(await readFile(file, 'utf8'), 'defaced');

    const listed = await hv(['snapshots', String(scheduleId)]);
    assert.match(
      listed.stdout,
      new RegExp(`${safety!.id}.*Safety copy before restore #${restored.jobId}`),
    );
  });

  test('a mail restore that fails half way names what it restored and how to undo it', async () => {
    const [first, second] = bob.mailboxes as [Customer['mailboxes'][0], Customer['mailboxes'][0]];
    const cur = join(first.maildir, 'cur');
    for (const mail of (await readdir(cur)).slice(0, 3)) await rm(join(cur, mail));
    await writeFile(join(first.maildir, 'new', `${Date.now()}.M1P1.demo`), 'Subject: new\n\nhi\n');
    const beforeRestore = await readTree(first.maildir);
    // The second mailbox's Maildir is a symbolic link now: its restore is refused, the job fails
    // after the first mailbox was merged.
    const moved = `${second.maildir}.moved`;
    await rename(second.maildir, moved);
    await symlink(moved, second.maildir);
    let restored;
    try {
      restored = await restore(backup, { what: 'email', keepNewerMail: true });
    } finally {
      await rm(second.maildir);
      await rename(moved, second.maildir);
    }
    assert.equal(restored.status, 'failed', restored.log);
    assert.match(restored.log, new RegExp(`already restored: mailbox ${first.address}\\.`));
    assert.notDeepEqual(await readTree(first.maildir), beforeRestore);
    const safeties = await undoSnapshots(restored.log, restored.jobId);
    const maildirCopy = safeties.find((s) => s.safety?.holds === `mailbox ${first.address}`);
    assert.ok(maildirCopy, JSON.stringify(safeties));
    assert.deepEqual(maildirCopy.safety?.undo, {
      what: 'mailbox',
      mailbox: first.address,
      keepNewerMail: false,
    });

    const undone = await restore(maildirCopy, maildirCopy.safety!.undo);
    assert.equal(undone.status, 'successful', undone.error);
    assert.deepEqual(await readTree(first.maildir), beforeRestore);
  });

  test('a database, through the API', async () => {
    const name = bob.databases[0]!;
    const table = Object.keys(await checksums(name))[0]!;
    await runSql(
      { user: 'root' },
      `SET FOREIGN_KEY_CHECKS=0; DELETE FROM \`${name}\`.\`${table}\` LIMIT 2;`,
    );
    const beforeRestore = await checksums(name);
    const restored = await restore(backup, { what: 'database', database: name });
    assert.equal(restored.status, 'successful', restored.error);
    assert.notDeepEqual(await checksums(name), beforeRestore);
    const [safety] = await undoSnapshots(restored.log, restored.jobId);
    assert.deepEqual(safety!.contents, ['db']);
    const undone = await restore(safety!, safety!.safety!.undo);
    assert.equal(undone.status, 'successful', `${undone.error}\n${undone.log}`);
    assert.deepEqual(await checksums(name), beforeRestore);
  });
});
