// What a lost server's customer gets restored: the newest snapshot of each content, "everything"
// only from a Full snapshot that is the newest for all it holds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SnapshotRow } from '../store/index.js';
import { planRecovery } from './server-recovery.js';

function snapshot(id: string, time: string, scope: string, contents: string[]): SnapshotRow {
  return {
    id,
    repository_id: 1,
    schedule_id: 1,
    customer_id: 'erin',
    time,
    scope,
    contents: JSON.stringify(contents),
    roots: null,
    size: null,
    tags: '[]',
    kind: 'backup',
    restore_job_id: null,
    undo: null,
    copy_of: null,
    files: null,
    change_share: null,
    random_share: null,
  };
}

const plan = (rows: SnapshotRow[]) => planRecovery(rows).map((p) => `${p.what}:${p.snapshot.id}`);

describe('planRecovery', () => {
  it('restores everything from a Full snapshot newest for all it holds', () => {
    const full = snapshot('f1', '2026-12-05T02:00:00Z', 'full', ['web', 'db', 'mail', 'ssl']);
    const web = snapshot('w1', '2026-12-04T02:00:00Z', 'web', ['web']);
    assert.deepEqual(plan([web, full]), ['everything:f1']);
  });

  it('takes newer web files from a Web snapshot and the rest from the Full one', () => {
    const full = snapshot('f1', '2026-12-05T02:00:00Z', 'full', ['web', 'db', 'mail', 'ssl']);
    const web = snapshot('w1', '2026-12-05T06:00:00Z', 'web', ['web']);
    assert.deepEqual(plan([full, web]), ['web:w1', 'databases:f1', 'email:f1']);
  });

  it('restores nothing when there is no snapshot', () => {
    assert.deepEqual(plan([]), []);
  });
});
