/** The job's bar over several area restores: counts summed, the percentage through the areas. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobProgress } from '../job/job-store.js';
import { RestoreJobProgress } from './job-progress.js';

test('"Restore everything" ends at 100 % with the bytes and files of every area', () => {
  const seen: JobProgress[] = [];
  const progress = new RestoreJobProgress(2, (p) => seen.push(p));
  const web = progress.nextArea();
  web({ phase: 'checking', percentDone: 0 });
  web({
    phase: 'restoring',
    percentDone: 0.4,
    bytesDone: 500,
    totalBytes: 1000,
    filesDone: 5,
    totalFiles: 10,
  });
  assert.deepEqual(seen.at(-1), {
    percent: 20,
    bytesDone: 500,
    bytesTotal: 1000,
    filesDone: 5,
    filesTotal: 10,
    etaSeconds: undefined,
  });
  // The phases after staging carry no counts: the area keeps its own.
  web({ phase: 'swapping', percentDone: 0.92 });
  assert.equal(seen.at(-1)?.bytesTotal, 1000);
  web({ phase: 'done', percentDone: 1 });
  assert.deepEqual(
    [seen.at(-1)?.percent, seen.at(-1)?.bytesDone, seen.at(-1)?.filesDone],
    [50, 1000, 10],
  );

  const mail = progress.nextArea();
  mail({ phase: 'checking', percentDone: 0 });
  assert.equal(seen.at(-1)?.percent, 50, 'the bar does not jump back for the next area');
  mail({
    phase: 'restoring',
    percentDone: 0.8,
    bytesDone: 200,
    totalBytes: 200,
    filesDone: 3,
    totalFiles: 3,
  });
  mail({ phase: 'done', percentDone: 1 });
  assert.deepEqual(seen.at(-1), {
    percent: 100,
    bytesDone: 1200,
    bytesTotal: 1200,
    filesDone: 13,
    filesTotal: 13,
    etaSeconds: undefined,
  });
});

test("a job of one area passes restic's estimate through", () => {
  const seen: JobProgress[] = [];
  const area = new RestoreJobProgress(1, (p) => seen.push(p)).nextArea();
  area({ phase: 'restoring', percentDone: 0.5, secondsRemaining: 12 });
  assert.equal(seen.at(-1)?.etaSeconds, 12);
  assert.equal(seen.at(-1)?.percent, 50);
});
