import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  INTERVAL_MS,
  isOverdue,
  nextRun,
  scheduleStartMinute,
  START_MINUTES,
  startMinute,
  type Timing,
} from './next-run.js';

const at = (iso: string): Date => new Date(iso);
const next = (timing: Timing, after: string): string => nextRun(timing, at(after)).toISOString();

describe('hourly', () => {
  test('runs at minute 0 of the next hour, whatever hour and day say', () => {
    assert.equal(
      next({ frequency: 'hourly', hour: 2 }, '2025-03-10T10:17:00Z'),
      '2025-03-10T11:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'hourly', hour: 23, day: 5 }, '2025-03-10T10:59:59.999Z'),
      '2025-03-10T11:00:00.000Z',
    );
  });

  test('is strictly after: exactly on the hour gives the next hour', () => {
    assert.equal(
      next({ frequency: 'hourly', hour: 0 }, '2025-03-10T10:00:00.000Z'),
      '2025-03-10T11:00:00.000Z',
    );
  });

  test('crosses midnight and the year', () => {
    assert.equal(
      next({ frequency: 'hourly', hour: 0 }, '2025-12-31T23:30:00Z'),
      '2026-01-01T00:00:00.000Z',
    );
  });
});

describe('daily', () => {
  test('later today when the hour is still ahead', () => {
    assert.equal(
      next({ frequency: 'daily', hour: 2 }, '2025-03-10T01:59:59Z'),
      '2025-03-10T02:00:00.000Z',
    );
  });

  test('tomorrow when the hour has passed or is now', () => {
    assert.equal(
      next({ frequency: 'daily', hour: 2 }, '2025-03-10T02:00:00.000Z'),
      '2025-03-11T02:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'daily', hour: 2 }, '2025-03-10T02:00:00.001Z'),
      '2025-03-11T02:00:00.000Z',
    );
  });

  test('hour 23 after 23:00 moves to the next day, month and year', () => {
    assert.equal(
      next({ frequency: 'daily', hour: 23 }, '2025-03-10T23:00:00Z'),
      '2025-03-11T23:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'daily', hour: 23 }, '2025-04-30T23:10:00Z'),
      '2025-05-01T23:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'daily', hour: 23 }, '2025-12-31T23:10:00Z'),
      '2026-01-01T23:00:00.000Z',
    );
  });

  test('hour 0 runs at midnight UTC', () => {
    assert.equal(
      next({ frequency: 'daily', hour: 0 }, '2025-03-10T00:00:00Z'),
      '2025-03-11T00:00:00.000Z',
    );
  });

  test('day is ignored', () => {
    assert.equal(
      next({ frequency: 'daily', hour: 2, day: 17 }, '2025-03-10T05:00:00Z'),
      '2025-03-11T02:00:00.000Z',
    );
  });

  test('UTC: daylight saving changes move nothing, whatever the server time zone', () => {
    const savedTz = process.env.TZ;
    try {
      for (const tz of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe']) {
        process.env.TZ = tz; // Node applies a changed TZ at once
        // Europe springs forward 2025-03-30 and falls back 2025-10-26; the US springs forward
        // 2025-03-09. Daily runs stay 24 h apart at 02:00 UTC across each change.
        for (const start of [
          '2025-03-08T12:00:00Z',
          '2025-03-29T12:00:00Z',
          '2025-10-25T12:00:00Z',
        ]) {
          const first = nextRun({ frequency: 'daily', hour: 2 }, at(start));
          assert.equal(first.toISOString().slice(11), '02:00:00.000Z');
          const second = nextRun({ frequency: 'daily', hour: 2 }, first);
          assert.equal(second.getTime() - first.getTime(), INTERVAL_MS.daily);
        }
        // Hourly through the night of a change: one hour apart, none skipped or doubled.
        let t = nextRun({ frequency: 'hourly', hour: 0 }, at('2025-03-29T22:30:00Z'));
        for (let i = 0; i < 6; i++) {
          const n = nextRun({ frequency: 'hourly', hour: 0 }, t);
          assert.equal(n.getTime() - t.getTime(), INTERVAL_MS.hourly);
          t = n;
        }
        assert.equal(
          next({ frequency: 'monthly', hour: 0, day: 1 }, '2025-03-15T00:00:00Z'),
          '2025-04-01T00:00:00.000Z',
        );
      }
    } finally {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    }
  });
});

describe('weekly (0 = Sunday … 6 = Saturday)', () => {
  // 2025-03-10 is a Monday.
  test('later this week', () => {
    assert.equal(
      next({ frequency: 'weekly', hour: 2, day: 3 }, '2025-03-10T12:00:00Z'),
      '2025-03-12T02:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'weekly', hour: 2, day: 6 }, '2025-03-10T12:00:00Z'),
      '2025-03-15T02:00:00.000Z',
    );
  });

  test('today when the hour is ahead, a week later when it has passed', () => {
    assert.equal(
      next({ frequency: 'weekly', hour: 14, day: 1 }, '2025-03-10T12:00:00Z'),
      '2025-03-10T14:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'weekly', hour: 2, day: 1 }, '2025-03-10T12:00:00Z'),
      '2025-03-17T02:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'weekly', hour: 2, day: 1 }, '2025-03-10T02:00:00Z'),
      '2025-03-17T02:00:00.000Z',
    );
  });

  test('an earlier weekday falls in next week', () => {
    assert.equal(
      next({ frequency: 'weekly', hour: 2, day: 0 }, '2025-03-10T12:00:00Z'),
      '2025-03-16T02:00:00.000Z',
    );
  });

  test('across the year boundary', () => {
    // 2025-12-31 is a Wednesday; the next Monday is 2026-01-05, the next Thursday 2026-01-01.
    assert.equal(
      next({ frequency: 'weekly', hour: 2, day: 1 }, '2025-12-31T10:00:00Z'),
      '2026-01-05T02:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'weekly', hour: 23, day: 4 }, '2025-12-31T23:30:00Z'),
      '2026-01-01T23:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'weekly', hour: 2, day: 3 }, '2025-12-31T02:00:00Z'),
      '2026-01-07T02:00:00.000Z',
    );
  });

  test('without a day, Sunday', () => {
    assert.equal(
      next({ frequency: 'weekly', hour: 2 }, '2025-03-10T12:00:00Z'),
      '2025-03-16T02:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'weekly', hour: 2, day: null }, '2025-03-10T12:00:00Z'),
      '2025-03-16T02:00:00.000Z',
    );
  });
});

describe('monthly', () => {
  test('later this month, or the same day next month', () => {
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 15 }, '2025-03-10T12:00:00Z'),
      '2025-03-15T02:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 5 }, '2025-03-10T12:00:00Z'),
      '2025-04-05T02:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 10 }, '2025-03-10T02:00:00Z'),
      '2025-04-10T02:00:00.000Z',
    );
  });

  test('the 31st runs on the last day of shorter months', () => {
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 31 }, '2025-03-31T03:00:00Z'),
      '2025-04-30T02:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 31 }, '2025-04-30T02:00:00Z'),
      '2025-05-31T02:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 31 }, '2025-06-15T00:00:00Z'),
      '2025-06-30T02:00:00.000Z',
    );
  });

  test('February in a non-leap year: the 29th, 30th and 31st run on the 28th', () => {
    for (const day of [29, 30, 31]) {
      assert.equal(
        next({ frequency: 'monthly', hour: 2, day }, '2025-02-01T00:00:00Z'),
        '2025-02-28T02:00:00.000Z',
      );
      assert.equal(
        next({ frequency: 'monthly', hour: 2, day }, '2025-02-28T02:00:00Z'),
        `2025-03-${day}T02:00:00.000Z`,
      );
    }
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 28 }, '2025-02-01T00:00:00Z'),
      '2025-02-28T02:00:00.000Z',
    );
  });

  test('February in a leap year: the 29th runs on the 29th, the 30th and 31st too', () => {
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 29 }, '2024-02-01T00:00:00Z'),
      '2024-02-29T02:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 31 }, '2024-02-01T00:00:00Z'),
      '2024-02-29T02:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 28 }, '2024-02-28T02:00:00Z'),
      '2024-03-28T02:00:00.000Z',
    );
    // 2100 is not a leap year, 2000 was.
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 29 }, '2100-02-01T00:00:00Z'),
      '2100-02-28T02:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 29 }, '2000-02-01T00:00:00Z'),
      '2000-02-29T02:00:00.000Z',
    );
  });

  test('the last day of the month at 23:00 after it has run moves to next month', () => {
    assert.equal(
      next({ frequency: 'monthly', hour: 23, day: 31 }, '2025-02-28T23:00:00Z'),
      '2025-03-31T23:00:00.000Z',
    );
  });

  test('December rolls into January of the next year', () => {
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 31 }, '2025-12-31T02:00:00Z'),
      '2026-01-31T02:00:00.000Z',
    );
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 1 }, '2025-12-01T03:00:00Z'),
      '2026-01-01T02:00:00.000Z',
    );
  });

  test('a whole year of the 31st: every month, on its last day', () => {
    let t = at('2023-12-31T02:00:00Z');
    const days: number[] = [];
    for (let i = 0; i < 12; i++) {
      t = nextRun({ frequency: 'monthly', hour: 2, day: 31 }, t);
      days.push(t.getUTCDate());
    }
    assert.deepEqual(days, [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);
  });

  test('without a day, the 1st', () => {
    assert.equal(
      next({ frequency: 'monthly', hour: 2 }, '2025-03-10T12:00:00Z'),
      '2025-04-01T02:00:00.000Z',
    );
  });
});

test('rejects timings the schema would not let through', () => {
  const after = at('2025-03-10T12:00:00Z');
  assert.throws(() => nextRun({ frequency: 'daily', hour: 24 }, after), RangeError);
  assert.throws(() => nextRun({ frequency: 'daily', hour: 1.5 }, after), RangeError);
  assert.throws(() => nextRun({ frequency: 'weekly', hour: 2, day: 7 }, after), RangeError);
  assert.throws(() => nextRun({ frequency: 'monthly', hour: 2, day: 0 }, after), RangeError);
  assert.throws(() => nextRun({ frequency: 'monthly', hour: 2, day: 32 }, after), RangeError);
  assert.throws(() => nextRun({ frequency: 'daily', hour: 2 }, new Date(NaN)), RangeError);
});

describe('isOverdue: no success for more than twice the interval', () => {
  const last = at('2025-03-10T02:05:00Z');
  const cases: [Timing['frequency'], number][] = [
    ['hourly', 3_600_000],
    ['daily', 86_400_000],
    ['weekly', 7 * 86_400_000],
    ['monthly', 31 * 86_400_000],
  ];
  for (const [frequency, interval] of cases) {
    test(frequency, () => {
      assert.equal(INTERVAL_MS[frequency], interval);
      const after = (ms: number) => new Date(last.getTime() + ms);
      assert.equal(isOverdue(last, frequency, after(interval)), false);
      assert.equal(isOverdue(last, frequency, after(2 * interval)), false);
      assert.equal(isOverdue(last, frequency, after(2 * interval + 1)), true);
    });
  }

  test('a monthly schedule on the 31st never warns while it keeps succeeding', () => {
    let t = at('2024-01-31T02:00:00Z');
    for (let i = 0; i < 24; i++) {
      const n = nextRun({ frequency: 'monthly', hour: 2, day: 31 }, t);
      // One missed run is fine; the warning needs two.
      const afterOneMiss = nextRun({ frequency: 'monthly', hour: 2, day: 31 }, n);
      assert.equal(isOverdue(t, 'monthly', afterOneMiss), false, t.toISOString());
      t = n;
    }
  });
});

describe('start minute', () => {
  test('shifts every slot by the minute, strictly after, across days and months', () => {
    assert.equal(
      next({ frequency: 'hourly', hour: 0, minute: 17 }, '2025-03-10T10:16:59Z'),
      '2025-03-10T10:17:00.000Z',
    );
    assert.equal(
      next({ frequency: 'hourly', hour: 0, minute: 17 }, '2025-03-10T10:17:00Z'),
      '2025-03-10T11:17:00.000Z',
    );
    assert.equal(
      next({ frequency: 'daily', hour: 2, minute: 59 }, '2025-03-10T02:30:00Z'),
      '2025-03-10T02:59:00.000Z',
    );
    assert.equal(
      next({ frequency: 'daily', hour: 23, minute: 45 }, '2025-12-31T23:45:00Z'),
      '2026-01-01T23:45:00.000Z',
    );
    // Monday 10 March; weekly on Monday at 02:30 was due at 02:30 today.
    assert.equal(
      next({ frequency: 'weekly', hour: 2, day: 1, minute: 30 }, '2025-03-10T02:10:00Z'),
      '2025-03-10T02:30:00.000Z',
    );
    assert.equal(
      next({ frequency: 'monthly', hour: 2, day: 31, minute: 5 }, '2025-04-01T00:00:00Z'),
      '2025-04-30T02:05:00.000Z',
    );
  });

  test('refuses a minute outside 0–59', () => {
    assert.throws(() => nextRun({ frequency: 'daily', hour: 2, minute: 60 }, at('2025-03-10')), {
      message: /minute must be an integer from 0 to 59/,
    });
  });

  test('is stable: the same minute for an id on every server and after every restart', () => {
    // Pinned: a change here moves every customer's backups to another minute.
    assert.deepEqual(
      ['c1', 'c2', 'alice', 'bob'].map((id) => startMinute(id)),
      [10, 14, 18, 10],
    );
    assert.equal(scheduleStartMinute({ id: 5, customerId: 'alice' }), startMinute('alice'));
    // A server-wide schedule of every customer has a minute of its own, from its id.
    assert.equal(
      scheduleStartMinute({ id: 5, customerId: null }),
      startMinute('server-schedule:5'),
    );
  });

  test("100,000 customers' minutes spread near uniformly over the hour", () => {
    const expected = 100_000 / START_MINUTES;
    for (const idOf of [(i: number) => `c${i}`, (i: number) => `customer-${i * 7919}.example`]) {
      const counts = new Array<number>(START_MINUTES).fill(0);
      for (let i = 0; i < 100_000; i++) counts[startMinute(idOf(i))]! += 1;
      // Chi-square with 59 degrees of freedom: 99.6 is its 0.1% tail, so a uniform spread passes.
      const chi2 = counts.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
      assert.ok(chi2 < 99.6, `chi-square ${chi2.toFixed(1)}`);
      // No minute takes more than 10% above its share (1,667): the busiest minute starts ≤ 1,834.
      assert.ok(Math.max(...counts) <= expected * 1.1, `busiest minute ${Math.max(...counts)}`);
      assert.ok(Math.min(...counts) >= expected * 0.9, `quietest minute ${Math.min(...counts)}`);
    }
  });
});
