import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  readFileSync,
  readdirSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { processesMentioning } from '../../test/support/expect.js';
import { makeTree, readTree } from '../../test/support/tree.js';
import { Restic, type LsNode, type RepositoryLocation } from '../engine/index.js';
import { generateBrowseTree } from '../../test/support/browse-tree.js';
import {
  BrowseError,
  SnapshotBrowser,
  downloadDirectory,
  downloadFile,
  type FriendlyRoots,
} from './index.js';

let work: string;
let live: string;
let restic: Restic;
let repo: RepositoryLocation;
let roots: FriendlyRoots;
/** Full snapshot (all five groups), a web-only one, and a generated 30,000-entry one. */
let full: string;
let webOnly: string;
let big: string;
let web: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-snapshot-'));
  live = join(work, 'live');
  restic = await Restic.detect({ cacheDir: join(work, 'cache') });
  repo = { url: join(work, 'repo'), password: `pw-${randomBytes(12).toString('hex')}` };
  await restic.init(repo);

  await makeTree(join(live, 'srv/www/alice'));
  web = join(live, 'srv/www/alice/public_html');
  const many = join(web, 'wp-content/many');
  await mkdir(many, { recursive: true });
  for (let i = 0; i < 1234; i++)
    await writeFile(join(many, `f-${String(i).padStart(4, '0')}.txt`), `${i}`);
  for (const d of ['zz-dir', 'aa-dir', 'mm-dir']) await mkdir(join(many, d));
  const db = join(live, 'staging/alice/7/databases');
  await mkdir(db, { recursive: true });
  await writeFile(join(db, 'shop.sql'), 'CREATE TABLE t (id int);\n');
  const mailA = join(live, 'var/mail/example.com/alice');
  const mailB = join(live, 'var/mail/example.org/alice');
  for (const box of [mailA, mailB]) {
    await mkdir(join(box, 'cur'), { recursive: true });
    await writeFile(join(box, 'cur/1700000000.M1.host:2,S'), 'Subject: hi\n\nbody\n');
  }
  const cert = join(live, 'etc/ssl/alice/cert.pem');
  await mkdir(join(live, 'etc/ssl/alice'), { recursive: true });
  await writeFile(cert, '-----BEGIN CERTIFICATE-----\n');
  const vhost = join(live, 'etc/nginx/sites-available/alice.conf');
  const pool = join(live, 'etc/php/8.2/fpm/pool.d/alice.conf');
  await mkdir(join(live, 'etc/nginx/sites-available'), { recursive: true });
  await mkdir(join(live, 'etc/php/8.2/fpm/pool.d'), { recursive: true });
  await writeFile(vhost, 'server {}\n');
  await writeFile(pool, '[alice]\n');
  roots = { web: [web], db: [db], mail: [mailA, mailB], ssl: [cert], config: [vhost, pool] };

  const paths = [web, db, mailA, mailB, cert, vhost, pool];
  full = (await restic.backup(repo, { paths })).summary.snapshotId;
  webOnly = (await restic.backup(repo, { paths: [web] })).summary.snapshotId;
  const generated = await generateBrowseTree(join(work, 'generated/tree'), { entries: 30_000 });
  big = (await restic.backup(repo, { paths: [generated.root] })).summary.snapshotId;
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

function browserIn(
  name: string,
  opts: Partial<ConstructorParameters<typeof SnapshotBrowser>[0]> = {},
) {
  return new SnapshotBrowser({ restic, indexDir: join(work, 'indexes', name), ...opts });
}

async function refusal(
  run: () => unknown,
  kind: BrowseError['kind'],
  message?: RegExp,
): Promise<void> {
  const error = await Promise.resolve()
    .then(run)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.ok(error instanceof BrowseError, `expected BrowseError ${kind}, got ${String(error)}`);
  assert.equal(error.kind, kind, error.message);
  if (message) assert.match(error.message, message);
}

const byName = (a: { name: string }, b: { name: string }) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

function comparable(n: Partial<LsNode>) {
  return {
    name: n.name,
    type: n.type,
    path: n.path,
    size: n.size,
    mtime: n.mtime,
    mode: n.mode,
    uid: n.uid,
    gid: n.gid,
    linkTarget: n.linkTarget,
  };
}

describe('snapshot browser on a real repository', () => {
  test('the index lists every directory exactly as restic does, directories first', async () => {
    const browser = browserIn('equal');
    const opened = await browser.open(repo, full);
    assert.equal(opened.reused, false);
    assert.equal(opened.snapshotId.length, 64);
    assert.ok(opened.snapshotId.startsWith(full));
    const dirs = [
      '/',
      web,
      join(web, 'wp-content'),
      join(web, 'wp-content/uploads/2026/11'),
      join(web, 'empty-dir'),
      join(live, 'var/mail/example.org/alice/cur'),
      join(live, 'etc'),
    ];
    for (const dir of dirs) {
      const fromRestic = await restic.list(repo, full, dir);
      const fromIndex = browser.list(full, dir, { limit: 5000 });
      assert.equal(fromIndex.total, fromRestic.length, dir);
      assert.deepEqual(
        [...fromIndex.entries].sort(byName).map(comparable),
        [...fromRestic].sort(byName).map(comparable),
        dir,
      );
      const types = fromIndex.entries.map((e) => (e.type === 'dir' ? 0 : 1));
      assert.deepEqual(types, [...types].sort(), `${dir}: directories first`);
    }
    // The odd cases are really there: unicode name, symlink target, setgid directory, owner.
    const top = browser.list(full, web, { limit: 100 }).entries;
    assert.equal(top.find((e) => e.name === 'link-to-index')?.type, 'symlink');
    assert.ok(top.some((e) => e.name === 'Grüße & spaces.txt'));
    assert.equal(top.find((e) => e.name === 'empty-dir')?.mode, 0o2750);
    assert.equal(top.find((e) => e.name === 'index.php')?.uid, 1234);
    browser.close();
  });

  test('pagination covers a large directory once, in order, with its total', async () => {
    const browser = browserIn('pages');
    await browser.open(repo, full);
    const dir = join(web, 'wp-content/many');
    const seen: string[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = browser.list(full, dir, { offset, limit: 100 });
      assert.equal(page.total, 1237);
      if (page.entries.length === 0) break;
      assert.ok(page.entries.length <= 100);
      seen.push(...page.entries.map((e) => e.name));
    }
    const files = Array.from({ length: 1234 }, (_, i) => `f-${String(i).padStart(4, '0')}.txt`);
    assert.deepEqual(seen, ['aa-dir', 'mm-dir', 'zz-dir', ...files]);
    const last = browser.list(full, dir, { offset: 1230, limit: 100 });
    assert.deepEqual(
      last.entries.map((e) => e.path),
      [
        'f-1227.txt',
        'f-1228.txt',
        'f-1229.txt',
        'f-1230.txt',
        'f-1231.txt',
        'f-1232.txt',
        'f-1233.txt',
      ].map((n) => join(dir, n)),
    );
    await refusal(() => browser.list(full, dir, { limit: 0 }), 'invalid-page');
    await refusal(() => browser.list(full, dir, { offset: -1 }), 'invalid-page');
    await refusal(() => browser.list(full, dir, { limit: 1e9 }), 'invalid-page');
    browser.close();
  });

  test('stat, errors for files, missing paths, unopened and malformed snapshot ids', async () => {
    const browser = browserIn('stat');
    await refusal(() => browser.list(full, '/'), 'not-open', /open it first/);
    await refusal(() => browser.open(repo, '../../etc'), 'invalid-snapshot-id');
    await refusal(() => browser.list('latest', '/'), 'invalid-snapshot-id');
    await browser.open(repo, full);
    const photo = browser.stat(full, join(web, 'wp-content/uploads/2026/11/photo.jpg'));
    assert.equal(photo?.type, 'file');
    assert.equal(photo?.size, 3 * 1024 * 1024);
    assert.equal(photo?.mtime?.slice(0, 23), '2024-02-29T12:34:56.789');
    assert.equal(browser.stat(full, web)?.type, 'dir');
    assert.equal(browser.stat(full, '/')?.type, 'dir');
    assert.equal(browser.stat(full, join(web, 'nope')), undefined);
    assert.equal(browser.stat(full, join(web, 'index.php/x')), undefined);
    await refusal(() => browser.list(full, join(web, 'index.php')), 'not-a-directory', /is a file/);
    await refusal(() => browser.list(full, join(web, 'nope')), 'not-found', /does not exist/);
    await refusal(() => browser.list(full, `${web}/../..`), 'invalid-path');
    browser.close();
  });

  test('concurrent opens share one build; later opens and a new browser reuse the file', async () => {
    let builds = 0;
    const counting = Object.create(restic) as Restic;
    counting.ls = (...args) => {
      builds++;
      return restic.ls(...args);
    };
    const dir = join(work, 'indexes', 'shared');
    const browser = new SnapshotBrowser({ restic: counting, indexDir: dir });
    const opens = await Promise.all([1, 2, 3].map(() => browser.open(repo, full)));
    assert.equal(builds, 1);
    assert.deepEqual(new Set(opens.map((o) => o.meta.builtAt)).size, 1);
    assert.equal((await browser.open(repo, full)).reused, true);
    assert.equal((await browser.open(repo, opens[0]!.snapshotId)).reused, true);
    browser.close();
    // After a restart: the file on disk serves list at once, and open reuses it.
    const restarted = new SnapshotBrowser({ restic: counting, indexDir: dir });
    assert.equal(restarted.list(full, web).total, 7);
    assert.equal((await restarted.open(repo, full)).reused, true);
    assert.equal(builds, 1);
    restarted.close();
  });

  test('friendly roots: groups with content, one directory flattened, several roots by name', async () => {
    const browser = browserIn('friendly');
    await browser.open(repo, full);
    await browser.open(repo, webOnly);

    const top = browser.listFriendly(full, roots, '/');
    assert.deepEqual(
      top.entries.map((e) => [e.name, e.type, e.path]),
      [
        ['Web files', 'dir', '/Web files'],
        ['Databases', 'dir', '/Databases'],
        ['Email', 'dir', '/Email'],
        ['SSL', 'dir', '/SSL'],
        ['Configuration', 'dir', '/Configuration'],
      ],
    );
    assert.deepEqual(
      browser.listFriendly(webOnly, roots, '/').entries.map((e) => e.name),
      ['Web files'],
      'only groups with content in this snapshot',
    );

    const webFiles = browser.listFriendly(full, roots, '/Web files');
    assert.deepEqual(
      webFiles.entries.map((e) => e.name),
      browser.list(full, web).entries.map((e) => e.name),
    );
    const uploads = browser.listFriendly(full, roots, '/Web files/wp-content/uploads/2026/11/');
    assert.equal(uploads.path, '/Web files/wp-content/uploads/2026/11');
    assert.deepEqual(
      uploads.entries.map((e) => [e.name, e.path, e.realPath, e.group]),
      [
        [
          'photo.jpg',
          '/Web files/wp-content/uploads/2026/11/photo.jpg',
          join(web, 'wp-content/uploads/2026/11/photo.jpg'),
          'web',
        ],
      ],
    );

    const mail = browser.listFriendly(full, roots, '/Email');
    assert.deepEqual(
      mail.entries.map((e) => [e.name, e.type, e.realPath]),
      [
        ['alice (example.com)', 'dir', join(live, 'var/mail/example.com/alice')],
        ['alice (example.org)', 'dir', join(live, 'var/mail/example.org/alice')],
      ],
    );
    const cur = browser.listFriendly(full, roots, '/Email/alice (example.org)/cur');
    assert.deepEqual(
      cur.entries.map((e) => e.name),
      ['1700000000.M1.host:2,S'],
    );
    assert.equal(
      cur.entries[0]?.realPath,
      join(live, 'var/mail/example.org/alice/cur/1700000000.M1.host:2,S'),
    );

    const ssl = browser.listFriendly(full, roots, '/SSL');
    assert.deepEqual(
      ssl.entries.map((e) => [e.name, e.type, e.size]),
      [['cert.pem', 'file', 28]],
    );
    const config = browser.listFriendly(full, roots, '/Configuration');
    assert.deepEqual(
      config.entries.map((e) => e.name),
      ['alice.conf (pool.d)', 'alice.conf (sites-available)'],
    );
    const target = browser.resolveFriendly(
      full,
      roots,
      '/Configuration/alice.conf (sites-available)',
    );
    assert.deepEqual(target, {
      kind: 'real',
      path: '/Configuration/alice.conf (sites-available)',
      group: 'config',
      realPath: join(live, 'etc/nginx/sites-available/alice.conf'),
    });
    browser.close();
  });

  test('search by name: friendly paths that resolve back to the same file, a limit, refusals', async () => {
    const browser = browserIn('search');
    await browser.open(repo, full);
    const photo = browser.searchFriendly(full, roots, ' PHOTO ');
    assert.equal(photo.query, 'PHOTO');
    assert.deepEqual(
      photo.entries.map((e) => [e.path, e.realPath, e.group]),
      [
        [
          '/Web files/wp-content/uploads/2026/11/photo.jpg',
          join(web, 'wp-content/uploads/2026/11/photo.jpg'),
          'web',
        ],
      ],
    );
    assert.equal(photo.more, false);
    const alice = browser.searchFriendly(full, roots, 'alice');
    assert.deepEqual(alice.entries.map((e) => e.path).sort(), [
      '/Configuration/alice.conf (pool.d)',
      '/Configuration/alice.conf (sites-available)',
      '/Email/alice (example.com)',
      '/Email/alice (example.org)',
    ]);
    // Every match is what browsing that path finds: a customer can open, download or restore it.
    for (const e of [...photo.entries, ...alice.entries]) {
      const target = browser.resolveFriendly(full, roots, e.path);
      assert.equal(target.kind, 'real', e.path);
      assert.equal(target.kind === 'real' && target.realPath, e.realPath, e.path);
    }
    const dump = browser.searchFriendly(full, roots, '.sql');
    assert.deepEqual(
      dump.entries.map((e) => [e.path, e.realPath]),
      [['/Databases/shop.sql', undefined]],
      'the service group shows no server path',
    );
    const many = browser.searchFriendly(full, roots, 'f-0', { limit: 10 });
    assert.equal(many.entries.length, 10);
    assert.equal(many.more, true);
    assert.ok(many.entries.every((e) => e.path.startsWith('/Web files/wp-content/many/f-0')));
    assert.deepEqual(browser.searchFriendly(full, roots, 'no-such-name').entries, []);
    for (const bad of ['', '   ', 'a/b', 'x'.repeat(201)])
      assert.throws(
        () => browser.searchFriendly(full, roots, bad),
        (e: unknown) => e instanceof BrowseError && e.kind === 'invalid-query',
        JSON.stringify(bad),
      );
    // Roots of another customer: nothing of this snapshot is under them.
    const other = { web: ['/srv/www/bob/public_html'] };
    assert.deepEqual(browser.searchFriendly(full, other, 'photo').entries, []);
    browser.close();
  });

  test('friendly paths refuse .., NUL, relative paths and anything outside the roots', async () => {
    const browser = browserIn('refuse');
    await browser.open(repo, full);
    const bad: [string, BrowseError['kind'], RegExp][] = [
      ['/Web files/../../../etc', 'invalid-path', /"\.\."/],
      ['/Web files/wp-content/..', 'invalid-path', /"\.\."/],
      ['/Web files/\0', 'invalid-path', /NUL/],
      ['Web files', 'invalid-path', /start with/],
      ['/etc', 'not-found', /There is no "etc"/],
      [`/Web files${live}`, 'not-found', /^\/Web files\/.* does not exist in this backup\.$/],
      ['/SSL/cert.pem', 'not-a-directory', /^\/SSL\/cert\.pem is not a folder\.$/],
      ['/Email/alice', 'not-found', /There is no "alice" in Email/],
      ['/Configuration/alice.conf', 'not-found', /no "alice.conf"/],
    ];
    for (const [path, kind, message] of bad) {
      await refusal(() => browser.listFriendly(full, roots, path), kind, message);
    }
    // Real paths outside the roots are refused before restic is asked.
    const out = new PassThrough();
    await refusal(
      () => downloadFile(restic, repo, full, join(live, 'srv/www'), out, { roots }),
      'outside-roots',
    );
    await refusal(
      () => downloadDirectory(restic, repo, full, `${web}/../../bob`, out, { roots }),
      'invalid-path',
    );
    browser.close();
  });

  test('download of a file gives the original bytes; a directory arrives as tar.gz', async () => {
    const browser = browserIn('download');
    const photo = join(web, 'wp-content/uploads/2026/11/photo.jpg');
    // Without an opened index (restic answers the type question) and with one.
    for (const withBrowser of [false, true]) {
      if (withBrowser) await browser.open(repo, full);
      const file = join(work, `photo-${withBrowser}.jpg`);
      await downloadFile(restic, repo, full, photo, createWriteStream(file), {
        roots,
        browser: withBrowser ? browser : undefined,
      });
      assert.ok(readFileSync(file).equals(readFileSync(photo)));
    }
    await refusal(
      () =>
        downloadFile(restic, repo, full, join(web, 'wp-content'), new PassThrough(), {
          roots,
          browser,
        }),
      'not-a-file',
    );
    await refusal(
      () => downloadFile(restic, repo, full, join(web, 'nope.php'), new PassThrough(), { roots }),
      'not-found',
    );

    const archive = join(work, 'web.tar.gz');
    await downloadDirectory(
      restic,
      repo,
      full,
      join(web, 'wp-content'),
      createWriteStream(archive),
      {
        roots,
        browser,
      },
    );
    assert.deepEqual([...readFileSync(archive).subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');
    const extracted = join(work, 'extracted');
    await mkdir(extracted);
    execFileSync('tar', ['-xzf', archive, '-C', extracted]);
    // Entries are named from the downloaded folder on, never by their path on the server;
    // restic 0.14 writes mtimes rounded to the second (plain ustar headers).
    const files = (t: Awaited<ReturnType<typeof readTree>>) =>
      t
        .filter((e) => e.type !== 'dir')
        .map(({ path, type, size, sha256, mode, mtimeMs, link }) => ({
          path,
          type,
          size,
          sha256,
          mode,
          mtime: Math.round(mtimeMs / 1000),
          link,
        }));
    assert.deepEqual(readdirSync(extracted), ['wp-content']);
    const got = await readTree(join(extracted, 'wp-content'));
    const want = await readTree(join(web, 'wp-content'));
    assert.equal(got.length, want.length);
    const [gotFiles, wantFiles] = [files(got), files(want)];
    for (const [i, w] of wantFiles.entries()) {
      const g = gotFiles[i];
      assert.ok(
        g && Math.abs(g.mtime - w.mtime) <= 1,
        `${w.path}: mtime ${g?.mtime} vs ${w.mtime}`,
      );
      assert.deepEqual({ ...g, mtime: 0 }, { ...w, mtime: 0 });
    }
    browser.close();
  });

  test('a download whose destination goes away stops restic and fails', async () => {
    const photo = join(web, 'wp-content/uploads/2026/11/photo.jpg');
    let received = 0;
    const closing = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _e, done) {
        received += chunk.length;
        setTimeout(() => (received > 0 ? this.destroy() : done()), 10);
      },
    });
    const error = await downloadFile(restic, repo, full, photo, closing, { roots }).catch(
      (e: unknown) => e,
    );
    assert.ok(error instanceof Error);
    assert.ok(received < 3 * 1024 * 1024);
    for (let i = 0; i < 50 && processesMentioning(repo.url).length > 0; i++) await sleep(100);
    assert.deepEqual(processesMentioning(repo.url), []);
  });

  test('crash safety: leftovers of a killed build are ignored and swept, a truncated index is rebuilt', async () => {
    const dir = join(work, 'indexes', 'crash');
    // A build killed with SIGKILL in the middle, in another process.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { Restic } = await import(${JSON.stringify(new URL('../engine/index.ts', import.meta.url).pathname)});
         const { SnapshotBrowser } = await import(${JSON.stringify(new URL('./index.ts', import.meta.url).pathname)});
         const restic = await Restic.detect();
         const browser = new SnapshotBrowser({ restic, indexDir: process.env.DIR });
         await browser.open({ url: process.env.REPO, password: process.env.PW }, process.env.SNAP);
         console.log('finished');`,
      ],
      {
        env: { ...process.env, DIR: dir, REPO: repo.url, PW: repo.password, SNAP: big },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    const temps = (): string[] =>
      existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.tmp')) : [];
    for (let i = 0; i < 600 && temps().length === 0; i++) await sleep(20);
    assert.equal(temps().length, 1, 'the build wrote its temp file');
    await sleep(150); // well into the build: rows are being written
    child.kill('SIGKILL');
    await once(child, 'close');
    assert.equal(output, '', 'killed before it finished');
    assert.equal(temps().length, 1, 'the killed build left its partial temp file');
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.sqlite')),
      [],
      'and no index',
    );

    // A partial temp file of a build that is still running elsewhere would be left alone; this
    // one's process is dead, so the next build sweeps it and never reads it.
    const browser = new SnapshotBrowser({ restic, indexDir: dir });
    const opened = await browser.open(repo, big);
    assert.equal(opened.reused, false);
    assert.deepEqual(temps(), []);
    assert.equal(opened.meta.entries, await countEntries(big));
    const fromRestic = await restic.list(repo, big, join(work, 'generated/tree/big-uploads'));
    assert.equal(
      browser.list(big, join(work, 'generated/tree/big-uploads')).total,
      fromRestic.length,
    );
    browser.close();

    // A named index cut short (a copy interrupted, a disk that lost the tail) is rebuilt.
    const file = join(dir, `${opened.snapshotId}.sqlite`);
    const copy = join(work, 'copy.sqlite');
    copyFileSync(file, copy);
    truncateSync(file, Math.floor(readFileSync(copy).length / 2));
    const again = new SnapshotBrowser({ restic, indexDir: dir });
    assert.equal(again.isOpen(big), false);
    const reopened = await again.open(repo, big);
    assert.equal(reopened.reused, false);
    assert.equal(reopened.meta.entries, opened.meta.entries);
    // Garbage under a temp name of a live process (ours) is not touched and not read.
    const foreign = join(dir, `${opened.snapshotId}.${process.pid}.x.tmp`);
    writeFileSync(foreign, 'not an index');
    assert.equal((await again.open(repo, big)).reused, true);
    assert.ok(existsSync(foreign));
    again.close();
  });

  test('an aborted build leaves neither an index nor a temp file', async () => {
    const dir = join(work, 'indexes', 'abort');
    const browser = new SnapshotBrowser({ restic, indexDir: dir });
    const stop = new AbortController();
    const opening = browser.open(repo, big, { signal: stop.signal });
    for (let i = 0; i < 600 && !(existsSync(dir) && readdirSync(dir).length > 0); i++)
      await sleep(20);
    await sleep(700); // restic is listing by now
    stop.abort();
    await assert.rejects(opening, (e: unknown) => e instanceof Error && /cancel/i.test(e.message));
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(browser.isOpen(big), false);
  });

  test('least recently used indexes are evicted beyond the budget', async () => {
    const browser = browserIn('evict', { maxIndexes: 2 });
    await browser.open(repo, full);
    await sleep(20);
    await browser.open(repo, webOnly);
    await sleep(20);
    await browser.open(repo, full); // used again: now webOnly is the oldest
    await sleep(20);
    await browser.open(repo, big);
    assert.equal(browser.isOpen(webOnly), false);
    assert.ok(browser.isOpen(full));
    assert.ok(browser.isOpen(big));
    await refusal(() => browser.list(webOnly, '/'), 'not-open');
    browser.close();
  });
});

async function countEntries(snapshotId: string): Promise<number> {
  let n = 0;
  await restic.ls(repo, snapshotId, { onNode: () => n++ });
  return n;
}
