/**
 * No answer a customer gets names the service's own paths: the data directory, its staging
 * directories (where databases are dumped before restic reads them), /proc/self/fd. The customer
 * backs up web files and real MariaDB databases through the real service, browses and downloads
 * the dumps, and sends the failing requests an attacker would; every answer (bodies, headers,
 * the names inside a downloaded archive, job logs) is kept and searched.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { AuthService } from '../auth/index.js';
import { loadConfig } from '../config.js';
import { dropEverything, sql, uniquePrefix } from '../../test/support/mariadb.js';
import { startService, type Service } from '../serve.js';

const prefix = uniquePrefix();
let webRoot: string;
const shop = `${prefix}shop`;
const blog = `${prefix}blog`;
let work: string;
let dataDir: string;
let service: Service;

interface Seen {
  what: string;
  status: number;
  text: string;
}
const seen: Seen[] = [];
/** The restore jobs the customer ran, as their detail answered when they had finished. */
const restored: any[] = [];

class Customer {
  private cookie = '';
  private csrf = '';
  constructor(private readonly base: string) {}

  async signIn(username: string, password: string): Promise<void> {
    const response = await fetch(`${this.base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    assert.equal(response.status, 200);
    this.cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    this.csrf = ((await response.json()) as { csrfToken: string }).csrfToken;
  }

  /** Sends a request and keeps what came back: status, headers and body as text. */
  async call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: any; bytes: Buffer; headers: Headers }> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        cookie: this.cookie,
        'x-csrf-token': this.csrf,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const headers = [...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
    seen.push({
      what: `${method} ${path}`,
      status: response.status,
      text: `${headers}\n\n${bytes.toString('latin1')}`,
    });
    let json: any;
    if (/json/.test(response.headers.get('content-type') ?? '') && bytes.length > 0)
      json = JSON.parse(bytes.toString('utf8'));
    return { status: response.status, json, bytes, headers: response.headers };
  }

  async job(id: number): Promise<any> {
    for (let i = 0; i < 600; i++) {
      const { json } = await this.call('GET', `/api/jobs/${id}`);
      if (['successful', 'failed', 'canceled'].includes(json.status)) return json;
      await sleep(200);
    }
    throw new Error(`job ${id} did not finish`);
  }
}

/** Names of the entries of a tar archive (ustar name and prefix, PAX and GNU long names). */
function tarNames(tar: Buffer): string[] {
  const names: string[] = [];
  let offset = 0;
  let long: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    if (type === 'x') {
      long = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
    } else if (type === 'L') {
      long = body.toString('utf8').replace(/\0.*$/s, '');
    } else if (type !== 'g') {
      const ustar = field(257, 5) === 'ustar' ? field(345, 155) : '';
      names.push(long ?? (ustar ? `${ustar}/${field(0, 100)}` : field(0, 100)));
      long = undefined;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-paths-'));
  // Apart from the customer's home: a customer may see their own paths, never these.
  dataDir = await mkdtemp(join(tmpdir(), 'hv-paths-data-'));
  process.env.HOSTVAULT_ADMIN_PASSWORD = 'admin-password-123';
  service = await startService(
    {
      ...loadConfig({ HOSTVAULT_DATA_DIR: dataDir, HOSTVAULT_KEY_FILE: join(work, 'master.key') }),
      listen: { host: '127.0.0.1', port: 0 },
    },
    { log: () => undefined },
  );
  await sql(`
    CREATE DATABASE \`${shop}\`;
    CREATE TABLE \`${shop}\`.items (id INT PRIMARY KEY, name VARCHAR(50));
    INSERT INTO \`${shop}\`.items VALUES (1, 'one'), (2, 'two');
    CREATE DATABASE \`${blog}\`;
    CREATE TABLE \`${blog}\`.posts (id INT PRIMARY KEY, title VARCHAR(50));
    INSERT INTO \`${blog}\`.posts VALUES (1, 'hello');
  `);
  const home = join(work, 'home/alice');
  webRoot = join(home, 'www');
  await mkdir(webRoot, { recursive: true });
  await writeFile(join(home, 'www/index.php'), '<?php echo 1;');
  await service.app.inventory.importInventory({
    packages: [{ id: 'p', name: 'P', frequencies: ['daily'], maxRetention: 7, maxSchedules: 3 }],
    customers: [
      {
        id: 'alice',
        name: 'Alice',
        linuxUser: 'alice',
        uid: 2001,
        gid: 2001,
        packageId: 'p',
        webRoot,
        databases: [shop, blog],
      },
    ],
  });
  await new AuthService({
    store: service.app.store,
    masterKey: service.app.masterKey,
  }).createUser({
    username: 'alice',
    password: 'alice-password-1',
    role: 'customer',
    customerId: 'alice',
  });
});
after(async () => {
  await service?.stop();
  delete process.env.HOSTVAULT_ADMIN_PASSWORD;
  await dropEverything(prefix);
  await rm(work, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

/** Answers that name one of the service's paths, with the start of their body. */
function leaks(answers: Seen[]): string[] {
  // The last answer of each request is enough (a job polled ten times leaks ten times).
  const last = new Map(answers.map((s) => [s.what, s]));
  return [...last.values()]
    .filter(
      (s) =>
        s.text.includes(dataDir) ||
        s.text.includes('/proc/self/fd') ||
        // A staging directory by path; "a staging database" in a job's log is plain words.
        /staging\//i.test(s.text),
    )
    .map((s) => {
      const body = s.text.replace(/^[\s\S]*?\n\n/, '').replace(/(.)\1{40,}/g, '$1$1$1…');
      return `${s.what} → ${s.status}: ${body.slice(0, 600)}`;
    });
}
/** Schedules and jobs: their answers and logs, the second half of the sweep. */
const scheduleOrJob = (s: Seen) => /^(GET|POST) \/api\/(schedules|jobs)\b/.test(s.what);

describe("the service's paths never reach a customer", () => {
  before(async () => {
    const alice = new Customer(service.url);
    await alice.signIn('alice', 'alice-password-1');
    const created = await alice.call('POST', '/api/schedules', {
      name: 'Nightly full',
      scope: 'full',
      frequency: 'daily',
      retention: 3,
      target: { kind: 'local' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const run = await alice.call('POST', `/api/schedules/${created.json.id}/run`);
    const backup = await alice.job(run.json.jobId);
    assert.equal(backup.status, 'successful', JSON.stringify(backup));
    const { json: list } = await alice.call('GET', `/api/schedules/${created.json.id}/snapshots`);
    const snapshot = list.snapshots[0];
    const base = `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}`;
    const browse = (path: string) =>
      alice.call('GET', `${base}/browse?path=${encodeURIComponent(path)}`);
    const download = (path: string) =>
      alice.call('GET', `${base}/download?path=${encodeURIComponent(path)}`);

    const top = await browse('/');
    assert.deepEqual(
      top.json.entries.map((e: any) => e.name),
      ['Web files', 'Databases'],
    );
    const dumps = await browse('/Databases');
    assert.equal(dumps.status, 200);
    assert.deepEqual(
      dumps.json.entries.map((e: any) => [e.name, e.path, e.realPath]),
      [
        [`${blog}.sql`, `/Databases/${blog}.sql`, undefined],
        [`${shop}.sql`, `/Databases/${shop}.sql`, undefined],
      ],
    );
    const web = await browse('/Web files');
    assert.deepEqual(
      web.json.entries.map((e: any) => [e.name, e.realPath]),
      [['index.php', join(webRoot, 'index.php')]],
      "a customer's own file keeps its place, to restore it there",
    );

    const one = await download(`/Databases/${shop}.sql`);
    assert.equal(one.status, 200);
    assert.match(one.bytes.toString('utf8'), /INSERT INTO `items`/);
    assert.match(one.headers.get('content-disposition') ?? '', new RegExp(`"${shop}\\.sql"`));
    const folder = await download('/Databases');
    assert.equal(folder.status, 200);
    assert.match(folder.headers.get('content-disposition') ?? '', /"Databases\.tar\.gz"/);
    const names = tarNames(gunzipSync(folder.bytes));
    assert.deepEqual(names.sort(), [`Databases/${blog}.sql`, `Databases/${shop}.sql`]);
    const gunzipped = gunzipSync(folder.bytes).toString('latin1');
    seen.push({ what: 'archive Databases.tar.gz', status: 200, text: gunzipped });

    // Failing requests: each answers in the customer's words, none with a server path.
    for (const path of [
      `/Databases/${shop}.sql`,
      '/Databases/missing.sql',
      `/Databases/${shop}.sql/deeper`,
      '/Databases/./x',
      '/Databases//x',
      '/Databases/../../etc',
      `/Databases/${'x'.repeat(4000)}`,
      '/Nothing here',
    ]) {
      const answer = await browse(path);
      assert.ok(answer.status >= 400, `${path}: ${answer.status}`);
    }
    for (const path of ['/', '/Databases/missing.sql', `/Databases/${'y'.repeat(300)}`]) {
      const answer = await download(path);
      assert.ok(answer.status >= 400, `${path}: ${answer.status}`);
    }
    const restore = (body: unknown) => alice.call('POST', `${base}/restore`, body);
    // The dump's place in the snapshot can be guessed: <data dir>/staging/<customer>/<schedule>.
    const guessed = join(dataDir, 'staging/alice', String(created.json.id), 'databases');
    const dump = await restore({ what: 'file', path: join(guessed, `${shop}.sql`) });
    assert.equal(dump.status, 400, 'a dump restores as a database, never as a file');
    assert.equal(dump.json.error.message, 'Choose a file from this snapshot.');
    // Not canonical: refused at once, where they were queued and failed in the job with
    // "ENAMETOOLONG … /proc/self/fd/…".
    for (const path of [
      `${webRoot}/./index.php`,
      `${webRoot}//index.php`,
      `${webRoot}/${'n'.repeat(4000)}`,
    ]) {
      const answer = await restore({ what: 'file', path });
      assert.equal(answer.status, 400, `${path.slice(0, 80)}: ${JSON.stringify(answer.json)}`);
    }
    for (const body of [
      { what: 'file', path: `/Databases/${shop}.sql` },
      { what: 'file', path: join(dataDir, 'staging') },
      { what: 'file', path: '/etc/passwd' },
      { what: 'database', database: 'not-mine' },
      { what: 'mailbox', mailbox: 'nobody@example.net' },
      // Restored as a whole: the job's log and error are customer-facing too.
      { what: 'database', database: shop },
      // One file and the web files: their logs name the file under "Web files", never its path.
      { what: 'file', path: join(webRoot, 'index.php') },
      { what: 'web' },
    ]) {
      const answer = await restore(body);
      if (answer.status === 202) restored.push(await alice.job(answer.json.jobId));
    }
    for (const path of [
      '/api/jobs',
      '/api/schedules',
      '/api/tasks/active',
      '/api/me/areas',
      '/api/me/package',
      '/api/session',
      '/api/health',
      '/api/openapi.json',
      '/api/nothing/here',
      '/metrics',
    ])
      await alice.call('GET', path);
  });

  test('browse, download, restore and every failing request name no server path', () => {
    assert.ok(seen.filter((s) => !scheduleOrJob(s)).length > 30);
    assert.deepEqual(leaks(seen.filter((s) => !scheduleOrJob(s))), []);
  });

  test('schedules and job logs name no server path either', () => {
    assert.ok(seen.filter(scheduleOrJob).length > 3);
    assert.deepEqual(leaks(seen.filter(scheduleOrJob)), []);
  });

  test("job logs are in the customer's words: no restic lines, staging, timings or server paths", () => {
    const jobs = seen.filter((s) => /^GET \/api\/jobs\b/.test(s.what));
    assert.ok(jobs.length > 3);
    const raw = [
      webRoot, // the customer's own files are named under their areas ("Web files/index.php")
      'restic',
      'swapped in',
      'staged in',
      'previous content removed',
      'moved aside',
      'MiB',
      'KiB',
    ];
    const found = [...new Map(jobs.map((s) => [s.what, s])).values()].flatMap((s) =>
      raw.filter((word) => s.text.includes(word)).map((word) => `${s.what}: ${word}`),
    );
    assert.deepEqual(found, []);
    const file = restored.find((j) => j.restore?.what === 'file');
    assert.equal(file?.status, 'successful', JSON.stringify(file));
    assert.equal(file.restore.path, 'Web files/index.php');
    assert.deepEqual(
      file.steps.map((s: any) => s.code),
      ['job.started', 'restore.file', 'restore.safety', 'restore.undo', 'job.finished'],
    );
    assert.deepEqual(file.steps.find((s: any) => s.code === 'restore.file').params, {
      path: 'Web files/index.php',
    });
    assert.match(file.log, /Restoring Web files\/index\.php/);
    const web = restored.find((j) => j.restore?.what === 'web');
    assert.equal(web?.status, 'successful', JSON.stringify(web));
    assert.ok(
      web.steps.some((s: any) => s.code === 'restore.web'),
      JSON.stringify(web.steps),
    );
    for (const job of restored)
      for (const step of job.steps) assert.match(step.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  });
});
