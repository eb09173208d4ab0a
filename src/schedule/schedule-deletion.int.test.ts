/**
 * "Delete a schedule" over HTTP with real restic. Kept snapshots stay reachable without their
 * schedule, through their repository and its target record: the customer browses one, downloads
 * a file from it and restores a file from it; another customer still gets the one 404. Forgotten
 * snapshots leave restic's repository and the Restore tab, and the kept ones of the other
 * schedule in the same repository stay.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AuthService } from '../auth/index.js';
import { loadConfig } from '../config.js';
import { startService, type Service } from '../serve.js';
import { HttpClient, backedUp } from '../../test/support/http-client.js';

let work: string;
let service: Service;
const web = () => join(work, 'home/alice/www');

const alice = new HttpClient(() => service.url);
const bob = new HttpClient(() => service.url);

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-delete-schedule-'));
  process.env.HOSTVAULT_ADMIN_PASSWORD = 'admin-password-123';
  service = await startService(
    {
      ...loadConfig({
        HOSTVAULT_DATA_DIR: join(work, 'data'),
        HOSTVAULT_KEY_FILE: join(work, 'keys/master.key'),
      }),
      listen: { host: '127.0.0.1', port: 0 },
    },
    { log: () => undefined },
  );
  const { inventory, store, masterKey } = service.app;
  for (const id of ['alice', 'bob']) await mkdir(join(work, `home/${id}/www`), { recursive: true });
  await inventory.importInventory({
    packages: [
      { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 7, maxSchedules: 3 },
    ],
    customers: ['alice', 'bob'].map((id, i) => ({
      id,
      name: id,
      linuxUser: id,
      uid: 2000 + i,
      gid: 2000 + i,
      packageId: 'basic',
      webRoot: join(work, `home/${id}/www`),
    })),
  });
  const auth = new AuthService({ store, masterKey });
  for (const id of ['alice', 'bob']) {
    await auth.createUser({
      username: id,
      password: `${id}-password-12`,
      role: 'customer',
      customerId: id,
    });
  }
  await alice.signIn('alice', 'alice-password-12');
  await bob.signIn('bob', 'bob-password-12');
});

after(async () => {
  await service?.stop();
  delete process.env.HOSTVAULT_ADMIN_PASSWORD;
  if (work) await rm(work, { recursive: true, force: true });
});

test('snapshots kept when their schedule is deleted are browsed, downloaded and restored; forgotten ones are gone', async () => {
  await writeFile(join(web(), 'index.html'), '<h1>first</h1>');
  const forgotten = await backedUp(alice, 'Web, to forget');
  await writeFile(join(web(), 'index.html'), '<h1>kept</h1>');
  const kept = await backedUp(alice, 'Web, to keep');
  // Both schedules back up into alice's one repository on the target.
  assert.equal(kept.repositoryId, forgotten.repositoryId);
  const { app } = service;
  const keptRow = await app.schedules.getRow({ role: 'admin' }, kept.scheduleId);

  const deleted = await alice.call('DELETE', `/api/schedules/${kept.scheduleId}?snapshots=keep`);
  assert.equal(deleted.status, 200, JSON.stringify(deleted.json));
  assert.deepEqual(deleted.json, { deleted: true, snapshots: 'keep' });
  assert.equal((await alice.call('GET', `/api/schedules/${kept.scheduleId}`)).status, 404);
  // The repository was last reached through the deleted schedule's target record: it stays.
  assert.equal((await app.repositoryRecords.place(kept.repositoryId)).target.id, keptRow.target_id);

  const base = `/api/snapshots/${kept.repositoryId}/${kept.id}`;
  const listing = await alice.call(
    'GET',
    `${base}/browse?path=${encodeURIComponent('/Web files')}`,
  );
  assert.equal(listing.status, 200, JSON.stringify(listing.json));
  const [entry] = listing.json.entries;
  assert.equal(entry.name, 'index.html');
  assert.equal(entry.realPath, join(web(), 'index.html'));
  const download = await alice.raw(
    `${base}/download?path=${encodeURIComponent('/Web files/index.html')}`,
  );
  assert.equal(download.status, 200);
  assert.equal(await download.text(), '<h1>kept</h1>');

  await writeFile(join(web(), 'index.html'), '<h1>broken</h1>');
  const restore = await alice.call('POST', `${base}/restore`, {
    what: 'file',
    path: entry.realPath,
  });
  assert.equal(restore.status, 202, JSON.stringify(restore.json));
  const job = await alice.finished(restore.json.jobId);
  assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
  assert.equal(await readFile(join(web(), 'index.html'), 'utf8'), '<h1>kept</h1>');

  // Another customer reaches none of it: the one 404, as for a missing id.
  for (const path of [`${base}/browse`, `${base}/download?path=%2FWeb%20files%2Findex.html`])
    assert.equal((await bob.call('GET', path)).status, 404, path);
  assert.equal((await bob.call('POST', `${base}/restore`, { what: 'web' })).status, 404);

  // The other schedule, deleted with its snapshots: restic forgets them, the kept one stays.
  const gone = await alice.call(
    'DELETE',
    `/api/schedules/${forgotten.scheduleId}?snapshots=forget`,
  );
  assert.equal(gone.status, 200, JSON.stringify(gone.json));
  const place = await app.repositoryRecords.place(kept.repositoryId);
  const inRestic = await app.repositories.withRepository(place.target.target, 'alice', (repo) =>
    app.restic.snapshots(repo.location),
  );
  const ids = inRestic.map((s) => s.id);
  assert.ok(
    !ids.some((id) => id.startsWith(forgotten.id) || forgotten.id.startsWith(id)),
    ids.join(),
  );
  assert.ok(
    ids.some((id) => id.startsWith(kept.id) || kept.id.startsWith(id)),
    ids.join(),
  );
  const browseGone = await alice.call(
    'GET',
    `/api/snapshots/${forgotten.repositoryId}/${forgotten.id}/browse`,
  );
  assert.equal(browseGone.status, 404);
  // The kept snapshot (and the safety snapshot its restore saved) are still there to browse.
  assert.equal((await alice.call('GET', `${base}/browse`)).status, 200);
});
