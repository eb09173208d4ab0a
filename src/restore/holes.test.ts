/**
 * Hole punching for restic 0.14, which restores sparse files densely: a staged file with zero
 * blocks gets its holes back and keeps its times to the nanosecond; a file without zero blocks,
 * or too small to matter, is left as restic wrote it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Restic, parseVersion } from '../engine/index.js';
import { MIN_BYTES, hasZeroBlock, restoreHoles } from './holes.js';
import { setTimes } from '../../test/support/metadata-tree.js';

const MiB = 1024 * 1024;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hv-holes-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Written densely, as restic 0.14 writes: zeros as data. */
async function dense(path: string, parts: (Buffer | number)[]): Promise<Buffer> {
  const content = Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.alloc(p) : p)));
  await writeFile(path, content);
  const handle = await open(path, 'r+');
  await handle.sync();
  await handle.close();
  return content;
}

test('restic 0.14: zero blocks of staged files become holes again, times kept to the nanosecond', async () => {
  const tree = join(dir, 'tree');
  await mkdir(join(tree, 'vm'), { recursive: true });
  const image = join(tree, 'vm/disk.img');
  const content = await dense(image, [randomBytes(4096), 16 * MiB, randomBytes(100), 8 * MiB]);
  const media = join(tree, 'video.mp4');
  await dense(media, [randomBytes(3 * MiB)]);
  const small = join(tree, 'small.bin');
  await dense(small, [MIN_BYTES / 2]);
  const times = { atimeNs: 1_600_000_000_123_456_789n, mtimeNs: 1_650_000_000_987_654_321n };
  for (const file of [image, media, small]) await setTimes(file, times.mtimeNs, times.atimeNs);
  const before = await lstat(image, { bigint: true });
  assert.ok(before.blocks * 512n >= 24n * BigInt(MiB), 'written densely first');

  const old = Restic.forVersion(parseVersion('restic 0.14.0'));
  const lines: string[] = [];
  const stats = await restoreHoles(old, tree, (l) => lines.push(l));

  assert.deepEqual(
    { searched: stats?.searched, sparse: stats?.sparse },
    { searched: 2, sparse: 1 },
    'the image and the video searched, the small file not',
  );
  const after = await lstat(image, { bigint: true });
  assert.ok(after.blocks * 512n <= 64n * 1024n, `${after.blocks * 512n} bytes left allocated`);
  for (const file of [image, media, small]) {
    const st = await lstat(file, { bigint: true });
    assert.deepEqual({ atimeNs: st.atimeNs, mtimeNs: st.mtimeNs }, times, file);
  }
  assert.deepEqual(await readFile(image), content, 'the same bytes (read after the atimes)');
  assert.equal((await lstat(small)).blocks * 512, MIN_BYTES / 2, 'too small to search');
  assert.match(lines.join('\n'), /searched 2 file\(s\), 27 MiB, for zero blocks in \d+ ms; 1 made/);
});

test('restic 0.15 and newer restore holes themselves: nothing is searched', async () => {
  const file = join(dir, 'newer.img');
  await dense(file, [2 * MiB]);
  const newer = Restic.forVersion(parseVersion('restic 0.18.0'));
  assert.equal(await restoreHoles(newer, file), undefined);
  assert.equal((await lstat(file)).blocks * 512, 2 * MiB);
});

test('a zero block counts only when whole and aligned', async () => {
  const file = join(dir, 'aligned.bin');
  const check = async (parts: (Buffer | number)[]): Promise<boolean> => {
    await dense(file, parts);
    const handle = await open(file, 'r');
    try {
      return await hasZeroBlock(handle);
    } finally {
      await handle.close();
    }
  };
  assert.equal(await check([Buffer.alloc(100, 1), 8192, Buffer.alloc(4096, 1)]), true);
  assert.equal(
    await check([Buffer.alloc(4000, 1), 4096, Buffer.alloc(4096, 1)]),
    false,
    'zeros from 4000 to 8096 cover no whole block',
  );
  assert.equal(
    await check([Buffer.alloc(4096, 1), 4000]),
    false,
    'a partial last block cannot be punched',
  );
});

test('a file whose name is not UTF-8 is made sparse too (fallocate gets the descriptor)', async () => {
  const tree = join(dir, 'names');
  await mkdir(tree);
  const name = Buffer.concat([
    Buffer.from(`${tree}/caf`),
    Buffer.from([0xe9]),
    Buffer.from('.img'),
  ]);
  const handle = await open(name, 'w');
  await handle.write(Buffer.alloc(4 * MiB));
  await handle.sync();
  await handle.close();
  const stats = await restoreHoles(Restic.forVersion(parseVersion('restic 0.14.0')), tree);
  assert.equal(stats?.sparse, 1);
  assert.equal((await lstat(name)).blocks, 0);
});
