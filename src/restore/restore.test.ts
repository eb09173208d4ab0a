import assert from 'node:assert/strict';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  readFile,
  readdir,
  rename,
  rm,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TreeEntry } from '../../test/support/tree.js';
import { RestoreError, restoreArea, restoreFile, type RestoreStep } from './index.js';
import { isRootControlled } from './safe-fs.js';
import {
  GID,
  UID,
  makeCustomer,
  makeMaildir,
  makeWorld,
  readArea,
  readOutside,
  type AreaState,
  type World,
} from '../../test/support/restore-test-world.js';

let w: World;
let maildir: string;
const snap: Record<string, AreaState> = {};
let outsideBefore: AreaState;
let jobs = 0;
const nextJob = (): string => `job-${++jobs}`;

before(async () => {
  const base = await makeWorld('hv-restore-');
  for (const c of ['alice', 'bob', 'erin']) await makeCustomer(base.work, c);
  maildir = await makeMaildir(base.work, 'dave');
  const backup = await base.restic.backup(base.repo, {
    paths: [join(base.work, 'srv'), join(base.work, 'var')],
    tags: ['customer=all'],
  });
  w = { ...base, snapshotId: backup.summary.snapshotId };
  for (const c of ['alice', 'bob', 'erin']) snap[c] = await readArea(w.web(c));
  snap.maildir = await readArea(maildir);
  snap.shop = await readArea(join(w.home('bob'), 'sites/shop'));
  outsideBefore = await readOutside(w.outside);
});

after(async () => {
  if (w) await rm(w.work, { recursive: true, force: true });
});

function common(customer: string) {
  return {
    restic: w.restic,
    repo: w.repo,
    snapshotId: w.snapshotId,
    confinement: [w.home(customer), join(w.work, 'var/mail', customer)],
    journalDir: w.journalDir,
  };
}

/** No staging directory, journal or temporary file is left anywhere. */
async function assertNoLeftovers(): Promise<void> {
  const journals = await readdir(w.journalDir).catch(() => []);
  assert.deepEqual(journals, [], 'journal directory is empty');
  for (const dir of [join(w.work, 'srv/www'), join(w.work, 'var/mail'), w.work])
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.startsWith('.hostvault')),
      [],
      `no staging left in ${dir}`,
    );
}

async function assertOutsideUntouched(): Promise<void> {
  assert.deepEqual(await readOutside(w.outside), outsideBefore, 'the outside tree is untouched');
}

function byPath(entries: TreeEntry[]): Map<string, TreeEntry> {
  return new Map(entries.map((e) => [e.path, e]));
}

async function expectRefused(
  run: () => Promise<unknown>,
  kind: RestoreError['kind'],
  message?: RegExp,
): Promise<RestoreError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(
    error instanceof RestoreError,
    `expected a RestoreError (${kind}), got ${String(error)}`,
  );
  assert.equal(error.kind, kind, error.message);
  if (message) assert.match(error.message, message);
  return error;
}

describe('restoreArea, replace mode', () => {
  test('the area equals the snapshot: added removed, changed reverted, deleted back, owner/mode/mtime', async () => {
    const web = w.web('alice');
    await writeFile(join(web, 'added.txt'), 'new since the snapshot\n');
    await mkdir(join(web, 'new-dir/deeper'), { recursive: true });
    await writeFile(join(web, 'new-dir/deeper/x'), 'x');
    await writeFile(join(web, 'index.php'), '<?php echo "defaced";\n');
    await chown(join(web, 'index.php'), 0, 0);
    await chmod(join(web, '.htaccess'), 0o666);
    await utimes(join(web, 'Grüße & spaces.txt'), new Date(), new Date());
    await unlink(join(web, 'wp-config.php'));
    await rm(join(web, 'empty-dir'), { recursive: true });
    await unlink(join(web, 'link-to-index'));
    await symlink('/etc/passwd', join(web, 'link-to-index'));
    await chmod(web, 0o777);
    assert.notDeepEqual(await readArea(web), snap.alice);

    const steps: RestoreStep[] = [];
    const phases: string[] = [];
    const job = nextJob();
    let staging: { mode: number; uid: number } | undefined;
    const result = await restoreArea({
      ...common('alice'),
      area: web,
      mode: 'replace',
      jobId: job,
      onProgress: (p) => phases.push(p.phase),
      onStep: async (s) => {
        steps.push(s);
        if (s === 'staged') {
          // alice owns her home, so staging goes one level up, to the root-owned srv/www.
          const st = await lstat(join(w.work, 'srv/www', `.hostvault-restore-${job}`));
          staging = { mode: st.mode & 0o777, uid: st.uid };
        }
      },
    });

    assert.deepEqual(await readArea(web), snap.alice);
    assert.deepEqual(staging, { mode: 0o700, uid: 0 }, 'root-only staging beside the home');
    // The safety snapshot comes after the swap, from the previous tree moved aside.
    assert.deepEqual(steps, [
      'checked',
      'staged',
      'committed',
      'moved-old',
      'swapped',
      'safety-snapshot',
      'cleaned',
    ]);
    assert.equal(phases.at(-1), 'done');
    assert.ok(result.safetySnapshotId);
    assert.match(result.undo ?? '', /safety snapshot/);
    // The safety snapshot holds the tree as it was before, tagged for the job.
    const saved = await w.restic.list(w.repo, result.safetySnapshotId, web);
    assert.ok(saved.some((n) => n.name === 'added.txt'));
    const [safety] = await w.restic.snapshots(w.repo, { tags: [`job=${job}`] });
    assert.deepEqual(safety?.tags.sort(), [`job=${job}`, 'safety']);
    await assertNoLeftovers();
  });

  test('a deleted area comes back; safety snapshot can be turned off', async () => {
    const web = w.web('alice');
    await rm(web, { recursive: true });
    const result = await restoreArea({
      ...common('alice'),
      area: web,
      mode: 'replace',
      jobId: nextJob(),
      safetySnapshot: false,
    });
    assert.equal(result.safetySnapshotId, undefined);
    assert.deepEqual(await readArea(web), snap.alice);
    await assertNoLeftovers();
  });

  test('canceled before the swap: the area is untouched and nothing is left behind', async () => {
    const web = w.web('alice');
    await writeFile(join(web, 'added.txt'), 'stays');
    const before = await readArea(web);
    for (const at of ['checked', 'staged'] as const) {
      const controller = new AbortController();
      const error = await restoreArea({
        ...common('alice'),
        area: web,
        mode: 'replace',
        jobId: nextJob(),
        safetySnapshot: false,
        signal: controller.signal,
        onStep: (step) => {
          if (step === at) controller.abort();
        },
      }).catch((e: unknown) => e);
      assert.ok(error instanceof Error && /cancel/i.test(error.message), String(error));
      assert.deepEqual(await readArea(web), before);
      await assertNoLeftovers();
    }
    await unlink(join(web, 'added.txt'));
    const mtime = new Date(snap.alice!.root.mtimeMs);
    await utimes(web, mtime, mtime);
  });
});

describe('restoreArea, keep-newer mode (mail)', () => {
  test('restores missing and changed messages, keeps newer mail, no duplicate of a read message', async () => {
    await unlink(join(maildir, 'cur/1001.M1.host:2,S'));
    await writeFile(join(maildir, 'cur/1002.M2.host:2,S'), 'Subject: two\n\ntampered\n');
    await writeFile(join(maildir, 'new/2001.M9.host'), 'Subject: today\n\narrived after\n');
    await chown(join(maildir, 'new/2001.M9.host'), UID, GID);
    await rename(join(maildir, 'new/1003.M3.host'), join(maildir, 'cur/1003.M3.host:2,RS'));
    await writeFile(join(maildir, 'dovecot.index.cache'), 'cache');
    const newer = byPath((await readArea(maildir)).entries);

    const result = await restoreArea({
      ...common('dave'),
      area: maildir,
      mode: 'keep-newer',
      maildir: true,
      jobId: nextJob(),
    });

    const after = await readArea(maildir);
    const got = byPath(after.entries);
    // Everything of the snapshot is back exactly (directories with their snapshot metadata) ...
    for (const entry of snap.maildir!.entries) {
      if (entry.path === 'new/1003.M3.host') continue;
      assert.deepEqual(got.get(entry.path), entry, entry.path);
    }
    // ... the read message is not restored a second time into new/ ...
    assert.equal(got.get('new/1003.M3.host'), undefined);
    // ... and what arrived after the snapshot is still there, unchanged.
    for (const path of ['new/2001.M9.host', 'cur/1003.M3.host:2,RS', 'dovecot.index.cache'])
      assert.deepEqual(got.get(path), newer.get(path), path);
    assert.equal(after.entries.length, snap.maildir!.entries.length - 1 + 3);
    assert.deepEqual(after.root, snap.maildir!.root);
    assert.equal(result.merge?.skipped, 1);
    assert.ok(result.safetySnapshotId);
    await assertNoLeftovers();
  });
});

describe('restoreFile', () => {
  test('replaces one file atomically with its owner, mode and mtime', async () => {
    const web = w.web('erin');
    const file = join(web, 'index.php');
    await writeFile(file, '<?php echo "changed and longer than before";\n');
    await chown(file, 0, 0);
    await chmod(file, 0o666);
    const other = join(web, '.htaccess');
    await writeFile(other, 'Options +Indexes\n');
    const result = await restoreFile({ ...common('erin'), path: file, jobId: nextJob() });
    const want = snap.erin!.entries.find((e) => e.path === 'index.php');
    const got = (await readArea(web)).entries.find((e) => e.path === 'index.php');
    assert.deepEqual(got, want);
    assert.equal(want?.uid, 1234, 'the fixture gives index.php a non-root owner');
    assert.equal(await readFile(other, 'utf8'), 'Options +Indexes\n', 'only that one file');
    assert.ok(result.safetySnapshotId);
    assert.deepEqual(
      (await readdir(web)).filter((n) => n.startsWith('.hostvault')),
      [],
      'no temporary file left',
    );
    await assertNoLeftovers();
  });

  test('a file replaced by a symlink to a root file: the symlink is replaced, the target untouched', async () => {
    const file = join(w.web('erin'), 'wp-config.php');
    await unlink(file);
    await symlink(join(w.outside, 'secret'), file);
    await restoreFile({ ...common('erin'), path: file, jobId: nextJob() });
    const got = (await readArea(w.web('erin'))).entries.find((e) => e.path === 'wp-config.php');
    assert.deepEqual(
      got,
      snap.erin!.entries.find((e) => e.path === 'wp-config.php'),
    );
    await assertOutsideUntouched();
    await restoreFile({
      ...common('erin'),
      path: join(w.web('erin'), '.htaccess'),
      jobId: nextJob(),
    });
    // A single-file restore changes the directory (its mtime), nothing else.
    assert.deepEqual((await readArea(w.web('erin'))).entries, snap.erin!.entries);
  });

  test('refused when the parent is a symlink or outside the confinement', async () => {
    const web = w.web('erin');
    await rename(join(web, 'wp-content'), join(web, 'wp-content.real'));
    await symlink(join(w.outside, 'dir'), join(web, 'wp-content'));
    try {
      await expectRefused(
        () =>
          restoreFile({
            ...common('erin'),
            path: join(web, 'wp-content/uploads/2026/11/photo.jpg'),
            jobId: nextJob(),
          }),
        'symlink',
        /wp-content is a symbolic link/,
      );
      await expectRefused(
        () => restoreFile({ ...common('erin'), path: join(w.outside, 'secret'), jobId: nextJob() }),
        'outside-confinement',
      );
      await expectRefused(
        () =>
          restoreFile({
            ...common('erin'),
            path: join(w.web('alice'), 'index.php'),
            jobId: nextJob(),
          }),
        'outside-confinement',
      );
    } finally {
      await unlink(join(web, 'wp-content'));
      await rename(join(web, 'wp-content.real'), join(web, 'wp-content'));
    }
    await assertOutsideUntouched();
    await assertNoLeftovers();
    assert.deepEqual((await readArea(web)).entries, snap.erin!.entries);
  });
});

describe('confinement: symlink attacks leave root files untouched', () => {
  async function plantSymlinks(web: string): Promise<void> {
    // A file and a directory of the web root become symlinks to root-owned things elsewhere.
    await unlink(join(web, 'index.php'));
    await symlink(join(w.outside, 'secret'), join(web, 'index.php'));
    await rm(join(web, 'wp-content'), { recursive: true });
    await symlink(join(w.outside, 'dir'), join(web, 'wp-content'));
  }

  for (const mode of ['replace', 'keep-newer'] as const) {
    test(`${mode}: a file and a directory replaced by symlinks before the restore`, async () => {
      const web = w.web('bob');
      await plantSymlinks(web);
      await restoreArea({ ...common('bob'), area: web, mode, jobId: nextJob() });
      await assertOutsideUntouched();
      assert.deepEqual(await readArea(web), snap.bob);
      await assertNoLeftovers();
    });

    test(`${mode}: a directory swapped for a symlink during the restore`, async () => {
      const web = w.web('bob');
      await writeFile(join(web, 'wp-content/uploads/2026/11/photo.jpg'), 'changed');
      await restoreArea({
        ...common('bob'),
        area: web,
        mode,
        jobId: nextJob(),
        safetySnapshot: false,
        onStep: async (step) => {
          // Right before the swap, with the live tree checked: the worst moment for us.
          if (step !== 'committed') return;
          await rename(join(web, 'wp-content'), join(web, 'wp-content.moved'));
          await symlink(join(w.outside, 'dir'), join(web, 'wp-content'));
        },
      });
      await assertOutsideUntouched();
      const got = await readArea(web);
      if (mode === 'replace') assert.deepEqual(got, snap.bob);
      else {
        // keep-newer keeps what is not in the snapshot: the renamed directory stays.
        const entries = got.entries.filter((e) => !e.path.startsWith('wp-content.moved'));
        assert.deepEqual(entries, snap.bob!.entries);
        await rm(join(web, 'wp-content.moved'), { recursive: true });
        await restoreArea({ ...common('bob'), area: web, mode: 'replace', jobId: nextJob() });
      }
      await assertNoLeftovers();
    });
  }

  test('the area itself replaced by a symlink: refused, nothing changes', async () => {
    const web = w.web('bob');
    await rename(web, `${web}.real`);
    await symlink(join(w.outside, 'dir'), web);
    try {
      await expectRefused(
        () => restoreArea({ ...common('bob'), area: web, mode: 'replace', jobId: nextJob() }),
        'symlink',
        /public_html is a symbolic link/,
      );
      assert.ok((await lstat(web)).isSymbolicLink());
    } finally {
      await unlink(web);
      await rename(`${web}.real`, web);
    }
    await assertOutsideUntouched();
    await assertNoLeftovers();
  });

  test('a parent of the area inside the home replaced by a symlink: refused', async () => {
    const home = w.home('bob');
    await rename(join(home, 'sites'), join(home, 'sites.real'));
    await symlink(w.outside, join(home, 'sites'));
    try {
      for (const mode of ['replace', 'keep-newer'] as const)
        await expectRefused(
          () =>
            restoreArea({
              ...common('bob'),
              area: join(home, 'sites/shop'),
              mode,
              jobId: nextJob(),
            }),
          'symlink',
          /sites is a symbolic link/,
        );
    } finally {
      await unlink(join(home, 'sites'));
      await rename(join(home, 'sites.real'), join(home, 'sites'));
    }
    await assertOutsideUntouched();
    await assertNoLeftovers();
    assert.deepEqual(await readArea(join(home, 'sites/shop')), snap.shop);
  });

  test('relative paths, "..", and areas outside the confinement are refused before anything changes', async () => {
    const before = (await w.restic.snapshots(w.repo)).length;
    const home = w.home('bob');
    const cases: [string, RestoreError['kind']][] = [
      ['srv/www/bob/public_html', 'invalid-path'],
      [`${home}/public_html/../../../../outside/dir`, 'invalid-path'],
      [`${home}/./public_html`, 'invalid-path'],
      [`${home}/public_html/`, 'invalid-path'],
      [join(w.outside, 'dir'), 'outside-confinement'],
      [w.web('alice'), 'outside-confinement'],
      [`${home}-evil/public_html`, 'outside-confinement'],
    ];
    for (const [area, kind] of cases)
      for (const mode of ['replace', 'keep-newer'] as const)
        await expectRefused(
          () => restoreArea({ ...common('bob'), area, mode, jobId: nextJob() }),
          kind,
        );
    await expectRefused(
      () => restoreArea({ ...common('bob'), area: w.web('bob'), mode: 'replace', jobId: '../x' }),
      'invalid-path',
    );
    assert.equal((await w.restic.snapshots(w.repo)).length, before, 'no safety snapshot taken');
    await assertOutsideUntouched();
    await assertNoLeftovers();
    assert.deepEqual(await readArea(w.web('alice')), snap.alice);
    assert.deepEqual(await readArea(w.web('bob')), snap.bob);
  });

  test('staging is only placed in directories that only root controls', async () => {
    assert.equal(await isRootControlled(join(w.work, 'srv/www')), true);
    assert.equal(await isRootControlled('/tmp'), true, 'sticky /tmp: others cannot rename in it');
    assert.equal(await isRootControlled(w.home('bob')), false, 'owned by the customer');
    const open = join(w.work, 'world-writable');
    await mkdir(open, { mode: 0o777 });
    await chmod(open, 0o777);
    assert.equal(await isRootControlled(open), false);
  });
});
