import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { JobRecord } from './job-record.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hv-job-record-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('a job recorded as running is still running after a restart, and its outcome is kept', async () => {
  const file = join(dir, 'jobs.json');
  const first = await JobRecord.open(file);
  await first.begin('backup-7-alice', 'backup', 7);
  await first.begin('restore-8', 'restore', 8);
  await first.finish('restore-8', 'restore', { type: 'answer', answer: { safetySnapshots: [] } });

  const reopened = await JobRecord.open(file);
  assert.deepEqual(
    reopened.running().map((e) => [e.id, e.jobId]),
    [['backup-7-alice', 7]],
  );
  assert.deepEqual(reopened.get('restore-8')?.outcome, {
    type: 'answer',
    answer: { safetySnapshots: [] },
  });
  assert.equal(reopened.get('maintain-9-check'), undefined);
  // Nothing of a request is kept: the record holds no secrets.
  assert.doesNotMatch(await readFile(file, 'utf8'), /password|repository/);
});

test('a job canceled before it arrived is recorded with its outcome', async () => {
  const record = await JobRecord.open(join(dir, 'canceled.json'));
  await record.finish('backup-3-bob', 'unknown', {
    type: 'failure',
    failure: { code: 'canceled', message: 'The job was canceled before it started.' },
  });
  const entry = (await JobRecord.open(join(dir, 'canceled.json'))).get('backup-3-bob');
  assert.equal(entry?.state, 'done');
  assert.equal(entry?.outcome?.type, 'failure');
});

test('a damaged record is refused with its name, not read as empty', async () => {
  const file = join(dir, 'damaged.json');
  await writeFile(file, '{"version":1,"jobs":[{"id":"x y"}]}');
  await assert.rejects(JobRecord.open(file), (e: Error) => {
    assert.match(e.message, /job record .*damaged\.json is damaged/);
    assert.match(e.message, /move it aside/);
    return true;
  });
});
