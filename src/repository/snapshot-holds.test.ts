/**
 * SnapshotHolds on the store alone (SQLite here, PostgreSQL in scripts/test-postgres.sh): holds
 * in force at the clock's time, the keep limit, a second hold of a kind replacing the first, the
 * guard's 30 days.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Store } from '../store/index.js';
import { openTestStore } from '../../test/support/store.js';
import { GUARD_HOLD_DAYS, KeepLimitError, SnapshotHolds } from './snapshot-holds.js';

let store: Store;
let clock = new Date('2026-11-28T03:00:00Z');
const DAY = 86_400_000;
const snap = (id: string, customer = 'alice') => ({
  id,
  repository_id: 1,
  customer_id: customer,
});

before(async () => {
  store = await openTestStore();
});
after(async () => {
  await store.close();
});

test('holds count while in force; keep within the limit; the guard holds for 30 days', async () => {
  const holds = new SnapshotHolds({ store, now: () => clock, keepLimit: async () => 2 });
  await holds.hold(snap('aaaa1111'), {
    reason: 'Audit',
    expiresAt: new Date(clock.getTime() + 5 * DAY).toISOString(),
  });
  // A second legal hold replaces the first: one row, the new reason and end.
  await holds.hold(snap('aaaa1111'), { reason: 'Court order' });
  await holds.keep(snap('bbbb2222'));
  await holds.keep(snap('bbbb2222'));
  await holds.keep(snap('cccc3333'));
  await assert.rejects(holds.keep(snap('dddd4444')), KeepLimitError);
  // Another customer's keeps are theirs.
  await holds.keep(snap('eeee5555', 'bob'));
  assert.deepEqual((await holds.heldIds(1, 'alice')).sort(), ['aaaa1111', 'bbbb2222', 'cccc3333']);
  const legal = (await holds.list({ customerId: 'alice' })).filter((h) => h.kind === 'legal');
  assert.deepEqual(
    legal.map((h) => [h.reason, h.expiresAt]),
    [['Court order', null]],
  );

  const [guard] = await holds.guard([snap('ffff6666')], 42, 'flagged');
  assert.equal(guard!.expiresAt, new Date(clock.getTime() + GUARD_HOLD_DAYS * DAY).toISOString());
  assert.equal(guard!.jobId, 42);
  assert.ok((await holds.heldIds(1)).includes('ffff6666'));
  clock = new Date(clock.getTime() + (GUARD_HOLD_DAYS + 1) * DAY);
  assert.ok(!(await holds.heldIds(1)).includes('ffff6666'), 'the guard hold has ended');

  await holds.release(snap('aaaa1111'));
  await assert.rejects(holds.release(snap('aaaa1111')), { code: 'not_found' });
  await holds.unkeep(snap('bbbb2222'));
  await holds.keep(snap('dddd4444'));
  assert.deepEqual((await holds.heldIds(1, 'alice')).sort(), ['cccc3333', 'dddd4444']);
});
