/**
 * The restore preview on real restic: a web root and a mailbox backed up, then changed live
 * (edited, touched, added, removed, a symlink planted), previewed, and the preview compared with
 * what a real restore then does to the live tree. On restic 0.17+ both ways are run (restic's dry
 * run, and the browse index against the live tree as on 0.14) and must agree.
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MINIMUM } from '../engine/version.js';
import { Restic, type RepositoryLocation } from '../engine/index.js';
import type { Customer } from '../inventory/schema.js';
import { SnapshotBrowser } from '../snapshot/browser.js';
import {
  PreviewCache,
  previewPage,
  previewRestore,
  mtimeNs,
  type RestorePreview,
} from './preview.js';

let work: string;
let restic: Restic;
let repo: RepositoryLocation;
let snapshotId: string;
let customer: Customer;
let browser: SnapshotBrowser;

const files: Record<string, string> = {
  'index.php': '<?php echo "hello";\n',
  'robots.txt': 'User-agent: *\n',
  'wp-content/a.txt': 'aaaa',
  'wp-content/b.txt': 'bbbb',
  'wp-content/old/gone.txt': 'to be removed live',
  'same-size.txt': '12345',
};

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-preview-'));
  restic = await Restic.detect({ cacheDir: join(work, 'cache') });
  const web = join(work, 'www', 'public_html');
  const maildir = join(work, 'mail', 'info');
  for (const [path, body] of Object.entries(files)) {
    await mkdir(join(web, path, '..'), { recursive: true });
    await writeFile(join(web, path), body);
  }
  await mkdir(join(maildir, 'cur'), { recursive: true });
  await writeFile(join(maildir, 'cur', '1.mail'), 'Subject: one\n\nbody\n');
  customer = {
    id: 'carol',
    name: 'Carol',
    linuxUser: 'carol',
    uid: 0,
    gid: 0,
    packageId: 'basic',
    webRoot: web,
    databases: ['carol_shop'],
    mailboxes: [{ address: 'info@carol.example', maildir }],
    sslFiles: [],
    configFiles: [],
  };
  repo = { url: join(work, 'repo'), password: 'preview-password' };
  await restic.init(repo);
  const saved = await restic.backup(repo, { paths: [web, maildir] });
  snapshotId = saved.summary.snapshotId;
  browser = new SnapshotBrowser({ restic, indexDir: join(work, 'index') });

  // Live changes after the backup.
  await writeFile(join(web, 'index.php'), '<?php echo "hello, changed";\n');
  // Same size, other content, other mtime: restic's size+mtime check sees it changed.
  await writeFile(join(web, 'same-size.txt'), '54321');
  await utimes(join(web, 'same-size.txt'), new Date('2020-01-01'), new Date('2020-01-01'));
  await rm(join(web, 'robots.txt'));
  await rm(join(web, 'wp-content', 'old'), { recursive: true });
  await mkdir(join(web, 'wp-content', 'cache'));
  await writeFile(join(web, 'wp-content', 'cache', 'x.html'), 'cached page');
  await writeFile(join(web, 'new.php'), 'new');
  await symlink('/etc', join(web, 'etc-link'));
  await writeFile(join(maildir, 'cur', '2.mail'), 'Subject: newer\n\nbody\n');
});

after(async () => {
  browser?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const request = (what: 'web' | 'everything' | 'email' | 'file', extra: object = {}) => ({
  snapshotId,
  customer,
  roots: { web: [customer.webRoot], mail: [customer.mailboxes[0]!.maildir] },
  contents: ['web' as const, 'mail' as const],
  what,
  keepNewerMail: true,
  ...extra,
});

function listed(preview: RestorePreview, area: number) {
  const of = (action: string) =>
    preview.items
      .filter((i) => i.area === area && i.action === action)
      .map((i) => i.path)
      .sort();
  return { add: of('add'), change: of('change'), delete: of('delete') };
}

const WEB_EXPECTED = {
  add: ['robots.txt', 'wp-content/old/gone.txt'],
  change: ['index.php', 'same-size.txt'],
  delete: ['etc-link', 'new.php', 'wp-content/cache/x.html'],
};

test(`web files: what a restore adds, changes and deletes (${'restic on PATH'})`, async () => {
  const preview = await previewRestore({ restic, browser }, repo, request('web'));
  assert.equal(preview.method, restic.features.restoreDryRun ? 'dry-run' : 'index');
  assert.equal(preview.areas.length, 1);
  const [web] = preview.areas;
  assert.deepEqual(
    { group: web!.group, part: web!.part, mode: web!.mode },
    { group: 'web', part: 'area', mode: 'replace' },
  );
  assert.deepEqual(listed(preview, 0), WEB_EXPECTED);
  assert.deepEqual(
    [web!.add, web!.change, web!.delete, web!.unchanged],
    [2, 2, 3, 2],
    JSON.stringify(web),
  );
  assert.equal(
    web!.bytes,
    files['robots.txt']!.length +
      files['wp-content/old/gone.txt']!.length +
      '<?php echo "hello";\n'.length +
      5,
  );
  assert.deepEqual(preview.databases, []);
});

test('restic 0.14 way (browse index against the live tree) agrees with the version on PATH', async () => {
  const old = Restic.forVersion(MINIMUM, { cacheDir: join(work, 'cache'), binary: 'restic' });
  const byIndex = await previewRestore({ restic: old, browser }, repo, request('web'));
  assert.equal(byIndex.method, 'index');
  assert.deepEqual(listed(byIndex, 0), WEB_EXPECTED);
});

test('everything: mail kept-newer deletes nothing, databases are named', async () => {
  const preview = await previewRestore({ restic, browser }, repo, {
    ...request('everything'),
    contents: ['web', 'mail', 'db'],
    roots: { ...request('web').roots, db: ['/var/lib/hostvault/staging/databases'] },
  });
  assert.deepEqual(preview.databases, ['carol_shop']);
  const mail = preview.areas.findIndex((a) => a.group === 'mail');
  assert.equal(preview.areas[mail]!.name, 'info@carol.example');
  assert.equal(preview.areas[mail]!.mode, 'keep-newer');
  // 2.mail arrived after the snapshot: kept, not deleted; 1.mail is as it was.
  assert.deepEqual(listed(preview, mail), { add: [], change: [], delete: [] });
  assert.equal(preview.areas[mail]!.unchanged, 1);

  const replaced = await previewRestore({ restic, browser }, repo, {
    ...request('email'),
    keepNewerMail: false,
  });
  assert.deepEqual(listed(replaced, 0), { add: [], change: [], delete: ['cur/2.mail'] });
});

test('one file: added back, and nothing else counted', async () => {
  const preview = await previewRestore(
    { restic, browser },
    repo,
    request('file', { path: join(customer.webRoot, 'robots.txt') }),
  );
  assert.deepEqual(
    preview.areas.map((a) => [a.group, a.part, a.name, a.add, a.change, a.delete]),
    [['web', 'file', 'robots.txt', 1, 0, 0]],
  );
  assert.deepEqual(preview.items, [{ action: 'add', area: 0, path: '', size: 14 }]);
});

test('pages: counts for all, rows only for the page asked', async () => {
  const cache = new PreviewCache();
  let computed = 0;
  const get = () =>
    cache.get('k', () => {
      computed++;
      return previewRestore({ restic, browser }, repo, request('web'));
    });
  const first = previewPage(await get(), 'delete', 0, 2);
  const second = previewPage(await get(), 'delete', 2, 2);
  assert.equal(computed, 1, 'one preview for all pages');
  assert.equal(first.total, 3);
  assert.deepEqual(
    [...first.items, ...second.items].map((i) => i.path).sort(),
    WEB_EXPECTED.delete,
  );
  assert.equal(first.items.length, 2);
  assert.equal(second.items.length, 1);
});

test('the preview wrote nothing, and a restore then does what it said', async () => {
  const { restoreArea } = await import('./index.js');
  const before = await previewRestore({ restic, browser }, repo, request('web'));
  await restoreArea({
    restic,
    repo,
    snapshotId,
    area: customer.webRoot,
    mode: 'replace',
    confinement: [join(work, 'www')],
    jobId: '1-1',
    journalDir: join(work, 'journal'),
    safetySnapshot: false,
  });
  // After the restore the live tree equals the snapshot: nothing left to do.
  const afterwards = await previewRestore({ restic, browser }, repo, {
    ...request('web'),
    keepNewerMail: false,
  });
  assert.deepEqual(listed(afterwards, 0), { add: [], change: [], delete: [] });
  assert.equal(
    afterwards.areas[0]!.unchanged,
    before.areas[0]!.unchanged + before.areas[0]!.add + before.areas[0]!.change,
  );
});

test('a web root the customer replaced by a symlink is compared with nothing, never with its target', async () => {
  const elsewhere = join(work, 'elsewhere');
  await mkdir(elsewhere);
  await writeFile(join(elsewhere, 'secret-name.txt'), 'not the customer’s');
  const web = customer.webRoot;
  await rename(web, `${web}.moved`);
  await symlink(elsewhere, web);
  try {
    const preview = await previewRestore({ restic, browser }, repo, request('web'));
    assert.deepEqual(
      preview.items.filter((i) => i.action !== 'add'),
      [],
      'nothing of the link target is listed',
    );
    assert.deepEqual(
      listed(preview, 0).add,
      Object.keys(files).sort(),
      'every file of the snapshot is added',
    );
  } finally {
    await rm(web);
    await rename(`${web}.moved`, web);
  }
});

test('restic times to the nanosecond', () => {
  assert.equal(mtimeNs('2026-12-05T13:03:16.123456789Z'), 1796475796123456789n);
  assert.equal(mtimeNs('2026-12-05T14:03:16.5+01:00'), 1796475796500000000n);
  assert.equal(mtimeNs('not a time'), undefined);
});
