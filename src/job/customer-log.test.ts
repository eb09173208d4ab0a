/**
 * The customer's log is read from the raw log by an allow-list: each recognised line becomes a
 * step with its full time, every other line (restic's, staging folders, swap timings, server
 * paths) is left to the provider.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { customerLog, customerLogText } from './customer-log.js';

const backup = {
  id: 7,
  type: 'backup' as const,
  status: 'successful' as const,
  error: null,
  params: null,
  created_at: '2026-12-04T23:59:00.000Z',
  started_at: '2026-12-04T23:59:58.000Z',
  stats: JSON.stringify([
    {
      filesNew: 2,
      filesChanged: 1,
      filesUnmodified: 40,
      totalFilesProcessed: 43,
      totalBytesProcessed: 85_300_000,
      dataAdded: 1_200_000,
      totalDuration: 3.04,
    },
  ]),
  log: [
    '23:59:58 Backup started',
    '23:59:59 Dumping 1 database(s): shop',
    '23:59:59 shop: dumped 1.2 MiB in 40 ms',
    '00:00:01 Parent snapshot 1a2b3c4d: unchanged files are not read again',
    '00:00:02 open repository',
    '00:00:04 Files: 2 new, 1 changed, 40 unmodified; data added 1.1 MiB, processed 43 files (81.3 MiB) in 3.0 s; snapshot 0123abcd',
    '00:00:05 Retention: forgot 1 snapshot(s) beyond 7',
    '00:00:05 Backup finished successfully',
    '',
  ].join('\n'),
};

test('recognised lines become steps with full times, past midnight too; the rest is left out', () => {
  const steps = customerLog(backup);
  assert.deepEqual(
    steps.map((s) => [s.at, s.code]),
    [
      ['2026-12-04T23:59:58.000Z', 'job.started'],
      ['2026-12-04T23:59:59.000Z', 'backup.dumping'],
      ['2026-12-05T00:00:01.000Z', 'backup.parent'],
      ['2026-12-05T00:00:04.000Z', 'backup.summary'],
      ['2026-12-05T00:00:05.000Z', 'backup.retention'],
      ['2026-12-05T00:00:05.000Z', 'job.finished'],
    ],
  );
  assert.deepEqual(steps[3]?.params, {
    filesNew: 2,
    filesChanged: 1,
    filesUnmodified: 40,
    files: 43,
    bytes: 85_300_000,
    added: 1_200_000,
    seconds: 3,
  });
  const text = customerLogText(steps);
  assert.match(
    text,
    /Files: 2 new, 1 changed, 40 unchanged, 43 in all \(85\.3 MB\); 1\.2 MB added/,
  );
  assert.doesNotMatch(text, /MiB|snapshot 0123|open repository|dumped/);
});

test("a file restore names the file under the customer's areas; a failure gives the job's error", () => {
  const steps = customerLog({
    ...backup,
    type: 'restore',
    status: 'failed',
    error: 'The backup storage could not be reached.',
    stats: null,
    params: JSON.stringify({
      repositoryId: 1,
      snapshotId: 'ab'.repeat(32),
      request: { what: 'file', path: '/var/www/carol/public_html/robots.txt' },
      shownPath: 'Web files/robots.txt',
    }),
    log: [
      '10:00:00 Restore started',
      '10:00:00 Restoring /var/www/carol/public_html/robots.txt',
      '10:00:01 staging the restore of /var/www/carol in /var/www/.hostvault-staging-12',
      '10:00:01 restic said: Fatal: unable to open repository',
      '10:00:01 Failed: The backup storage could not be reached.',
    ].join('\n'),
  });
  assert.deepEqual(
    steps.map((s) => [s.code, s.params]),
    [
      ['job.started', { type: 'restore' }],
      ['restore.file', { path: 'Web files/robots.txt' }],
      ['job.failed', { type: 'restore', error: 'The backup storage could not be reached.' }],
    ],
  );
  assert.doesNotMatch(customerLogText(steps), /var\/www|staging|restic/);
});
