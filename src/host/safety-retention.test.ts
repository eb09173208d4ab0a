import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SnapshotSummary } from '../engine/index.js';
import { expiredSafety } from './safety-retention.js';

const now = new Date('2026-12-10T12:00:00Z');
const day = 86_400_000;

function snap(id: string, daysAgo: number, customer?: string): SnapshotSummary {
  return {
    id,
    shortId: id.slice(0, 8),
    time: new Date(now.getTime() - daysAgo * day).toISOString(),
    tree: 't',
    paths: ['/x'],
    hostname: 'h',
    tags: ['safety', 'job=1', ...(customer ? [`customer=${customer}`] : [])],
  } as SnapshotSummary;
}

test('safety retention keeps the last 10 per customer or 7 days, whichever keeps more', () => {
  const old = Array.from({ length: 14 }, (_, i) => snap(`a${i}`, 8 + i, 'alice'));
  assert.deepEqual(
    expiredSafety(old, now).map((s) => s.id),
    ['a10', 'a11', 'a12', 'a13'],
    'all older than 7 days: the newest 10 stay',
  );
  const recent = Array.from({ length: 14 }, (_, i) => snap(`r${i}`, i * 0.4, 'alice'));
  assert.deepEqual(expiredSafety(recent, now), [], 'all within 7 days: all stay');
  const mixed = [...recent, ...old.slice(0, 3)];
  assert.deepEqual(
    expiredSafety(mixed, now).map((s) => s.id),
    ['a0', 'a1', 'a2'],
    'beyond the last 10 and older than 7 days',
  );
  const two = [...old, ...Array.from({ length: 3 }, (_, i) => snap(`b${i}`, 30 + i, 'bob'))];
  assert.deepEqual(
    expiredSafety(two, now)
      .map((s) => s.id)
      .filter((id) => id.startsWith('b')),
    [],
    "another customer's few old copies are counted on their own",
  );
  const legacy = Array.from({ length: 11 }, (_, i) => snap(`l${i}`, 20 + i));
  assert.deepEqual(
    expiredSafety(legacy, now).map((s) => s.id),
    ['l10'],
    'untagged copies of older versions form one group',
  );
});
