import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StoredValueError } from '../store/index.js';
import { jobProgress, maintenanceParams, restoreJobParams } from './job-params.js';

const damaged = (id: number, column: string) => (error: unknown) =>
  error instanceof StoredValueError && error.row === `job ${id}` && error.column === column;

describe('job rows: stored JSON', () => {
  test('restore params decode, the request with its defaults', () => {
    const params = restoreJobParams({
      id: 7,
      params: JSON.stringify({
        repositoryId: 2,
        snapshotId: 'abcd1234',
        request: { what: 'file', path: '/home/bob/www/index.php' },
        snapshotTime: '2026-11-27T02:00:00.000Z',
      }),
    });
    assert.equal(params.repositoryId, 2);
    assert.equal(params.snapshotId, 'abcd1234');
    assert.equal(params.request.what, 'file');
    assert.equal(params.request.path, '/home/bob/www/index.php');
    assert.equal(params.snapshotTime, '2026-11-27T02:00:00.000Z');
    assert.equal(params.undoes, undefined);
  });

  test('damaged restore params name the job', () => {
    for (const params of [
      null,
      '{"repositoryId":2',
      '{"repositoryId":"2","snapshotId":"abcd1234","request":{"what":"web"}}',
      '{"repositoryId":2,"snapshotId":"abcd1234","request":{"what":"videos"}}',
    ]) {
      assert.throws(() => restoreJobParams({ id: 7, params }), damaged(7, 'params'), params ?? '');
    }
    assert.throws(() => restoreJobParams({ id: 7, params: '{"repositoryId":2' }), {
      message: 'The stored params of job 7 is damaged (not valid JSON).',
    });
  });

  test('maintenance params decode', () => {
    const stored = { task: 'prune', scheduleId: 4, owner: 'server', url: 's3:http://x/b/server' };
    assert.deepEqual(maintenanceParams({ id: 9, params: JSON.stringify(stored) }), stored);
  });

  test('damaged maintenance params name the job', () => {
    for (const params of [
      null,
      'prune',
      '{"task":"vacuum","scheduleId":4,"owner":"server","url":"x"}',
      '{"task":"check","owner":"server","url":"x"}',
    ]) {
      assert.throws(() => maintenanceParams({ id: 9, params }), damaged(9, 'params'), params ?? '');
    }
  });

  test('progress decodes; a job without any has none', () => {
    const progress = { percent: 50, bytesDone: 5, bytesTotal: 10, filesDone: 1, filesTotal: 2 };
    assert.deepEqual(jobProgress({ id: 3, progress: JSON.stringify(progress) }), progress);
    assert.equal(jobProgress({ id: 3, progress: null }), undefined);
  });

  test('damaged progress names the job', () => {
    for (const progress of ['{"percent":50', '{"percent":"50%"}', '[]']) {
      assert.throws(() => jobProgress({ id: 3, progress }), damaged(3, 'progress'), progress);
    }
  });
});
