import assert from 'node:assert/strict';
import { lstat, mkdtemp, readFile, readlink, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Rng, randomBytesFor } from './random.js';
import { syncTree, type Planned } from './tree.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostvault-tree-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
const plan: Planned[] = [
  { type: 'dir', path: '', mode: 0o750, mtime: 1_700_000_000, ...owner },
  { type: 'dir', path: 'a', mode: 0o755, mtime: 1_700_000_100, ...owner },
  {
    type: 'file',
    path: 'a/x.php',
    mode: 0o640,
    mtime: 1_700_000_200,
    content: Buffer.from('<?php\n'),
    ...owner,
  },
  {
    type: 'file',
    path: 'b.bin',
    mode: 0o644,
    mtime: 1_700_000_300,
    content: randomBytesFor('b', 5000),
    ...owner,
  },
  { type: 'symlink', path: 'link', target: 'a/x.php', mtime: 1_700_000_400, ...owner },
];

test('syncTree writes the plan, then only what differs, and removes extras', async () => {
  const root = join(dir, 'tree');
  const first = syncTree(root, plan, { chown: false });
  assert.deepEqual([first.files, first.dirs, first.symlinks, first.bytes], [2, 2, 1, 5006]);
  assert.equal(first.written, 5);
  assert.equal((await lstat(join(root, 'a/x.php'))).mode & 0o777, 0o640);
  assert.equal((await lstat(join(root, 'a/x.php'))).mtimeMs, 1_700_000_200_000);
  assert.equal((await lstat(root)).mtimeMs, 1_700_000_000_000);
  assert.equal((await lstat(root)).mode & 0o777, 0o750);
  assert.equal(await readlink(join(root, 'link')), 'a/x.php');

  assert.equal(syncTree(root, plan, { chown: false }).written, 0);

  await writeFile(join(root, 'a/x.php'), 'changed by the customer');
  await mkdir(join(root, 'extra/deep'), { recursive: true });
  await writeFile(join(root, 'extra/deep/file'), 'x');
  await rm(join(root, 'link'));
  await writeFile(join(root, 'link'), 'not a link');
  const third = syncTree(root, plan, { chown: false });
  assert.deepEqual([third.written, third.removed], [2, 1]);
  assert.equal(await readFile(join(root, 'a/x.php'), 'utf8'), '<?php\n');
  assert.equal(await readlink(join(root, 'link')), 'a/x.php');
  await assert.rejects(lstat(join(root, 'extra')), { code: 'ENOENT' });
  assert.equal((await lstat(root)).mtimeMs, 1_700_000_000_000);
});

test('Rng and randomBytesFor are deterministic per seed', () => {
  const a = new Rng('seed');
  const b = new Rng('seed');
  const xs = Array.from({ length: 5 }, () => a.int(0, 1000));
  assert.deepEqual(
    Array.from({ length: 5 }, () => b.int(0, 1000)),
    xs,
  );
  assert.notDeepEqual(
    Array.from({ length: 5 }, () => new Rng('other').int(0, 1000)),
    xs,
  );
  assert.ok(randomBytesFor('m', 1000).equals(randomBytesFor('m', 1000)));
  assert.ok(!randomBytesFor('m', 1000).equals(randomBytesFor('n', 1000)));
});
