import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Package } from '../inventory/schema.js';
import { checkPackageLimits } from './package-limits.js';

const basic: Package = {
  id: 'basic',
  name: 'Basic',
  frequencies: ['weekly', 'daily'],
  maxRetention: 7,
  maxSchedules: 2,
};
const unlimited: Package = {
  id: 'pro',
  name: 'Pro',
  frequencies: ['hourly', 'daily', 'weekly', 'monthly'],
  maxRetention: 0,
  maxSchedules: 0,
};

test('within the package: no errors', () => {
  assert.deepEqual(checkPackageLimits({ frequency: 'daily', retention: 7 }, basic, 1), []);
  assert.deepEqual(checkPackageLimits({ frequency: 'weekly', retention: 1 }, basic, 0), []);
});

test('a frequency the package lacks names the ones it has, in their usual order', () => {
  assert.deepEqual(checkPackageLimits({ frequency: 'hourly', retention: 7 }, basic, 0), [
    {
      field: 'frequency',
      limit: 'frequencies',
      code: 'package.frequency_not_included',
      params: { frequency: 'hourly', available: 'daily, weekly' },
      message: 'Your package does not include hourly backups; available: daily, weekly',
    },
  ]);
});

test('retention beyond the package names the maximum', () => {
  assert.deepEqual(checkPackageLimits({ frequency: 'daily', retention: 8 }, basic, 0), [
    {
      field: 'retention',
      limit: 'maxRetention',
      code: 'package.retention_limit',
      params: { max: 7 },
      message: 'Your package allows at most 7 snapshots per schedule',
    },
  ]);
  assert.equal(
    checkPackageLimits({ frequency: 'daily', retention: 2 }, { ...basic, maxRetention: 1 }, 0)[0]
      ?.message,
    'Your package allows at most 1 snapshot per schedule',
  );
});

test('one schedule too many names the maximum, on create only', () => {
  const expected = [
    {
      field: 'schedules',
      limit: 'maxSchedules',
      code: 'package.schedule_limit',
      params: { max: 2 },
      message: 'Your package allows at most 2 schedules',
    },
  ];
  assert.deepEqual(checkPackageLimits({ frequency: 'daily', retention: 7 }, basic, 2), expected);
  assert.deepEqual(checkPackageLimits({ frequency: 'daily', retention: 7 }, basic, 5), expected);
  assert.deepEqual(
    checkPackageLimits({ frequency: 'daily', retention: 7 }, basic, 2, 'update'),
    [],
  );
  assert.equal(
    checkPackageLimits({ frequency: 'daily', retention: 7 }, { ...basic, maxSchedules: 1 }, 1)[0]
      ?.message,
    'Your package allows at most 1 schedule',
  );
});

test('every limit broken at once is reported at once', () => {
  assert.deepEqual(
    checkPackageLimits({ frequency: 'monthly', retention: 30 }, basic, 2).map((e) => e.field),
    ['frequency', 'retention', 'schedules'],
  );
});

test('0 means unlimited for retention and schedules', () => {
  assert.deepEqual(
    checkPackageLimits({ frequency: 'hourly', retention: 10_000 }, unlimited, 999),
    [],
  );
});

test('edits must still respect frequencies and retention after a package was reduced', () => {
  assert.deepEqual(
    checkPackageLimits({ frequency: 'hourly', retention: 30 }, basic, 3, 'update').map(
      (e) => e.limit,
    ),
    ['frequencies', 'maxRetention'],
  );
});
