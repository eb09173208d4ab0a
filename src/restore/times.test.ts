/**
 * Times to the nanosecond through a directory's descriptor: the directory itself, an entry of
 * it, and a symlink entry (changed itself, its target untouched).
 */
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Dir } from './safe-fs.js';
import { noteMtime, restoreMtime, setTimes, touchTime } from './times.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hv-times-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function times(path: string): Promise<[bigint, bigint]> {
  const st = await lstat(path, { bigint: true });
  return [st.atimeNs, st.mtimeNs];
}

test('touch gets seconds and nanoseconds as they are, before the epoch too', () => {
  assert.equal(touchTime(1_700_000_000_461_498_598n), '@1700000000.461498598');
  assert.equal(touchTime(5n), '@0.000000005');
  assert.equal(touchTime(-2_500_000_000n), '@-2.500000000');
});

test('sets times to the nanosecond through the descriptor, never through a symlink', async () => {
  const site = join(dir, 'site');
  await mkdir(site);
  await writeFile(join(site, 'index.php'), 'x');
  const target = join(dir, 'outside.txt');
  await writeFile(target, 'not to be touched');
  await symlink(target, join(site, 'link'));
  const targetBefore = await times(target);

  const opened = await Dir.open(site);
  try {
    await setTimes(opened, 'index.php', {
      atimeNs: 1_600_000_000_000_000_001n,
      mtimeNs: 1_700_000_000_461_498_598n,
    });
    await setTimes(opened, 'link', { mtimeNs: 1_500_000_000_999_999_999n });
    await setTimes(opened, undefined, { mtimeNs: 1_650_000_000_123_456_789n });
  } finally {
    await opened.close();
  }
  assert.deepEqual(await times(join(site, 'index.php')), [
    1_600_000_000_000_000_001n,
    1_700_000_000_461_498_598n,
  ]);
  assert.equal((await times(join(site, 'link')))[1], 1_500_000_000_999_999_999n);
  assert.deepEqual(await times(target), targetBefore, 'the symlink was not followed');
  assert.equal((await times(site))[1], 1_650_000_000_123_456_789n);
});

test('a noted mtime survives in its record and comes back after entries change', async () => {
  const parent = join(dir, 'parent');
  await mkdir(parent);
  const record = join(dir, 'record.json');
  const opened = await Dir.open(parent);
  try {
    await setTimes(opened, undefined, { mtimeNs: 1_234_567_890_123_456_789n });
    assert.equal(await noteMtime(opened, record), 1_234_567_890_123_456_789n);
    await writeFile(join(parent, 'new'), 'changes the mtime');
    // As recovery after a crash: the record, not the changed directory, has the time.
    const noted = await noteMtime(opened, record);
    assert.equal(noted, 1_234_567_890_123_456_789n);
    await restoreMtime(opened, noted);
  } finally {
    await opened.close();
  }
  assert.equal((await times(parent))[1], 1_234_567_890_123_456_789n);
});
