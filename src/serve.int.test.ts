/**
 * The service over HTTP with real restic: a customer signs in, creates schedules within and
 * beyond the package, runs one, watches it in the banner, reads history and log, restores web
 * files; a second customer probes the first one's ids and gets 404 everywhere.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthService } from './auth/index.js';
import { loadConfig } from './config.js';
import { startService, type Service } from './serve.js';
import { HttpClient } from '../test/support/http-client.js';

let work: string;
let service: Service;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-serve-'));
  process.env.HOSTVAULT_ADMIN_PASSWORD = 'admin-password-123';
  const config = {
    ...loadConfig({
      HOSTVAULT_DATA_DIR: join(work, 'data'),
      HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
    }),
    listen: { host: '127.0.0.1', port: 0 },
  };
  service = await startService(config, { log: () => undefined });
  const { inventory, store, masterKey } = service.app;
  for (const id of ['alice', 'bob']) {
    const home = join(work, 'home', id);
    await mkdir(join(home, 'www/sub'), { recursive: true });
    await writeFile(join(home, 'www/index.php'), `<?php echo "${id}";`);
    await writeFile(join(home, 'www/sub/page.html'), `<h1>${id}</h1>`);
  }
  await inventory.importInventory({
    packages: [
      {
        id: 'basic',
        name: 'Basic',
        frequencies: ['daily', 'weekly'],
        maxRetention: 7,
        maxSchedules: 2,
      },
    ],
    customers: ['alice', 'bob'].map((id, i) => ({
      id,
      name: id,
      linuxUser: `u${id}`,
      uid: 2000 + i,
      gid: 2000 + i,
      packageId: 'basic',
      webRoot: join(work, 'home', id, 'www'),
    })),
  });
  const auth = new AuthService({ store, masterKey });
  await auth.createUser({
    username: 'alice',
    password: 'alice-password-1',
    role: 'customer',
    customerId: 'alice',
  });
  await auth.createUser({
    username: 'bob',
    password: 'bob-password-12',
    role: 'customer',
    customerId: 'bob',
  });
});
after(async () => {
  await service.stop();
  delete process.env.HOSTVAULT_ADMIN_PASSWORD;
  await rm(work, { recursive: true, force: true });
});

describe('the service over HTTP', () => {
  test('a customer backs up, watches progress, reads history and restores; another customer sees none of it', async () => {
    const alice = new HttpClient(service.url);
    await alice.signIn('alice', 'alice-password-1');

    const refused = await alice.call('POST', '/api/schedules', {
      name: 'Every hour',
      scope: 'web',
      frequency: 'hourly',
      retention: 3,
      target: { kind: 'local' },
    });
    assert.equal(refused.status, 400);
    assert.match(JSON.stringify(refused.json.error.fields), /does not include hourly/);

    const tooMany = await alice.call('POST', '/api/schedules', {
      name: 'Keep all',
      scope: 'web',
      frequency: 'daily',
      retention: 99,
      target: { kind: 'local' },
    });
    assert.equal(tooMany.status, 400);
    assert.match(JSON.stringify(tooMany.json.error.fields), /at most 7 snapshots/);

    const created = await alice.call('POST', '/api/schedules', {
      name: 'Nightly web',
      scope: 'web',
      frequency: 'daily',
      retention: 3,
      target: { kind: 'local', path: '/etc' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.json.hour, 2);
    // The server's directory is neither the customer's choice nor shown to them.
    assert.deepEqual(created.json.target, { kind: 'local' });
    const scheduleId = created.json.id as number;
    const stored = await service.app.schedules.target(
      await service.app.schedules.getRow({ role: 'admin' }, scheduleId),
    );
    assert.equal(
      stored.kind === 'local' && stored.path,
      service.app.config.localRepositoryDir,
      'a customer cannot choose a server path',
    );

    const run = await alice.call('POST', `/api/schedules/${scheduleId}/run`);
    assert.equal(run.status, 202);
    const again = await alice.call('POST', `/api/schedules/${scheduleId}/run`);
    assert.ok(again.json.alreadyRunning || again.status === 202);
    const banner = await alice.call('GET', '/api/tasks/active');
    assert.equal(banner.status, 200);

    const job = await alice.finished(run.json.jobId);
    assert.equal(job.status, 'successful', JSON.stringify(job));
    assert.match(job.log, /Files: 2 new/);
    const history = await alice.call('GET', '/api/jobs');
    assert.ok(history.json.jobs.some((j: any) => j.id === run.json.jobId));

    const snapshots = await alice.call('GET', `/api/schedules/${scheduleId}/snapshots`);
    assert.equal(snapshots.json.snapshots.length, 1);
    const snapshot = snapshots.json.snapshots[0];
    assert.deepEqual(snapshot.contents, ['web']);

    // The browse index is built right after the backup: opening the snapshot costs no listing.
    for (let i = 0; i < 100 && !service.app.browser.isOpen(snapshot.id); i++) await sleep(100);
    assert.ok(service.app.browser.isOpen(snapshot.id), 'indexed at backup time');
    const base = `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}`;
    const top = await alice.call('GET', `${base}/browse`);
    assert.equal(top.status, 200, JSON.stringify(top.json));
    assert.deepEqual(
      top.json.entries.map((e: any) => e.name),
      ['Web files'],
    );
    const sub = await alice.call(
      'GET',
      `${base}/browse?path=${encodeURIComponent('/Web files/sub')}`,
    );
    assert.deepEqual(
      sub.json.entries.map((e: any) => [e.name, e.type, e.size]),
      [['page.html', 'file', 14]],
    );
    assert.equal(sub.json.entries[0].realPath, join(work, 'home/alice/www/sub/page.html'));
    const search = await alice.call('GET', `${base}/search?q=PAGE`);
    assert.equal(search.status, 200, JSON.stringify(search.json));
    assert.deepEqual(
      search.json.entries.map((e: any) => [e.path, e.type, e.size]),
      [['/Web files/sub/page.html', 'file', 14]],
    );
    assert.equal(search.json.more, false);
    const badSearch = await alice.call('GET', `${base}/search?q=${encodeURIComponent('a/b')}`);
    assert.equal(badSearch.status, 400);
    assert.equal(badSearch.json.error.code, 'browse.invalid_query');
    assert.equal(badSearch.json.error.fields[0].field, 'q');
    const escape = await alice.call(
      'GET',
      `${base}/browse?path=${encodeURIComponent('/Web files/../../etc')}`,
    );
    assert.equal(escape.status, 400);
    const download = await alice.raw(
      `${base}/download?path=${encodeURIComponent('/Web files/sub/page.html')}`,
    );
    assert.equal(download.status, 200);
    assert.equal(await download.text(), '<h1>alice</h1>');

    const webRoot = join(work, 'home/alice/www');
    await rm(join(webRoot, 'sub/page.html'));
    await writeFile(join(webRoot, 'added.txt'), 'new');
    const restore = await alice.call(
      'POST',
      `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/restore`,
      { what: 'web' },
    );
    assert.equal(restore.status, 202, JSON.stringify(restore.json));
    const restoreJob = await alice.finished(restore.json.jobId);
    assert.equal(restoreJob.status, 'successful', JSON.stringify(restoreJob));
    assert.equal(await readFile(join(webRoot, 'sub/page.html'), 'utf8'), '<h1>alice</h1>');
    await assert.rejects(readFile(join(webRoot, 'added.txt')));
    assert.match(restoreJob.log, /To undo this restore/);

    const everything = await alice.call(
      'POST',
      `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/restore`,
      { what: 'everything' },
    );
    assert.equal(everything.status, 400, 'everything only from Full snapshots');

    const bob = new HttpClient(service.url);
    await bob.signIn('bob', 'bob-password-12');
    const missing = await bob.call('GET', '/api/schedules/999999');
    for (const [method, path, body] of [
      ['GET', `/api/schedules/${scheduleId}`],
      [
        'PUT',
        `/api/schedules/${scheduleId}`,
        { name: 'x', scope: 'web', frequency: 'daily', retention: 1, target: { kind: 'local' } },
      ],
      ['POST', `/api/schedules/${scheduleId}/run`],
      ['GET', `/api/schedules/${scheduleId}/snapshots`],
      ['DELETE', `/api/schedules/${scheduleId}`],
      ['GET', `/api/jobs/${run.json.jobId}`],
      ['POST', `/api/jobs/${run.json.jobId}/cancel`],
      ['POST', `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/restore`, { what: 'web' }],
      ['GET', `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/browse`],
      ['GET', `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/search?q=page`],
      [
        'GET',
        `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/versions?path=%2FWeb%20files%2Fsub%2Fpage.html`,
      ],
      [
        'GET',
        `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/compare?path=%2FWeb%20files%2Fsub%2Fpage.html&with=${snapshot.id}`,
      ],
      [
        'GET',
        `/api/snapshots/${snapshot.repositoryId}/${snapshot.id}/download?path=%2FWeb%20files%2Findex.php`,
      ],
    ] as [string, string, unknown?][]) {
      const probe = await bob.call(method, path, body);
      assert.equal(probe.status, 404, `${method} ${path}`);
      assert.deepEqual(probe.json, missing.json, `${method} ${path} answers like a missing id`);
    }
    assert.deepEqual((await bob.call('GET', '/api/schedules')).json.schedules, []);
    assert.equal((await bob.call('GET', '/api/jobs')).json.total, 0);
    assert.deepEqual((await bob.call('GET', '/api/tasks/active')).json.tasks ?? [], []);
  });

  test("a file's versions across a schedule's backups, and what changed in it", async () => {
    const alice = new HttpClient(service.url);
    await alice.signIn('alice', 'alice-password-1');
    const created = await alice.call('POST', '/api/schedules', {
      name: 'Versions',
      scope: 'web',
      frequency: 'daily',
      retention: 7,
      target: { kind: 'local' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const scheduleId = created.json.id as number;
    const notes = join(work, 'home/alice/www/notes.txt');
    const backUp = async () => {
      const run = await alice.call('POST', `/api/schedules/${scheduleId}/run`);
      assert.equal(run.status, 202, JSON.stringify(run.json));
      assert.equal((await alice.finished(run.json.jobId)).status, 'successful');
    };
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    await writeFile(notes, lines.join('\n') + '\n');
    const firstSize = (lines.join('\n') + '\n').length;
    await backUp();
    lines[9] = 'line ten, changed';
    await writeFile(notes, lines.join('\n') + '\n');
    await backUp();
    await backUp();
    await rm(notes);
    await backUp();
    const snapshots = (await alice.call('GET', `/api/schedules/${scheduleId}/snapshots`)).json
      .snapshots as { id: string; repositoryId: number; time: string }[];
    assert.equal(snapshots.length, 4);
    const [, newest, , oldest] = snapshots.sort((a, b) => b.time.localeCompare(a.time));
    const base = `/api/snapshots/${oldest!.repositoryId}`;
    const path = encodeURIComponent('/Web files/notes.txt');

    const history = await alice.call('GET', `${base}/${oldest!.id}/versions?path=${path}`);
    assert.equal(history.status, 200, JSON.stringify(history.json));
    assert.equal(history.json.snapshots, 4);
    assert.deepEqual(
      history.json.versions.map((v: any) => [v.kind, v.snapshots, v.size ?? null]),
      [
        ['absent', 1, null],
        ['present', 2, (lines.join('\n') + '\n').length],
        ['present', 1, firstSize],
      ],
    );
    assert.equal(history.json.versions[1].snapshotId, newest!.id);
    assert.equal(history.json.versions[1].realPath, notes);

    const compared = await alice.call(
      'GET',
      `${base}/${newest!.id}/compare?path=${path}&with=${oldest!.id}`,
    );
    assert.equal(compared.status, 200, JSON.stringify(compared.json));
    assert.equal(compared.json.older.snapshotId, oldest!.id);
    assert.equal(compared.json.diff.kind, 'changed');
    assert.equal(compared.json.diff.added, 1);
    assert.equal(compared.json.diff.removed, 1);
    assert.deepEqual(
      compared.json.diff.hunks[0].lines
        .filter((l: any) => l.op !== 'same')
        .map((l: any) => [l.op, l.text]),
      [
        ['removed', 'line 10'],
        ['added', 'line ten, changed'],
      ],
    );
    // A folder has no history of its own; a file not in a snapshot cannot be compared there.
    const folder = await alice.call(
      'GET',
      `${base}/${oldest!.id}/versions?path=${encodeURIComponent('/Web files')}`,
    );
    assert.equal(folder.status, 400);
    assert.equal(folder.json.error.code, 'browse.not_a_file');
    const gone = await alice.call(
      'GET',
      `${base}/${snapshots[0]!.id}/compare?path=${path}&with=${oldest!.id}`,
    );
    assert.equal(gone.status, 404);
  });
});
