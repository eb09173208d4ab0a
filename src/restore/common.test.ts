import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PHASE_START, StagingProgress, countFiles, type RestoreProgress } from './common.js';

async function stagedTree(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'hv-staging-progress-'));
  await mkdir(join(root, 'a', 'b'), { recursive: true });
  await writeFile(join(root, 'one'), 'x');
  await writeFile(join(root, 'a', 'two'), 'xy');
  await writeFile(join(root, 'a', 'b', 'three'), 'xyz');
  await symlink('one', join(root, 'link'));
  return root;
}

test('countFiles counts regular files by entry type, not symlinks or directories', async () => {
  const root = await stagedTree();
  try {
    assert.equal(await countFiles(root), 3);
    assert.equal(await countFiles(join(root, 'missing')), 0, 'nothing staged yet');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("restic 0.14's progress: its written bytes against the totals, the files counted aside", async () => {
  const root = await stagedTree();
  const seen: RestoreProgress[] = [];
  const progress = new StagingProgress(root, (p) => seen.push(p));
  try {
    progress.written(50);
    assert.equal(seen.length, 0, 'nothing to report against before the totals are known');
    progress.setTotals({ files: 4, bytes: 200 });
    progress.written(100);
    assert.deepEqual(seen.at(-1), {
      phase: 'restoring',
      percentDone:
        PHASE_START.restoring + (PHASE_START['safety-snapshot'] - PHASE_START.restoring) / 2,
      filesDone: 0,
      totalFiles: 4,
      bytesDone: 100,
      totalBytes: 200,
    });
    await sleep(100); // the count started by the first call
    assert.equal(seen.at(-1)?.filesDone, 3, 'the files counted in the staging directory');
    // restic's output and cache writes count among its written bytes: never past the total.
    progress.written(250);
    assert.equal(seen.at(-1)?.bytesDone, 200);
    assert.equal(seen.at(-1)?.percentDone, PHASE_START['safety-snapshot']);
    const reported = seen.length;
    await progress.stop();
    progress.written(260);
    assert.equal(seen.length, reported, 'nothing after stop');
  } finally {
    await progress.stop();
    await rm(root, { recursive: true, force: true });
  }
});
