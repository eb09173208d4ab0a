import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import { harness, PASSWORD, signIn, type Harness } from '../../test/support/api-harness.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hv-web-'));
  await mkdir(join(dir, 'built', 'assets'), { recursive: true });
  await writeFile(join(dir, 'built', 'index.html'), '<!doctype html><title>Backups</title>');
  await writeFile(join(dir, 'built', 'assets', 'index-abc123.js'), 'console.log(1)');
  // As web/precompress.ts leaves them: a copy per encoding beside the asset.
  const script = 'console.log("compressed");'.repeat(100);
  await writeFile(join(dir, 'built', 'assets', 'big-def456.js'), script);
  await writeFile(join(dir, 'built', 'assets', 'big-def456.js.br'), brotliCompressSync(script));
  await writeFile(join(dir, 'built', 'assets', 'big-def456.js.gz'), gzipSync(script));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the web UI served by the API server', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ webRoot: join(dir, 'built') });
  });
  after(async () => h.close());

  test('/ and page paths answer index.html, never cached, with a content security policy', async () => {
    for (const url of ['/', '/history', '/admin/keys?x=1']) {
      const response = await h.app.inject({ url, headers: { accept: 'text/html' } });
      assert.equal(response.statusCode, 200, url);
      assert.match(response.body, /<title>Backups<\/title>/, url);
      assert.equal(response.headers['cache-control'], 'no-cache', url);
      assert.match(String(response.headers['content-security-policy']), /default-src 'self'/);
    }
  });

  test('hashed assets are cached for good; a missing asset is a 404, not the page', async () => {
    const asset = await h.app.inject({ url: '/assets/index-abc123.js' });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.body, 'console.log(1)');
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    const missing = await h.app.inject({ url: '/assets/index-old.js', headers: { accept: '*/*' } });
    assert.equal(missing.statusCode, 404);
  });

  test('precompressed assets go to browsers that accept them, preferring brotli, with Vary', async () => {
    const url = '/assets/big-def456.js';
    const expected = 'console.log("compressed");'.repeat(100);
    const br = await h.app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    assert.equal(br.statusCode, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.match(String(br.headers['content-type']), /javascript/);
    assert.match(String(br.headers.vary), /accept-encoding/i);
    assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(brotliDecompressSync(br.rawPayload).toString(), expected);

    const gz = await h.app.inject({ url, headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.match(String(gz.headers.vary), /accept-encoding/i);
    assert.equal(gunzipSync(gz.rawPayload).toString(), expected);

    // A client that asks for nothing gets the file itself, still marked as chosen by the header.
    const plain = await h.app.inject({ url });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.match(String(plain.headers.vary), /accept-encoding/i);
    assert.equal(plain.body, expected);

    // An asset without compressed copies falls back to itself, whatever the browser accepts.
    const small = await h.app.inject({
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'br, gzip' },
    });
    assert.equal(small.headers['content-encoding'], undefined);
    assert.equal(small.body, 'console.log(1)');
  });

  test('unknown API paths keep the JSON 404; API answers stay uncached', async () => {
    for (const url of ['/api/nope', '/api/snapshots/x']) {
      const response = await h.app.inject({ url, headers: { accept: 'text/html' } });
      assert.equal(response.statusCode, 404, url);
      assert.deepEqual(response.json(), { error: { code: 'not_found', message: 'Not found.' } });
    }
    const put = await h.app.inject({ method: 'PUT', url: '/history' });
    assert.equal(put.statusCode, 404);
    const health = await h.app.inject({ url: '/api/health' });
    assert.equal(health.headers['cache-control'], 'no-store');
  });
});

/** As web/sign-in-html.ts writes it into the built page: the plain form between markers. */
const SCRIPT = "performance.mark('sign-in-form');";
const WITH_FORM = `<!doctype html><title>Backups</title><body>
<!--hv-sign-in-->
<style>#hv-sign-in{}</style>
<div id="hv-sign-in"><form aria-label="Sign in"></form></div>
<script>${SCRIPT}</script>
<!--/hv-sign-in-->
<div id="root"></div><script type="module" src="/assets/index-abc123.js"></script></body>`;

describe('the page with the plain sign-in form', () => {
  let h: Harness;
  before(async () => {
    await mkdir(join(dir, 'with-form'), { recursive: true });
    await writeFile(join(dir, 'with-form', 'index.html'), WITH_FORM);
    h = await harness({ webRoot: join(dir, 'with-form') });
    await h.auth.createUser({ username: 'webadmin', password: PASSWORD, role: 'admin' });
  });
  after(async () => h.close());

  test('a browser without a session gets the form, its script allowed by its hash alone', async () => {
    const response = await h.app.inject({ url: '/', headers: { accept: 'text/html' } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, WITH_FORM);
    const hash = createHash('sha256').update(SCRIPT).digest('base64');
    const csp = String(response.headers['content-security-policy']);
    assert.ok(csp.includes(`script-src 'self' 'sha256-${hash}';`), csp);
    assert.equal(response.headers['cache-control'], 'no-cache');
    // A stale or forged cookie is no session.
    const stale = await h.app.inject({
      url: '/history',
      headers: { accept: 'text/html', cookie: 'hostvault_session=not-a-session' },
    });
    assert.match(stale.body, /id="hv-sign-in"/);
  });

  test('a signed-in browser gets the page without it, compressed when it accepts that', async () => {
    const { cookie } = await signIn(h, 'webadmin');
    const response = await h.app.inject({
      url: '/',
      headers: { accept: 'text/html', cookie, 'accept-encoding': 'gzip, br' },
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-encoding'], 'br');
    assert.match(String(response.headers.vary), /accept-encoding/i);
    const body = brotliDecompressSync(response.rawPayload).toString();
    assert.doesNotMatch(body, /hv-sign-in|sign-in-form/);
    assert.match(body, /<div id="root"><\/div>/);
    const gz = await h.app.inject({
      url: '/',
      headers: { accept: 'text/html', 'accept-encoding': 'gzip' },
    });
    assert.equal(gunzipSync(gz.rawPayload).toString(), WITH_FORM);
  });
});

describe('without a built web UI', () => {
  test('a page request says how to build it; the API works as before', async () => {
    const h = await harness({ webRoot: join(dir, 'missing') });
    try {
      const page = await h.app.inject({ url: '/', headers: { accept: 'text/html' } });
      assert.equal(page.statusCode, 503);
      assert.match(page.body, /npm run build:web/);
      const api = await h.app.inject({ url: '/api/nope' });
      assert.equal(api.statusCode, 404);
      assert.deepEqual(api.json(), { error: { code: 'not_found', message: 'Not found.' } });
    } finally {
      await h.close();
    }
  });
});
