import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SnapshotSummary } from '../engine/index.js';
import { dumpTags, tag, tagsFor } from '../scope/scope.js';
import { latestBackup, planRetention } from './backup-groups.js';

const hex = (n: number) => n.toString(16).padStart(64, '0');

function snap(n: number, tags: string[]): SnapshotSummary {
  return {
    id: hex(n),
    shortId: hex(n).slice(0, 8),
    time: `2026-01-${String(n).padStart(2, '0')}T00:00:00Z`,
    tree: 't',
    paths: [],
    hostname: 'hostvault',
    tags,
  };
}
const backupTags = tagsFor({ customer: 'c', schedule: 1, scope: 'full' });
const part = (n: number, db: string) =>
  snap(n, dumpTags({ customer: 'c', schedule: 1, database: db }));
/** A backup at day `n` whose dumps were streamed into the given parts. */
const backup = (n: number, parts: SnapshotSummary[] = []) =>
  snap(n, [...backupTags, ...parts.map((p) => tag.dump(p.tags.at(-1)!.slice(9), p.id))]);

test('retention counts backups, not the snapshots of their streamed dumps', () => {
  const p1 = part(1, 'shop');
  const p2 = part(3, 'shop');
  const p3 = part(5, 'shop');
  const list = [p1, backup(2, [p1]), p2, backup(4, [p2]), p3, backup(6, [p3])];
  const plan = planRetention(list, 2);
  assert.deepEqual(plan.keep, [hex(6), hex(4)]);
  // The oldest backup goes with its dump; the kept backups' dumps stay.
  assert.deepEqual(plan.forget.sort(), [hex(1), hex(2)].sort());
});

test('retention forgets dumps that no backup names (a run that failed half way)', () => {
  const orphan = part(7, 'shop');
  const list = [backup(2), backup(4), orphan];
  assert.deepEqual(planRetention(list, 5), { keep: [hex(4), hex(2)], forget: [hex(7)] });
});

test('a backup naming its dump by a short id keeps it', () => {
  const p = part(1, 'shop');
  const b = snap(2, [...backupTags, tag.dump('shop', p.shortId)]);
  assert.deepEqual(planRetention([p, b], 1).forget, []);
});

test('backups made through the staging directory are counted as before', () => {
  const list = [backup(1), backup(2), backup(3)];
  assert.deepEqual(planRetention(list, 1), { keep: [hex(3)], forget: [hex(2), hex(1)] });
  assert.throws(() => planRetention(list, 0), /at least 1/);
});

test('a streamed dump is never the parent of the next backup', () => {
  assert.equal(latestBackup([backup(1), part(2, 'shop')])?.id, hex(1));
  assert.equal(latestBackup([part(2, 'shop')]), undefined);
});

test('held backups are kept beyond the policy with their dumps, and do not count toward it', () => {
  const p1 = part(1, 'shop');
  const heldId = `ab12cd34${hex(2).slice(8)}`;
  const held = { ...backup(2, [p1]), id: heldId };
  const list = [p1, held, backup(4), backup(6)];
  // Held by a short id, as restic 0.14's summary gives it and the store records it.
  const plan = planRetention(list, 1, ['ab12cd34']);
  assert.deepEqual(plan.keep, [hex(6), heldId]);
  assert.deepEqual(plan.forget, [hex(4)]);
  // Its hold gone: the policy lets it go with its dump.
  assert.deepEqual(planRetention(list, 1).forget.sort(), [hex(1), heldId, hex(4)].sort());
});
