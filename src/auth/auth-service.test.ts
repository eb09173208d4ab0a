import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  lstat,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Store } from '../store/index.js';
import { openTestStore } from '../../test/support/store.js';
import { AuthInputError, AuthService } from './auth-service.js';
import { ensureAdmin } from './bootstrap.js';
import { RateLimiter } from './rate-limit.js';
import { tokenHash } from './secrets.js';

const PASSWORD = 'correct horse battery staple';
let store: Store;
let clock: Date;
let masterKey: Buffer;
let auth: AuthService;

function service(key = masterKey): AuthService {
  return new AuthService({
    store,
    masterKey: key,
    now: () => clock,
    passwordCost: { log2N: 10, r: 8, p: 1 },
  });
}

beforeEach(async () => {
  store = await openTestStore();
  clock = new Date('2026-11-28T10:00:00Z');
  masterKey = randomBytes(32);
  auth = service();
});
afterEach(async () => {
  await store.close();
});

function advance(ms: number): void {
  clock = new Date(clock.getTime() + ms);
}

describe('users', () => {
  test('names are case-insensitive; the hash, not the password, is stored', async () => {
    const user = await auth.createUser({
      username: ' Alice ',
      password: PASSWORD,
      role: 'customer',
      customerId: 'c1',
    });
    assert.deepEqual(user, { id: user.id, username: 'alice', role: 'customer', customerId: 'c1' });
    assert.equal((await auth.verifyPassword('ALICE', PASSWORD))?.id, user.id);
    assert.equal(await auth.verifyPassword('alice', 'wrong password!'), undefined);
    assert.equal(await auth.verifyPassword('nobody', PASSWORD), undefined);
    const row = await store.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    assert.match(row.password_hash, /^scrypt\$1\$/);
    assert.ok(!row.password_hash.includes(PASSWORD));
  });

  test('refuses bad input, naming the field', async () => {
    const cases: [Parameters<AuthService['createUser']>[0], string][] = [
      [{ username: 'a b', password: PASSWORD, role: 'admin' }, 'username'],
      [{ username: 'short', password: 'short', role: 'admin' }, 'password'],
      [{ username: 'cust', password: PASSWORD, role: 'customer' }, 'customerId'],
      [{ username: 'adm', password: PASSWORD, role: 'admin', customerId: 'c1' }, 'customerId'],
    ];
    for (const [input, field] of cases) {
      await assert.rejects(
        auth.createUser(input),
        (e: unknown) => e instanceof AuthInputError && e.field === field,
      );
    }
    await auth.createUser({ username: 'taken', password: PASSWORD, role: 'admin' });
    await assert.rejects(
      auth.createUser({ username: 'TAKEN', password: PASSWORD, role: 'admin' }),
      (e: unknown) => e instanceof AuthInputError && e.field === 'username',
    );
  });

  test('a weaker stored hash is upgraded at the next correct sign-in', async () => {
    await auth.createUser({ username: 'old', password: PASSWORD, role: 'admin' });
    const stronger = new AuthService({
      store,
      masterKey,
      now: () => clock,
      passwordCost: { log2N: 11, r: 8, p: 1 },
    });
    assert.ok(await stronger.verifyPassword('old', PASSWORD));
    const row = await store.db
      .selectFrom('users')
      .select('password_hash')
      .executeTakeFirstOrThrow();
    assert.match(row.password_hash, /^scrypt\$1\$11\$/);
  });
});

describe('sessions', () => {
  test('resolve until expiry or revocation; the store holds only the token hash', async () => {
    const user = await auth.createUser({ username: 'root', password: PASSWORD, role: 'admin' });
    const session = await auth.createSession({
      role: 'admin',
      customerId: null,
      userId: user.id,
      username: 'root',
    });
    const rows = await store.db.selectFrom('sessions').selectAll().execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.token_hash, tokenHash(session.token));
    assert.ok(!JSON.stringify(rows).includes(session.token));

    const resolved = await auth.resolveSession(session.token);
    assert.equal(resolved?.role, 'admin');
    assert.equal(resolved?.csrfToken, session.principal.csrfToken);
    assert.equal(await auth.resolveSession(`${session.token.slice(0, -1)}x`), undefined);

    advance(12 * 3600_000 - 1);
    assert.ok(await auth.resolveSession(session.token));
    advance(1);
    assert.equal(await auth.resolveSession(session.token), undefined, 'expired after 12 h');

    const second = await auth.createSession({
      role: 'admin',
      customerId: null,
      userId: user.id,
      username: 'root',
    });
    await auth.revoke(second.token);
    assert.equal(await auth.resolveSession(second.token), undefined);
  });

  test("a user's session follows the user's current role", async () => {
    const user = await auth.createUser({ username: 'mia', password: PASSWORD, role: 'admin' });
    const session = await auth.createSession({
      role: 'admin',
      customerId: null,
      userId: user.id,
      username: 'mia',
    });
    await store.db
      .updateTable('users')
      .set({ role: 'customer', customer_id: 'c9' })
      .where('id', '=', user.id)
      .execute();
    const resolved = await auth.resolveSession(session.token);
    assert.equal(resolved?.role, 'customer');
    assert.equal(resolved?.customerId, 'c9');
    await store.db.deleteFrom('users').where('id', '=', user.id).execute();
    assert.equal(await auth.resolveSession(session.token), undefined, 'gone with the user');
  });
});

describe('sign-in rate limit', () => {
  test('5 failures per name and address in 15 minutes; then 429-worthy with a retry time', async () => {
    await auth.createUser({
      username: 'alice',
      password: PASSWORD,
      role: 'customer',
      customerId: 'c1',
    });
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(await auth.signIn('alice', 'wrong password', '203.0.113.5'), {
        ok: false,
        reason: 'invalid',
      });
    }
    const blocked = await auth.signIn('alice', PASSWORD, '203.0.113.5');
    assert.equal(blocked.ok, false);
    assert.ok(
      !blocked.ok && blocked.reason === 'rate-limited' && blocked.retryAfterSeconds === 900,
    );
    // Another address is not blocked for this name, and the right password works there.
    assert.equal((await auth.signIn('ALICE', PASSWORD, '198.51.100.7')).ok, true);
    advance(15 * 60_000);
    assert.equal((await auth.signIn('alice', PASSWORD, '203.0.113.5')).ok, true, 'window passed');
  });

  test('a success clears the count for that name and address', async () => {
    await auth.createUser({
      username: 'bob',
      password: PASSWORD,
      role: 'customer',
      customerId: 'c2',
    });
    for (let i = 0; i < 4; i++) await auth.signIn('bob', 'nope nope nope', '::1');
    assert.equal((await auth.signIn('bob', PASSWORD, '::1')).ok, true);
    for (let i = 0; i < 4; i++) await auth.signIn('bob', 'nope nope nope', '::1');
    assert.equal((await auth.signIn('bob', PASSWORD, '::1')).ok, true);
  });

  test('concurrent guesses cannot slip past the limit while hashes are computed', async () => {
    await auth.createUser({
      username: 'carol',
      password: PASSWORD,
      role: 'customer',
      customerId: 'c3',
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => auth.signIn('carol', 'guess guess guess', '192.0.2.1')),
    );
    assert.equal(results.filter((r) => !r.ok && r.reason === 'invalid').length, 5);
    assert.equal(results.filter((r) => !r.ok && r.reason === 'rate-limited').length, 15);
  });

  test('rotating addresses gains nothing: 20 failures per name over all addresses', async () => {
    await auth.createUser({
      username: 'dave',
      password: PASSWORD,
      role: 'customer',
      customerId: 'c4',
    });
    for (let i = 0; i < 20; i++) {
      const address = `198.51.100.${i + 1}`;
      assert.deepEqual(await auth.signIn('dave', 'guess guess guess', address), {
        ok: false,
        reason: 'invalid',
      });
    }
    const next = await auth.signIn('Dave', PASSWORD, '198.51.100.200');
    assert.ok(!next.ok && next.reason === 'rate-limited' && next.retryAfterSeconds === 900);
    advance(15 * 60_000);
    assert.equal((await auth.signIn('dave', PASSWORD, '198.51.100.200')).ok, true);
  });

  test("an address that signed in to the account before is not locked out by others' guesses", async () => {
    await auth.createUser({
      username: 'erin',
      password: PASSWORD,
      role: 'customer',
      customerId: 'c5',
    });
    assert.equal((await auth.signIn('erin', PASSWORD, '192.0.2.10')).ok, true);
    for (let i = 0; i < 25; i++) await auth.signIn('erin', 'guess guess guess', `203.0.113.${i}`);
    const stranger = await auth.signIn('erin', PASSWORD, '203.0.113.99');
    assert.ok(!stranger.ok && stranger.reason === 'rate-limited', 'the name is out of budget');
    assert.equal((await auth.signIn('erin', PASSWORD, '192.0.2.10')).ok, true, 'the owner is not');
    // The known address still has its own limit of 5.
    for (let i = 0; i < 5; i++) await auth.signIn('erin', 'guess guess guess', '192.0.2.10');
    const own = await auth.signIn('erin', PASSWORD, '192.0.2.10');
    assert.ok(!own.ok && own.reason === 'rate-limited');
  });

  test('the limiter forgets the oldest keys when full', () => {
    let now = 0;
    const limiter = new RateLimiter({ maxFailures: 1, windowMs: 1000, now: () => now, maxKeys: 3 });
    for (const key of ['a', 'b', 'c', 'd']) assert.equal(limiter.attempt(key).allowed, true);
    assert.equal(limiter.attempt('a').allowed, true, 'a was evicted');
    assert.equal(limiter.attempt('d').allowed, false);
    now = 1000;
    assert.equal(limiter.attempt('d').allowed, true);
  });
});

describe('API tokens', () => {
  test('resolve by token, store only the hash, record last use at most once a minute', async () => {
    const { id, token } = await auth.createApiToken({ name: 'panel', role: 'admin' });
    assert.match(token, /^hv_[\w-]{43}$/);
    const row = await store.db.selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.token_hash, tokenHash(token));
    assert.equal(row.last_used_at, null);

    const principal = await auth.resolveApiToken(token);
    assert.equal(principal?.tokenId, id);
    assert.equal(principal?.role, 'admin');
    const used = async () =>
      (await store.db.selectFrom('api_tokens').select('last_used_at').executeTakeFirstOrThrow())
        .last_used_at;
    assert.equal(await used(), clock.toISOString());
    const first = clock.toISOString();
    advance(30_000);
    await auth.resolveApiToken(token);
    assert.equal(await used(), first);
    advance(30_000);
    await auth.resolveApiToken(token);
    assert.equal(await used(), clock.toISOString());

    assert.equal(await auth.resolveApiToken('hv_' + 'A'.repeat(43)), undefined);
    assert.equal(await auth.resolveApiToken('not-a-token'), undefined);
    assert.equal(await auth.revokeApiToken(id), true);
    assert.equal(await auth.resolveApiToken(token), undefined);
  });

  test('a customer token needs a customer id', async () => {
    await assert.rejects(
      auth.createApiToken({ name: 'x', role: 'customer' }),
      (e: unknown) => e instanceof AuthInputError && e.field === 'customerId',
    );
    const { token } = await auth.createApiToken({ name: 'x', role: 'customer', customerId: 'c5' });
    assert.equal((await auth.resolveApiToken(token))?.customerId, 'c5');
  });
});

describe('signed links', () => {
  test('a valid link opens one session for its customer, once', async () => {
    const { token, expiresAt } = auth.signLink('c-42', 120);
    assert.equal(expiresAt.toISOString(), '2026-11-28T10:02:00.000Z');
    const redeemed = await auth.redeemLink(token);
    assert.ok(redeemed.ok);
    assert.equal(redeemed.session.principal.role, 'customer');
    assert.equal(redeemed.session.principal.customerId, 'c-42');
    assert.equal(redeemed.session.principal.username, null);
    assert.equal((await auth.resolveSession(redeemed.session.token))?.customerId, 'c-42');

    assert.deepEqual(await auth.redeemLink(token), { ok: false, reason: 'used' });
    // Single use holds across service instances sharing the store (a restart, a second process).
    assert.deepEqual(await service().redeemLink(token), { ok: false, reason: 'used' });
  });

  test('an expired link is refused', async () => {
    const { token } = auth.signLink('c-42', 60);
    advance(60_000);
    assert.deepEqual(await auth.redeemLink(token), { ok: false, reason: 'expired' });
  });

  test('a tampered link, or one signed with another master key, is refused', async () => {
    const { token } = auth.signLink('c-42', 300);
    const parts = token.split('.');
    const otherCustomer = [...parts];
    otherCustomer[1] = Buffer.from('c-43').toString('base64url');
    const later = [...parts];
    later[2] = String(Number(parts[2]) + 3600);
    const badMac = [...parts];
    badMac[4] = `${parts[4]?.startsWith('A') ? 'B' : 'A'}${parts[4]?.slice(1)}`;
    for (const bad of [otherCustomer, later, badMac]) {
      assert.deepEqual(await auth.redeemLink(bad.join('.')), {
        ok: false,
        reason: 'bad-signature',
      });
    }
    assert.deepEqual(await service(randomBytes(32)).redeemLink(token), {
      ok: false,
      reason: 'bad-signature',
    });
    for (const junk of ['', 'v1.a.b', token.replace(/^v1/, 'v2'), `${token}.x`]) {
      assert.deepEqual(await auth.redeemLink(junk), { ok: false, reason: 'malformed' });
    }
    assert.ok((await auth.redeemLink(token)).ok, 'the genuine link still works once');
  });

  test('lifetime is 1 s to 5 minutes', () => {
    assert.throws(() => auth.signLink('c1', 301), RangeError);
    assert.throws(() => auth.signLink('c1', 0), RangeError);
    assert.throws(() => auth.signLink('', 60), RangeError);
  });

  test('used nonces are forgotten once their link has expired', async () => {
    const { token } = auth.signLink('c1', 60);
    assert.ok((await auth.redeemLink(token)).ok);
    advance(61_000);
    await auth.redeemLink(auth.signLink('c1', 60).token);
    const rows = await store.db.selectFrom('signed_link_uses').selectAll().execute();
    assert.equal(rows.length, 1);
  });
});

describe('bootstrap', () => {
  let dir: string;
  let passwordFile: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hv-bootstrap-'));
    passwordFile = join(dir, 'initial-admin-password');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a random password goes to a 0600 file, never to the output; only when no admin exists', async () => {
    const printed: string[] = [];
    const print = (t: string) => printed.push(t);
    const result = await ensureAdmin(auth, { env: {}, passwordFile, print });
    assert.deepEqual(result, { created: true, username: 'admin', passwordSource: 'generated' });
    const password = (await readFile(passwordFile, 'utf8')).trim();
    assert.ok(password.length >= 20);
    assert.equal((await stat(passwordFile)).mode & 0o777, 0o600);
    assert.equal((await auth.verifyPassword('admin', password))?.role, 'admin');
    assert.equal(printed.length, 1);
    assert.ok(printed[0]?.includes(passwordFile), 'says where the password is');
    assert.ok(!printed[0]?.includes(password), 'but not what it is');
    assert.deepEqual(await readdir(dir), ['initial-admin-password'], 'no temporary file left');

    assert.deepEqual(await ensureAdmin(auth, { env: {}, passwordFile, print }), {
      created: false,
    });
    assert.equal(printed.length, 1);
    assert.equal((await readFile(passwordFile, 'utf8')).trim(), password, 'file kept');
  });

  test('takes the password from HOSTVAULT_ADMIN_PASSWORD without printing or writing it', async () => {
    const printed: string[] = [];
    const env = { HOSTVAULT_ADMIN_PASSWORD: 'a long enough password' };
    await ensureAdmin(auth, { env, passwordFile, print: (t) => printed.push(t) });
    assert.ok(await auth.verifyPassword('admin', 'a long enough password'));
    assert.ok(!printed.join('').includes('a long enough password'));
    assert.deepEqual(await readdir(dir), []);
  });

  test('refuses a short HOSTVAULT_ADMIN_PASSWORD', async () => {
    await assert.rejects(
      ensureAdmin(auth, {
        env: { HOSTVAULT_ADMIN_PASSWORD: 'short' },
        passwordFile,
        print: () => {},
      }),
      /too short/,
    );
    assert.equal(await auth.hasAdmin(), false);
  });

  test('refuses a directory others may write, and creates no admin it could not tell about', async () => {
    await chmod(dir, 0o777);
    await assert.rejects(
      ensureAdmin(auth, { env: {}, passwordFile, print: () => {} }),
      /writable by no one else/,
    );
    assert.equal(await auth.hasAdmin(), false);
    assert.deepEqual(await readdir(dir), []);
  });

  test('a link planted at the file is replaced, not written through', async () => {
    const elsewhere = join(dir, 'elsewhere');
    await writeFile(elsewhere, 'untouched');
    await symlink(elsewhere, passwordFile);
    await ensureAdmin(auth, { env: {}, passwordFile, print: () => {} });
    assert.equal(await readFile(elsewhere, 'utf8'), 'untouched');
    assert.ok((await lstat(passwordFile)).isFile());
    const password = (await readFile(passwordFile, 'utf8')).trim();
    assert.ok(await auth.verifyPassword('admin', password));
  });

  test('two services starting at once: the file holds the password of the admin that exists', async () => {
    const results = await Promise.all(
      [service(), service(), service()].map((s) =>
        ensureAdmin(s, { env: {}, passwordFile, print: () => {} }),
      ),
    );
    assert.equal(results.filter((r) => r.created).length, 1);
    const password = (await readFile(passwordFile, 'utf8')).trim();
    assert.ok(await auth.verifyPassword('admin', password));
    assert.deepEqual(await readdir(dir), ['initial-admin-password']);
  });
});
