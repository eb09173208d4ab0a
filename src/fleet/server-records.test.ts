// The fleet's server records on the store every controller shares: SQLite here, PostgreSQL under
// scripts/test-postgres.sh (openTestStore).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createCurve, createUser } from '@nats-io/nkeys';
import { HostvaultError } from '../errors/index.js';
import type { Store } from '../store/index.js';
import { openTestStore } from '../../test/support/store.js';
import { ServerRecords } from './server-records.js';
import type { Presence } from './messages.js';

const code = (c: string) => (error: unknown) => error instanceof HostvaultError && error.code === c;

describe('server records', () => {
  let store: Store;
  let clock: Date;
  let records: ServerRecords;

  before(async () => {
    store = await openTestStore();
  });
  after(async () => {
    await store.close();
  });
  beforeEach(async () => {
    await store.db.deleteFrom('server_enrollments').execute();
    await store.db.deleteFrom('servers').execute();
    clock = new Date('2026-12-05T10:00:00.000Z');
    records = new ServerRecords(store, () => clock);
  });

  it('enrolls a server once with a token, which is stored only as a hash', async () => {
    const { token, expiresAt, server } = await records.createEnrollment({
      server: 'web1',
      createdBy: 'admin',
    });
    assert.equal(server, 'web1');
    assert.equal(expiresAt, '2026-12-06T10:00:00.000Z');
    const stored = await store.db.selectFrom('server_enrollments').selectAll().execute();
    assert.equal(stored.length, 1);
    assert.ok(!JSON.stringify(stored).includes(token), 'the token itself is not stored');
    // Not yet enrolled: no key, nothing nats-server would let in.
    assert.equal((await records.get('web1'))?.state, 'revoked');
    assert.deepEqual(await records.authorizedAgents(), []);

    const key = createUser().getPublicKey();
    const enrolled = await records.enroll({ token, nkey: key });
    assert.equal(enrolled.state, 'enrolled');
    assert.equal(enrolled.nkey, key);
    assert.equal(enrolled.enrolledAt, clock.toISOString());
    assert.deepEqual(await records.authorizedAgents(), [{ server: 'web1', nkey: key }]);

    await assert.rejects(
      records.enroll({ token, nkey: createUser().getPublicKey() }),
      code('server.enrollment_invalid'),
    );
    assert.equal((await records.get('web1'))?.nkey, key, 'a used token changed nothing');
  });

  it('refuses an expired token, an unknown one, a bad key and a bad name, changing nothing', async () => {
    const { token } = await records.createEnrollment({
      server: 'web2',
      createdBy: 'admin',
      ttlMs: 60_000,
    });
    await assert.rejects(records.enroll({ token, nkey: 'SUAAA' }), code('server.key_invalid'));
    // A seed or a server key is no user key.
    await assert.rejects(
      records.enroll({ token, nkey: 'N' + createUser().getPublicKey().slice(1) }),
      code('server.key_invalid'),
    );
    clock = new Date(clock.getTime() + 60_001);
    await assert.rejects(
      records.enroll({ token, nkey: createUser().getPublicKey() }),
      code('server.enrollment_invalid'),
    );
    await assert.rejects(
      records.enroll({ token: 'hvenroll_nothing', nkey: createUser().getPublicKey() }),
      code('server.enrollment_invalid'),
    );
    await assert.rejects(
      records.createEnrollment({ server: 'web.1', createdBy: 'admin' }),
      code('validation.failed'),
    );
    await assert.rejects(
      records.createEnrollment({ server: 'local', createdBy: 'admin' }),
      code('validation.failed'),
    );
    assert.equal((await records.get('web2'))?.state, 'revoked');
    assert.equal(await records.get('web.1'), undefined);
  });

  it('one key belongs to one server', async () => {
    const key = createUser().getPublicKey();
    const a = await records.createEnrollment({ server: 'a1', createdBy: 'admin' });
    const b = await records.createEnrollment({ server: 'b1', createdBy: 'admin' });
    await records.enroll({ token: a.token, nkey: key });
    await assert.rejects(records.enroll({ token: b.token, nkey: key }), code('server.key_invalid'));
    assert.equal((await records.get('b1'))?.nkey, null);
  });

  it('records the curve key requests are sealed to; none from an agent older than sealing', async () => {
    const curve = createCurve().getPublicKey();
    const a = await records.createEnrollment({ server: 'c1', createdBy: 'admin' });
    await records.enroll({ token: a.token, nkey: createUser().getPublicKey(), curveKey: curve });
    assert.equal((await records.get('c1'))?.curveKey, curve);
    assert.equal(await records.curveKey('c1'), curve);
    const b = await records.createEnrollment({ server: 'c2', createdBy: 'admin' });
    // A user key is no curve key: refused, the token not used up.
    await assert.rejects(
      records.enroll({
        token: b.token,
        nkey: createUser().getPublicKey(),
        curveKey: createUser().getPublicKey(),
      }),
      code('server.key_invalid'),
    );
    await records.enroll({ token: b.token, nkey: createUser().getPublicKey() });
    assert.equal(await records.curveKey('c2'), null);
    assert.equal(await records.curveKey('nobody'), null);
  });

  it('drains, undrains and revokes; a revoked server re-enrolls only with a new token', async () => {
    const first = await records.createEnrollment({ server: 'web1', createdBy: 'admin' });
    const key = createUser().getPublicKey();
    await records.enroll({ token: first.token, nkey: key });
    assert.equal((await records.drain('web1', true)).state, 'draining');
    assert.deepEqual(await records.authorizedAgents(), [{ server: 'web1', nkey: key }]);
    assert.equal((await records.drain('web1', false)).state, 'enrolled');
    assert.equal((await records.revoke('web1')).state, 'revoked');
    assert.deepEqual(await records.authorizedAgents(), []);
    await assert.rejects(records.drain('web1', true), code('server.revoked'));
    await assert.rejects(records.revoke('nosuch'), code('server.unknown'));
    const again = await records.createEnrollment({ server: 'web1', createdBy: 'admin' });
    const newKey = createUser().getPublicKey();
    await records.enroll({ token: again.token, nkey: newKey });
    assert.deepEqual(await records.authorizedAgents(), [{ server: 'web1', nkey: newKey }]);
  });

  it('reads presence as online within 45 s, offline after it or when the agent signed off', async () => {
    const { token } = await records.createEnrollment({ server: 'web1', createdBy: 'admin' });
    await records.enroll({ token, nkey: createUser().getPublicKey() });
    const presence: Presence = {
      server: 'web1',
      state: 'online',
      at: clock.toISOString(),
      startedAt: clock.toISOString(),
      intervalMs: 15_000,
      facts: {
        restic: { version: '0.18.0', binary: '/usr/bin/restic' },
        mariadb: { version: '11.4.2' },
        dataDirFreeBytes: 123456,
      },
      running: ['backup-1-alice'],
    };
    await records.recordPresence(presence);
    // A presence for a server no record has is ignored.
    await records.recordPresence({ ...presence, server: 'ghost' });
    let web1 = (await records.get('web1'))!;
    assert.equal(web1.online, true);
    assert.equal(web1.lastSeenAt, clock.toISOString());
    assert.deepEqual(web1.facts, {
      resticVersion: '0.18.0',
      mariadbVersion: '11.4.2',
      freeBytes: 123456,
      running: ['backup-1-alice'],
      state: 'online',
    });
    assert.equal(await records.get('ghost'), undefined);
    clock = new Date(clock.getTime() + 45_001);
    assert.equal((await records.get('web1'))!.online, false);
    await records.recordPresence({ ...presence, state: 'offline', running: [] });
    web1 = (await records.get('web1'))!;
    assert.equal(web1.online, false);
    assert.equal(web1.lastSeenAt, clock.toISOString());
  });
});
