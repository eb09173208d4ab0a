/**
 * A weekly or monthly schedule's day is UTC's day, like its hour (web/src/lib/schedule.ts): the
 * Schedules tab says so, and where the viewer's zone differs it adds the same moment in the
 * viewer's day and time, also when that falls on another day.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeWhen } from '../../web/src/lib/schedule.js';
import { setLanguage } from '../../web/src/messages/index.js';

// Before any date is formatted (the imports format none): the page's formatters keep the zone
// they were made in.
process.env.TZ = 'America/New_York';

const saturday = new Date('2026-12-05T12:00:00Z');

test('weekly and monthly name UTC and, in New York, the day before in local time', () => {
  setLanguage('en');
  assert.equal(
    describeWhen({ frequency: 'weekly', hour: 2, day: 1, startMinute: 17 }, saturday),
    'Mondays at 2:17 AM UTC (for you: Sundays at 9:17 PM EST)',
  );
  assert.equal(
    describeWhen({ frequency: 'monthly', hour: 0, day: 1, startMinute: 30 }, saturday),
    'Monthly on day 1 at 12:30 AM UTC (for you: the day before, at 7:30 PM EST)',
  );
  assert.equal(
    describeWhen({ frequency: 'monthly', hour: 14, day: 15, startMinute: 5 }, saturday),
    'Monthly on day 15 at 2:05 PM UTC (for you: day 15 at 9:05 AM EST)',
  );
  setLanguage('de');
  assert.equal(
    describeWhen({ frequency: 'weekly', hour: 2, day: 1, startMinute: 17 }, saturday),
    'Montags um 02:17 UTC (für Sie: sonntags um 21:17 GMT-5)',
  );
  setLanguage('en');
});

test('a viewer in UTC reads the UTC text alone', () => {
  process.env.TZ = 'UTC';
  assert.equal(
    describeWhen({ frequency: 'weekly', hour: 2, day: 1, startMinute: 17 }, saturday),
    'Mondays at 2:17 AM UTC',
  );
  process.env.TZ = 'America/New_York';
});
