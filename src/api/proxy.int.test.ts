/**
 * The service behind a reverse proxy, over real sockets: the composition root reads
 * HOSTVAULT_TRUST_PROXY and HOSTVAULT_PUBLIC_URL, and requests come from distinct loopback
 * addresses (127.0.0.2 plays the trusted proxy, 127.0.0.3 and up are clients reaching the
 * service directly), so Fastify sees each peer as it would in production.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AuthService } from '../auth/index.js';
import { loadConfig } from '../config.js';
import { startService, type Service } from '../serve.js';
import { parseTrustedProxies, ProxySettingsError, loadProxySettings } from './proxy-settings.js';

const PROXY = '127.0.0.2';
const PASSWORD = 'a customer password';

interface Answer {
  status: number;
  cookie: string | undefined;
  retryAfter: string | undefined;
}

/** POST /api/session from `from`, with the headers a proxy (or an attacker) would add. */
function signIn(
  service: Service,
  from: string,
  username: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const url = new URL('/api/session', service.url);
  const body = JSON.stringify({ username, password });
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress: from,
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const cookie = res.headers['set-cookie']?.find((c) => c.startsWith('hostvault_session='));
          resolve({
            status: res.statusCode ?? 0,
            cookie,
            retryAfter: res.headers['retry-after'] as string | undefined,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const work: string[] = [];
async function start(env: Record<string, string>, users: string[]): Promise<Service> {
  const dir = await mkdtemp(join(tmpdir(), 'hv-proxy-'));
  work.push(dir);
  const config = {
    ...loadConfig({
      HOSTVAULT_DATA_DIR: join(dir, 'data'),
      HOSTVAULT_KEY_FILE: join(dir, 'master.key'),
      ...env,
    }),
    listen: { host: '127.0.0.1', port: 0 },
  };
  const service = await startService(config, { log: () => undefined });
  const auth = new AuthService({ store: service.app.store, masterKey: service.app.masterKey });
  for (const username of users) {
    await auth.createUser({ username, password: PASSWORD, role: 'customer', customerId: username });
  }
  return service;
}

let proxied: Service;
let publicHttps: Service;
before(async () => {
  process.env.HOSTVAULT_ADMIN_PASSWORD = 'admin-password-123';
  proxied = await start({ HOSTVAULT_TRUST_PROXY: `${PROXY}, 10.20.0.0/16` }, ['amy', 'ben', 'cat']);
  publicHttps = await start({ HOSTVAULT_PUBLIC_URL: 'https://backup.example.net/' }, ['dan']);
});
after(async () => {
  await proxied?.stop();
  await publicHttps?.stop();
  delete process.env.HOSTVAULT_ADMIN_PASSWORD;
  for (const dir of work) await rm(dir, { recursive: true, force: true });
});

describe('behind a trusted reverse proxy', () => {
  test("an untrusted peer's X-Forwarded-For and -Proto are ignored", async () => {
    for (let i = 0; i < 5; i++) {
      const guess = await signIn(proxied, '127.0.0.3', 'amy', 'wrong wrong wrong', {
        // A fresh made-up address each time: were it believed, no limit would ever hit.
        'x-forwarded-for': `198.51.100.${i + 1}`,
        'x-forwarded-proto': 'https',
      });
      assert.equal(guess.status, 401);
    }
    const sixth = await signIn(proxied, '127.0.0.3', 'amy', PASSWORD, {
      'x-forwarded-for': '198.51.100.99',
    });
    assert.equal(sixth.status, 429, 'the limit is keyed on the peer, 127.0.0.3');
    // The real clock runs on: the first failure was a moment ago.
    const retryAfter = Number(sixth.retryAfter);
    assert.ok(retryAfter > 840 && retryAfter <= 900, `Retry-After ${sixth.retryAfter}`);

    const direct = await signIn(proxied, '127.0.0.4', 'amy', PASSWORD, {
      'x-forwarded-proto': 'https',
    });
    assert.equal(direct.status, 200);
    assert.doesNotMatch(direct.cookie ?? '', /;\s*Secure/i, 'plain HTTP from an untrusted peer');
  });

  test('through the proxy the limit hits per client, not per proxy', async () => {
    const viaProxy = (client: string, password: string, forwardedFor = client) =>
      signIn(proxied, PROXY, 'ben', password, {
        'x-forwarded-for': forwardedFor,
        'x-forwarded-proto': 'https',
      });
    for (let i = 0; i < 5; i++)
      assert.equal((await viaProxy('203.0.113.7', 'nope nope')).status, 401);
    assert.equal((await viaProxy('203.0.113.7', PASSWORD)).status, 429);
    // The client put its own X-Forwarded-For before the proxy's: only the proxy's part counts.
    assert.equal(
      (await viaProxy('203.0.113.7', PASSWORD, '203.0.113.200, 203.0.113.7')).status,
      429,
    );
    // Another client behind the same proxy is not held by the first one's failures.
    const other = await viaProxy('203.0.113.8', PASSWORD);
    assert.equal(other.status, 200);
    // Two trusted hops (an edge proxy in 10.20.0.0/16, then the local one): the client is
    // the address the edge saw.
    for (let i = 0; i < 5; i++) {
      const hop = await viaProxy('', 'nope nope', '192.0.2.44, 10.20.3.4');
      assert.equal(hop.status, 401);
    }
    assert.equal((await viaProxy('', PASSWORD, '192.0.2.44, 10.20.3.4')).status, 429);
    assert.equal((await viaProxy('', PASSWORD, '192.0.2.45, 10.20.3.4')).status, 200);
  });

  test('the cookie is Secure when the proxy was reached over https', async () => {
    const https = await signIn(proxied, PROXY, 'cat', PASSWORD, {
      'x-forwarded-for': '203.0.113.20',
      'x-forwarded-proto': 'https',
    });
    assert.equal(https.status, 200);
    assert.match(https.cookie ?? '', /;\s*Secure/i);
    assert.match(https.cookie ?? '', /HttpOnly/i);
    const http = await signIn(proxied, PROXY, 'cat', PASSWORD, {
      'x-forwarded-for': '203.0.113.20',
      'x-forwarded-proto': 'http',
    });
    assert.equal(http.status, 200);
    assert.doesNotMatch(http.cookie ?? '', /;\s*Secure/i);
  });
});

describe('HOSTVAULT_PUBLIC_URL', () => {
  test('an https public address makes the cookie Secure on every sign-in', async () => {
    const answer = await signIn(publicHttps, '127.0.0.3', 'dan', PASSWORD);
    assert.equal(answer.status, 200);
    assert.match(answer.cookie ?? '', /;\s*Secure/i);
  });

  test('an https public address and trusted proxies combine; wrong values stop the start', () => {
    assert.deepEqual(
      loadProxySettings({
        HOSTVAULT_TRUST_PROXY: ' 127.0.0.1,::1  10.0.0.0/8,127.0.0.1',
        HOSTVAULT_PUBLIC_URL: 'https://backup.example.net/hostvault/',
      }),
      {
        trustedProxies: ['127.0.0.1', '::1', '10.0.0.0/8'],
        publicUrl: 'https://backup.example.net/hostvault',
      },
    );
    assert.deepEqual(parseTrustedProxies(''), []);
    for (const wrong of ['nginx', '10.0.0.0/33', '10.0.0.1/8/1', '::/0', '0.0.0.0/0', '1.2.3']) {
      assert.throws(() => parseTrustedProxies(wrong), ProxySettingsError, wrong);
    }
    for (const wrong of ['backup.example.net', 'ftp://x', 'https://u:p@x', 'https://x/?a=1']) {
      assert.throws(
        () => loadProxySettings({ HOSTVAULT_PUBLIC_URL: wrong }),
        /HOSTVAULT_PUBLIC_URL must be/,
        wrong,
      );
    }
  });
});
