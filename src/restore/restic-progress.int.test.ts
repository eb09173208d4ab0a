/**
 * Restore progress from restic itself (0.16+) or, on 0.14, measured from the staging directory
 * against the snapshot's totals: one area restore with the restic on PATH.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Restic } from '../engine/index.js';
import type { RestoreProgress } from './common.js';
import { restoreArea } from './index.js';
import { makeWorld, type World } from '../../test/support/restore-test-world.js';

let w: World;
const FILES = 12;
const FILE_BYTES = 4 * 1024 * 1024;

before(async () => {
  const base = await makeWorld('hv-restore-progress-');
  const web = base.web('alice');
  await mkdir(web, { recursive: true });
  for (let i = 0; i < FILES; i++) await writeFile(join(web, `f${i}.bin`), randomBytes(FILE_BYTES));
  const backup = await base.restic.backup(base.repo, { paths: [join(base.work, 'srv')] });
  w = { ...base, snapshotId: backup.summary.snapshotId };
});

after(async () => {
  if (w) await rm(w.work, { recursive: true, force: true });
});

/** The engine, counting the snapshot listings that the 0.14 path needs for its totals. */
function counting(restic: Restic): { restic: Restic; listings: () => number } {
  let listings = 0;
  const proxy = new Proxy(restic, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name, target);
      if (name === 'ls')
        return (...args: Parameters<Restic['ls']>) => {
          listings++;
          return target.ls(...args);
        };
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  return { restic: proxy, listings: () => listings };
}

test("a web restore reports progress: restic's own where it has it (0.16+), else measured", async () => {
  const web = w.web('alice');
  await rm(web, { recursive: true });
  const { restic, listings } = counting(w.restic);
  const progress: RestoreProgress[] = [];
  await restoreArea({
    restic,
    repo: w.repo,
    snapshotId: w.snapshotId,
    confinement: [w.home('alice')],
    journalDir: w.journalDir,
    jobId: 'progress-1',
    area: web,
    mode: 'replace',
    safetySnapshot: false,
    onProgress: (p) => progress.push(p),
  });
  const restoring = progress.filter((p) => p.phase === 'restoring');
  assert.equal(progress.at(-1)?.phase, 'done');
  for (const p of restoring) assert.ok(p.percentDone >= 0.02 && p.percentDone <= 0.8, String(p));

  if (w.restic.features.restoreProgress) {
    assert.equal(listings(), 0, "restic's own progress: no listing of the snapshot for totals");
    assert.ok(restoring.length >= 1, 'restic reports at least its summary');
    const last = restoring.at(-1)!;
    assert.equal(last.totalBytes, FILES * FILE_BYTES, 'exact totals from restic');
    assert.equal(last.bytesDone, last.totalBytes);
    // restic counts the directories it restores among its files.
    assert.ok(last.totalFiles! >= FILES, `${last.totalFiles} files`);
    assert.equal(last.filesDone, last.totalFiles);
    assert.equal(last.secondsRemaining, 0, 'nothing left once restic is done');
    assert.equal(last.percentDone, 0.8, 'the restoring span ends where the next phase starts');
  } else {
    assert.equal(listings(), 1, '0.14: the totals come from one listing of the snapshot');
    assert.ok(
      restoring.every((p) => p.secondsRemaining === undefined),
      '0.14 gives no pace to estimate from',
    );
    // Also when the restore beat the first poll: the area ends with its counts.
    const last = restoring.at(-1)!;
    assert.equal(last.totalBytes, FILES * FILE_BYTES);
    assert.equal(last.bytesDone, last.totalBytes);
    assert.equal(last.totalFiles, FILES);
    assert.equal(last.filesDone, FILES);
  }
});
