import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { addJob, harness, PASSWORD, signIn, type Harness } from '../../test/support/api-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

describe('sign-in', () => {
  test('right password: session cookie, CSRF token and who signed in', async () => {
    const { response, cookie, csrf } = await signIn(h, 'alice');
    assert.deepEqual(response.json(), {
      user: { username: 'alice', role: 'customer', customerId: 'c-alice' },
      via: 'session',
      csrfToken: csrf,
      expiresAt: '2026-11-28T22:00:00.000Z',
    });
    const me = await h.app.inject({ url: '/api/session', headers: { cookie } });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().csrfToken, csrf);
    assert.equal(me.json().user.username, 'alice');
  });

  test('wrong password or unknown user: the same 401, no cookie', async () => {
    const answers = [];
    for (const payload of [
      { username: 'alice', password: 'not the password' },
      { username: 'nobody', password: PASSWORD },
    ]) {
      const response = await h.app.inject({ method: 'POST', url: '/api/session', payload });
      assert.equal(response.statusCode, 401);
      assert.equal(response.headers['set-cookie'], undefined);
      answers.push(response.body);
    }
    assert.equal(answers[0], answers[1]);
    assert.deepEqual(JSON.parse(answers[0] ?? ''), {
      error: { code: 'auth.wrong_credentials', message: 'Wrong username or password.' },
    });
  });

  test('the sixth failure within 15 minutes answers 429 with Retry-After, even with the right password', async () => {
    const attempt = (password: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/session',
        payload: { username: 'alice', password },
        remoteAddress: '203.0.113.9',
      });
    for (let i = 0; i < 5; i++) assert.equal((await attempt('wrong wrong wrong')).statusCode, 401);
    const blocked = await attempt(PASSWORD);
    assert.equal(blocked.statusCode, 429);
    assert.equal(blocked.headers['retry-after'], '900');
    assert.match(blocked.json().error.message, /Too many failed sign-ins.*15 minutes/);
    h.clock.advance(15 * 60_000);
    assert.equal((await attempt(PASSWORD)).statusCode, 200);
  });

  test('missing fields are named, and nothing is signed in', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { username: '  ' },
    });
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json().error.fields, [
      {
        field: 'username',
        code: 'field.required',
        message: 'Username is required',
        params: { label: 'Username' },
      },
      {
        field: 'password',
        code: 'field.required',
        message: 'Password is required',
        params: { label: 'Password' },
      },
    ]);
    assert.equal(response.headers['set-cookie'], undefined);
  });

  test('signing in again ends the session the browser had', async () => {
    const first = await signIn(h, 'alice');
    const again = await h.app.inject({
      method: 'POST',
      url: '/api/session',
      headers: { cookie: first.cookie },
      payload: { username: 'bob', password: PASSWORD },
    });
    assert.equal(again.statusCode, 200);
    assert.equal(
      (await h.app.inject({ url: '/api/session', headers: { cookie: first.cookie } })).statusCode,
      401,
    );
  });

  test('sign-out ends the session and clears the cookie', async () => {
    const { cookie, csrf } = await signIn(h, 'alice');
    const out = await h.app.inject({
      method: 'DELETE',
      url: '/api/session',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    assert.equal(out.statusCode, 204);
    assert.match(
      String(out.headers['set-cookie']),
      /^hostvault_session=;.*Expires=Thu, 01 Jan 1970/,
    );
    const me = await h.app.inject({ url: '/api/session', headers: { cookie } });
    assert.equal(me.statusCode, 401);
  });

  test('a session seen before still ends at its expiry and with its revocation', async () => {
    const { cookie } = await signIn(h, 'alice');
    const jobs = () => h.app.inject({ url: '/api/jobs', headers: { cookie } });
    assert.equal((await jobs()).statusCode, 200);
    h.clock.advance(12 * 3600_000);
    assert.equal((await jobs()).statusCode, 401, 'expired, though nothing was written');

    const second = await signIn(h, 'alice');
    const again = () =>
      h.app.inject({ url: '/api/tasks/active', headers: { cookie: second.cookie } });
    assert.equal((await again()).statusCode, 200);
    // Not through the API: the revocation is only a row gone from the store.
    await h.auth.revoke(second.cookie.slice('hostvault_session='.length));
    assert.equal((await again()).statusCode, 401);
  });

  test("the banner and the history follow the store's writes at once", async () => {
    const { cookie } = await signIn(h, 'alice');
    const list = async () =>
      (await h.app.inject({ url: '/api/jobs', headers: { cookie } })).json().total as number;
    const active = async () =>
      (await h.app.inject({ url: '/api/tasks/active', headers: { cookie } })).json().tasks
        .length as number;
    assert.deepEqual([await list(), await active()], [0, 0]);
    const id = await addJob(h, { customerId: 'c-alice' }, 'running');
    assert.deepEqual([await list(), await active()], [1, 1]);
    await h.jobs.finish(id, { status: 'successful' });
    assert.deepEqual([await list(), await active()], [1, 0]);
  });

  test('an expired session answers 401', async () => {
    const { cookie } = await signIn(h, 'alice');
    h.clock.advance(12 * 3600_000);
    assert.equal((await h.app.inject({ url: '/api/jobs', headers: { cookie } })).statusCode, 401);
  });
});

describe('session cookie flags', () => {
  test('HttpOnly, SameSite=Strict, Path=/; Secure only over HTTPS by default', async () => {
    const plain = (await signIn(h, 'alice')).response.cookies[0];
    assert.equal(plain?.httpOnly, true);
    assert.equal(plain?.sameSite, 'Strict');
    assert.equal(plain?.path, '/');
    assert.equal(plain?.secure, undefined);
    assert.equal(plain?.maxAge, undefined, 'a browser-session cookie');
  });

  test('behind an HTTPS proxy (trustProxy) the cookie is Secure', async () => {
    const proxied = await harness({ trustProxy: true });
    try {
      const response = await proxied.app.inject({
        method: 'POST',
        url: '/api/session',
        payload: { username: 'alice', password: PASSWORD },
        headers: { 'x-forwarded-proto': 'https' },
      });
      assert.equal(response.cookies[0]?.secure, true);
      assert.equal(response.cookies[0]?.sameSite, 'Strict');
    } finally {
      await proxied.close();
    }
  });

  test('secureCookies: true forces Secure', async () => {
    const forced = await harness({ secureCookies: true });
    try {
      assert.equal((await signIn(forced, 'alice')).response.cookies[0]?.secure, true);
    } finally {
      await forced.close();
    }
  });
});

describe('CSRF', () => {
  test('a cookie-authenticated POST needs the X-CSRF-Token header, and the right one', async () => {
    const { cookie, csrf } = await signIn(h, 'alice');
    const id = await addJob(h, { customerId: 'c-alice' });
    const cancel = (headers: Record<string, string>) =>
      h.app.inject({
        method: 'POST',
        url: `/api/jobs/${id}/cancel`,
        headers: { cookie, ...headers },
      });

    const missing = await cancel({});
    assert.equal(missing.statusCode, 403);
    assert.match(missing.json().error.message, /CSRF/);
    assert.equal((await cancel({ 'x-csrf-token': `${csrf}x` })).statusCode, 403);
    assert.deepEqual(h.canceled, [], 'nothing was done');
    assert.equal((await h.jobs.get(id))?.status, 'pending');

    const ok = await cancel({ 'x-csrf-token': csrf });
    assert.equal(ok.statusCode, 200);
    assert.equal((await h.jobs.get(id))?.status, 'canceled');
  });

  test("another session's CSRF token does not do", async () => {
    const first = await signIn(h, 'alice');
    const second = await signIn(h, 'alice');
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/jobs/delete-old',
      headers: { cookie: first.cookie, 'x-csrf-token': second.csrf },
    });
    assert.equal(response.statusCode, 403);
  });

  test('reads need no CSRF token', async () => {
    const { cookie } = await signIn(h, 'alice');
    assert.equal(
      (await h.app.inject({ url: '/api/tasks/active', headers: { cookie } })).statusCode,
      200,
    );
  });

  test('a bearer token needs none, and a bad token is refused even with a good cookie', async () => {
    const id = await addJob(h, { customerId: 'c-alice' });
    const ok = await h.app.inject({
      method: 'POST',
      url: `/api/jobs/${id}/cancel`,
      headers: { authorization: `Bearer ${h.adminToken}` },
    });
    assert.equal(ok.statusCode, 200);

    const { cookie } = await signIn(h, 'alice');
    const bad = await h.app.inject({
      url: '/api/jobs',
      headers: { cookie, authorization: 'Bearer hv_nope' },
    });
    assert.equal(bad.statusCode, 401);
    assert.deepEqual(bad.json(), {
      error: { code: 'auth.token_invalid', message: 'The API token is not valid.' },
    });
  });

  test('GET /api/session with a token has no CSRF token to give', async () => {
    const response = await h.app.inject({
      url: '/api/session',
      headers: { authorization: `Bearer ${h.adminToken}` },
    });
    assert.deepEqual(response.json(), {
      user: { username: null, role: 'admin', customerId: null },
      via: 'token',
      csrfToken: null,
      expiresAt: null,
    });
  });
});

describe('signed links', () => {
  async function createLink(body: object, authorization = `Bearer ${h.adminToken}`) {
    return h.app.inject({
      method: 'POST',
      url: '/api/admin/links',
      headers: { authorization },
      payload: body,
    });
  }

  async function addCustomer(id: string) {
    const stamp = h.clock.now.toISOString();
    await h.store.db
      .insertInto('packages')
      .values({
        id: 'p',
        name: 'P',
        frequencies: '["daily"]',
        max_retention: 0,
        max_schedules: 0,
        storage_quota_bytes: null,
        created_at: stamp,
        updated_at: stamp,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    await h.store.db
      .insertInto('customers')
      .values({
        id,
        name: id,
        linux_user: id,
        uid: 1000,
        gid: 1000,
        package_id: 'p',
        web_root: `/srv/${id}`,
        database_user: null,
        databases: '[]',
        mailboxes: '[]',
        ssl_files: '[]',
        config_files: '[]',
        created_at: stamp,
        updated_at: stamp,
      })
      .execute();
  }

  test('valid: the panel makes a link, the browser redeems it once and is the customer', async () => {
    await addCustomer('c-alice');
    const made = await createLink({ customerId: 'c-alice' });
    assert.equal(made.statusCode, 201);
    const { url, expiresAt } = made.json();
    assert.equal(expiresAt, '2026-11-28T10:02:00.000Z');
    assert.match(url, /^\/api\/auth\/link\?token=v1\./);

    const opened = await h.app.inject({ url });
    assert.equal(opened.statusCode, 303);
    assert.equal(opened.headers.location, '/');
    assert.equal(opened.headers['referrer-policy'], 'no-referrer');
    const cookie = opened.cookies.find((c) => c.name === 'hostvault_session');
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    const me = await h.app.inject({
      url: '/api/session',
      headers: { cookie: `hostvault_session=${cookie?.value}` },
    });
    assert.deepEqual(me.json().user, { username: null, role: 'customer', customerId: 'c-alice' });

    const reused = await h.app.inject({ url });
    assert.equal(reused.statusCode, 401);
    assert.equal(reused.headers['set-cookie'], undefined);
  });

  test('expired and tampered links answer 401 with the same message', async () => {
    await addCustomer('c-alice');
    const { url } = (await createLink({ customerId: 'c-alice', ttlSeconds: 30 })).json();
    const tampered = url.replace(
      /\.([\w-])([\w-]*)$/,
      (_: string, a: string, rest: string) => `.${a === 'A' ? 'B' : 'A'}${rest}`,
    );
    const bad = await h.app.inject({ url: tampered });
    assert.equal(bad.statusCode, 401);
    h.clock.advance(30_000);
    const expired = await h.app.inject({ url });
    assert.equal(expired.statusCode, 401);
    assert.equal(expired.body, bad.body);
    assert.match(expired.json().error.message, /open Backups again/);
  });

  test('only administrators make links, for customers that exist, within 5 minutes', async () => {
    await addCustomer('c-alice');
    const { cookie, csrf } = await signIn(h, 'alice');
    const asCustomer = await h.app.inject({
      method: 'POST',
      url: '/api/admin/links',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { customerId: 'c-alice' },
    });
    assert.equal(asCustomer.statusCode, 403);

    const unknown = await createLink({ customerId: 'c-nobody' });
    assert.equal(unknown.statusCode, 400);
    assert.deepEqual(unknown.json().error.fields, [
      {
        field: 'customerId',
        code: 'customer.unknown',
        message: 'No customer has this ID',
        params: { customerId: 'c-nobody' },
      },
    ]);

    const long = await createLink({ customerId: 'c-alice', ttlSeconds: 3600 });
    assert.equal(long.statusCode, 400);
    assert.deepEqual(long.json().error.fields, [
      {
        field: 'ttlSeconds',
        code: 'field.too_big',
        message: 'Lifetime must be at most 300 seconds',
        params: { label: 'Ttl seconds', maximum: 300 },
      },
    ]);

    const missing = await h.app.inject({ url: '/api/auth/link' });
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(missing.json().error.fields, [
      {
        field: 'token',
        code: 'field.required',
        message: 'Token is required',
        params: { label: 'Token' },
      },
    ]);
  });

  test('publicUrl makes the link absolute', async () => {
    const withUrl = await harness(
      { publicUrl: 'https://backup.example.net/' },
      { customers: undefined },
    );
    try {
      const made = await withUrl.app.inject({
        method: 'POST',
        url: '/api/admin/links',
        headers: { authorization: `Bearer ${withUrl.adminToken}` },
        payload: { customerId: 'c-any' },
      });
      assert.match(made.json().url, /^https:\/\/backup\.example\.net\/api\/auth\/link\?token=/);
    } finally {
      await withUrl.close();
    }
  });
});
