/**
 * Download of whatever a web root can hold, through the real service over HTTP with real restic:
 * a file comes as its bytes; a symbolic link, a named pipe and a device file each get a plain
 * refusal that says what they are, never a 500; a folder comes as tar.gz with its links as links,
 * its pipes as pipes, and its device files left out with a note inside the archive saying so. A
 * download that fails is written to the service log: before its first byte the customer gets a
 * JSON error, after it an aborted transfer (never one that ends like a whole file).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import {
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthService } from '../auth/index.js';
import { loadConfig } from '../config.js';
import { startService, type Service } from '../serve.js';
import { downloadDirectory } from '../snapshot/index.js';

const run = promisify(execFile);
let work: string;
let service: Service;
let cookie = '';
let csrf = '';
let base = '';
let scheduleId = 0;
let snapshotId = '';
const logs: string[] = [];
const web = () => join(work, 'home/alice/www');

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

/** The restic process dumping `name` for a download. */
async function dumpingRestic(name: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const argv = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
      const args = argv.split('\0');
      if (args.includes('dump') && args.some((a) => a.endsWith(`/${name}`))) return Number(entry);
    }
    await sleep(50);
  }
  throw new Error(`no restic dumps ${name}`);
}

function download(path: string): Promise<Response> {
  return fetch(`${service.url}${base}/download?path=${encodeURIComponent(path)}`, {
    headers: { cookie },
  });
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-download-'));
  process.env.HOSTVAULT_ADMIN_PASSWORD = 'admin-password-123';
  service = await startService(
    {
      ...loadConfig({
        HOSTVAULT_DATA_DIR: join(work, 'data'),
        HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
      }),
      listen: { host: '127.0.0.1', port: 0 },
    },
    { log: (line) => logs.push(line) },
  );
  await mkdir(join(web(), 'site/releases/v2'), { recursive: true });
  await writeFile(join(web(), 'site/releases/v2/index.php'), '<?php echo "v2";');
  await symlink('releases/v2', join(web(), 'site/current'));
  await symlink('/etc/passwd', join(web(), 'site/passwd'));
  await run('mkfifo', [join(web(), 'site/queue')]);
  await run('mknod', [join(web(), 'site/null'), 'c', '1', '3']);
  await writeFile(join(web(), 'site/readme.txt'), 'hello\n');
  await writeFile(join(web(), 'site/big.bin'), randomBytes(48 * 1024 * 1024));

  const { inventory, store, masterKey } = service.app;
  await inventory.importInventory({
    packages: [
      { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 7, maxSchedules: 2 },
    ],
    customers: [
      {
        id: 'alice',
        name: 'Alice',
        linuxUser: 'alice',
        uid: 2000,
        gid: 2000,
        packageId: 'basic',
        webRoot: web(),
      },
    ],
  });
  const auth = new AuthService({ store, masterKey });
  await auth.createUser({
    username: 'alice',
    password: 'alice-password-1',
    role: 'customer',
    customerId: 'alice',
  });
  const signIn = await fetch(`${service.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'alice-password-1' }),
  });
  cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  csrf = ((await signIn.json()) as { csrfToken: string }).csrfToken;

  const created = await call('POST', '/api/schedules', {
    name: 'Nightly web',
    scope: 'web',
    frequency: 'daily',
    retention: 3,
    target: { kind: 'local' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const started = await call('POST', `/api/schedules/${created.json.id}/run`);
  for (let i = 0; i < 300; i++) {
    const job = await call('GET', `/api/jobs/${started.json.jobId}`);
    if (job.json.status === 'successful') break;
    assert.ok(['pending', 'running'].includes(job.json.status), JSON.stringify(job.json));
    await sleep(200);
  }
  scheduleId = created.json.id as number;
  const snapshots = await call('GET', `/api/schedules/${created.json.id}/snapshots`);
  const snapshot = snapshots.json.snapshots[0];
  snapshotId = snapshot.id as string;
  base = `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}`;
  // The browse index is built after the backup: the tests below take it as there.
  for (let i = 0; i < 100 && !service.app.browser.isOpen(snapshot.id); i++) await sleep(100);
  assert.ok(service.app.browser.isOpen(snapshot.id), 'indexed after the backup');
});

after(async () => {
  await service?.stop();
  delete process.env.HOSTVAULT_ADMIN_PASSWORD;
  if (work) await rm(work, { recursive: true, force: true });
});

describe('downloads of every kind of entry', () => {
  test('a file comes as its bytes', async () => {
    const response = await download('/Web files/site/readme.txt');
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'hello\n');
  });

  test('a symbolic link, a named pipe and a device file get a plain refusal, never a 500', async () => {
    const cases: [string, RegExp][] = [
      ['/Web files/site/current', /is a symbolic link to releases\/v2.*download the folder/i],
      ['/Web files/site/passwd', /is a symbolic link to \/etc\/passwd/],
      ['/Web files/site/queue', /is a named pipe.*no content/i],
      ['/Web files/site/null', /is a device file.*no content/i],
    ];
    for (const [path, message] of cases) {
      const response = await download(path);
      const body = await response.text();
      assert.equal(response.status, 422, `${path}: ${response.status} ${body}`);
      assert.match(response.headers.get('content-type') ?? '', /application\/json/);
      const json = JSON.parse(body) as { error: { message: string } };
      assert.match(json.error.message, message, path);
      assert.doesNotMatch(body, /root:x:0/, 'the link is never followed');
    }
  });

  test('a folder comes as tar.gz: links stay links, pipes stay pipes, device files are left out with a note', async () => {
    const response = await download('/Web files/site');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-disposition') ?? '', /site\.tar\.gz/);
    const archive = join(work, 'site.tar.gz');
    await writeFile(archive, Buffer.from(await response.arrayBuffer()));
    const { stdout } = await run('tar', ['-tvzf', archive]);
    const listing = stdout.split('\n').filter(Boolean);
    const line = (name: string) => listing.find((l) => l.includes(` site/${name}`));
    assert.match(line('current -> releases/v2') ?? '', /^l/, stdout);
    assert.match(line('passwd -> /etc/passwd') ?? '', /^l/, stdout);
    assert.match(line('queue') ?? '', /^p/, `the pipe is a pipe:\n${stdout}`);
    assert.match(line('readme.txt') ?? '', /^-/, stdout);
    assert.equal(line('null'), undefined, `no device file:\n${stdout}`);
    const extracted = join(work, 'extracted');
    await mkdir(extracted);
    await run('tar', ['-xzf', archive, '-C', extracted]);
    const note = await readFile(join(extracted, 'site/hostvault-download-note.txt'), 'utf8');
    assert.match(note, /^This archive of site leaves out 1 entry/);
    assert.match(note, /\n {2}site\/null \(a device file\)\n/);
    assert.doesNotMatch(note, new RegExp(web()), 'no server path in the note');
    assert.equal(await readFile(join(extracted, 'site/readme.txt'), 'utf8'), 'hello\n');
  });

  test("without a browse index, restic's listing tells which entries are pipes", async () => {
    const { app } = service;
    const schedule = await app.schedules.getRow({ role: 'admin' }, scheduleId);
    const repo = await app.repositories.locationFor(await app.schedules.target(schedule), 'alice');
    const archive = join(work, 'unindexed.tar.gz');
    await downloadDirectory(
      app.restic,
      repo.location,
      snapshotId,
      join(web(), 'site'),
      createWriteStream(archive),
      { roots: { web: [web()] } },
    );
    const { stdout } = await run('tar', ['-tvzf', archive]);
    assert.match(stdout, /^p.* site\/queue$/m);
    assert.doesNotMatch(stdout, / site\/null$/m);
  });

  test('a download that cannot start answers a JSON error, and the service log says why', async () => {
    // Without its index restic finds nothing and fails at once (damaged or missing pack files
    // it retries for most of a minute first).
    const repo = join(service.app.config.localRepositoryDir, 'alice');
    await rename(join(repo, 'index'), join(repo, 'index.kept'));
    await mkdir(join(repo, 'index'));
    try {
      logs.length = 0;
      const response = await download('/Web files/site/readme.txt');
      const body = (await response.json()) as { error: { message: string } };
      assert.equal(response.status, 500);
      assert.match(body.error.message, /could not be read from the backup/);
      const line = logs.find((l) => /download/.test(l));
      assert.ok(line, `nothing in the service log:\n${logs.join('\n')}`);
      assert.match(line, /site\/readme\.txt .*failed: .*not found in repository/);
    } finally {
      await rm(join(repo, 'index'), { recursive: true });
      await rename(join(repo, 'index.kept'), join(repo, 'index'));
    }
  });

  test('a download that fails half way is cut off, never ends like a whole file, and is logged', async () => {
    logs.length = 0;
    const response = await download('/Web files/site/big.bin');
    assert.equal(response.status, 200);
    // restic waits for the customer to read on; it dies meanwhile.
    const pid = await dumpingRestic('big.bin');
    process.kill(pid, 'SIGKILL');
    const body = await response.arrayBuffer().then(
      (bytes) => ({ bytes: bytes.byteLength }),
      (error: unknown) => ({ error }),
    );
    assert.ok('error' in body, `the transfer is aborted, not ended: ${JSON.stringify(body)}`);
    for (let i = 0; i < 50 && !logs.some((l) => /download/.test(l)); i++) await sleep(100);
    assert.match(logs.find((l) => /download/.test(l)) ?? '', /site\/big\.bin .*failed/);
  });
});
