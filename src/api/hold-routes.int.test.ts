/**
 * Holds over HTTP with real restic: a customer keeps and un-keeps their own snapshot within the
 * package's keep limit (a clear 409 beyond it, nothing changed), sees the provider's hold without
 * its reason; the provider holds, lists and releases; another customer's snapshot id answers the
 * same 404, byte for byte, as an id that does not exist.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AuthService } from '../auth/index.js';
import { BOOTSTRAP_USERNAME } from '../auth/bootstrap.js';
import { loadConfig } from '../config.js';
import { startService, type Service } from '../serve.js';
import { HttpClient, backedUp } from '../../test/support/http-client.js';

let work: string;
let service: Service;
const web = () => join(work, 'home/alice/www');

const alice = new HttpClient(() => service.url);
const bob = new HttpClient(() => service.url);
const admin = new HttpClient(() => service.url);

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-hold-routes-'));
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
      {
        id: 'basic',
        name: 'Basic',
        frequencies: ['daily'],
        maxRetention: 7,
        maxSchedules: 3,
        keepLimit: 1,
      },
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
  await admin.signIn(BOOTSTRAP_USERNAME, 'admin-password-123');
});

after(async () => {
  await service?.stop();
  delete process.env.HOSTVAULT_ADMIN_PASSWORD;
  if (work) await rm(work, { recursive: true, force: true });
});

test("keep within the limit, the provider's hold, and the one 404 for another customer's snapshot", async () => {
  await writeFile(join(web(), 'index.html'), '<h1>one</h1>');
  const one = await backedUp(alice, 'Web');
  await writeFile(join(web(), 'index.html'), '<h1>two</h1>');
  const run = await alice.call('POST', `/api/schedules/${one.scheduleId}/run`);
  assert.equal((await alice.finished(run.json.jobId)).status, 'successful');
  const listed = await alice.call('GET', `/api/schedules/${one.scheduleId}/snapshots`);
  const [two] = listed.json.snapshots;
  assert.notEqual(two.id, one.id);
  assert.deepEqual(
    listed.json.snapshots.map((s: { holds: unknown[] }) => s.holds),
    [[], []],
  );

  const keepOne = await alice.call('PUT', `/api/snapshots/${one.repositoryId}/${one.id}/keep`);
  assert.equal(keepOne.status, 200, JSON.stringify(keepOne.json));
  assert.equal(keepOne.json.kind, 'keep');

  // The package allows one: the second is refused in plain words, and nothing changed.
  const keepTwo = await alice.call('PUT', `/api/snapshots/${two.repositoryId}/${two.id}/keep`);
  assert.equal(keepTwo.status, 409, JSON.stringify(keepTwo.json));
  assert.equal(keepTwo.json.error.code, 'snapshot.keep_limit');
  assert.deepEqual(keepTwo.json.error.params, { max: 1 });
  assert.match(keepTwo.json.error.message, /at most 1 snapshot/);
  const afterRefusal = await alice.call('GET', `/api/schedules/${one.scheduleId}/snapshots`);
  assert.deepEqual(
    afterRefusal.json.snapshots.map((s: { id: string; holds: { kind: string }[] }) => [
      s.id,
      s.holds.map((h) => h.kind),
    ]),
    [
      [two.id, []],
      [one.id, ['keep']],
    ],
  );

  // Another customer: the same 404 as for a snapshot that does not exist, byte for byte.
  const missing = `/api/snapshots/${one.repositoryId}/${'f'.repeat(64)}/keep`;
  const foreign = `/api/snapshots/${one.repositoryId}/${one.id}/keep`;
  for (const method of ['PUT', 'DELETE']) {
    const a = await bob.call(method, foreign);
    const b = await bob.call(method, missing);
    assert.equal(a.status, 404);
    assert.deepEqual(a, b);
  }
  // A customer cannot reach the provider's routes at all.
  assert.equal(
    (
      await alice.call('PUT', `/api/admin/snapshots/${two.repositoryId}/${two.id}/hold`, {
        reason: 'x',
      })
    ).status,
    403,
  );

  // The provider holds the other snapshot; a past end and a missing reason are refused.
  const holdPath = `/api/admin/snapshots/${two.repositoryId}/${two.id}/hold`;
  const past = await admin.call('PUT', holdPath, {
    reason: 'Investigation',
    expiresAt: '2020-01-01T00:00:00Z',
  });
  assert.equal(past.status, 400);
  assert.equal(past.json.error.code, 'snapshot.hold_expiry_past');
  const noReason = await admin.call('PUT', holdPath, { reason: '  ' });
  assert.equal(noReason.status, 400);
  assert.equal(noReason.json.error.code, 'validation.failed');
  const until = new Date(Date.now() + 90 * 86_400_000).toISOString();
  const held = await admin.call('PUT', holdPath, {
    reason: 'Police request 2026/118',
    expiresAt: until,
  });
  assert.equal(held.status, 200, JSON.stringify(held.json));
  assert.equal(held.json.kind, 'legal');
  assert.equal(held.json.expiresAt, until);
  const all = await admin.call('GET', '/api/admin/holds?customerId=alice');
  assert.deepEqual(
    all.json.holds.map((h: { snapshotId: string; kind: string }) => [h.snapshotId, h.kind]).sort(),
    [
      [one.id, 'keep'],
      [two.id, 'legal'],
    ].sort(),
  );
  // The customer sees that it is held, not the provider's reason.
  const seen = await alice.call('GET', `/api/schedules/${one.scheduleId}/snapshots`);
  assert.deepEqual(seen.json.snapshots[0].holds, [
    { kind: 'legal', reason: 'Held by your provider', expiresAt: until },
  ]);

  // Released; un-kept: nothing is held any more.
  assert.equal((await admin.call('DELETE', holdPath)).status, 200);
  assert.equal((await admin.call('DELETE', holdPath)).status, 404);
  assert.equal((await alice.call('DELETE', foreign)).status, 200);
  assert.deepEqual((await admin.call('GET', '/api/admin/holds')).json.holds, []);
});
