import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StoredValueError } from '../store/index.js';
import { snapshotContents, snapshotRoots } from './snapshot-records.js';

const row = { id: 'abcd1234', repository_id: 3 };

describe('snapshot rows: stored JSON', () => {
  test('valid contents and roots decode to typed values', () => {
    assert.deepEqual(snapshotContents({ ...row, contents: '["web","db"]' }), ['web', 'db']);
    assert.deepEqual(snapshotRoots({ ...row, roots: '{"web":["/home/bob/www"],"mail":[]}' }), {
      web: ['/home/bob/www'],
      mail: [],
    });
  });

  test('a row recorded before roots were kept has none', () => {
    assert.deepEqual(snapshotRoots({ ...row, roots: null }), {});
  });

  test('contents that are not JSON name the snapshot and the column', () => {
    assert.throws(
      () => snapshotContents({ ...row, contents: '["web"' }),
      (error: unknown) =>
        error instanceof StoredValueError &&
        error.message ===
          'The stored contents of snapshot abcd1234 of repository 3 is damaged (not valid JSON).',
    );
  });

  test('contents of the wrong shape are refused, with where', () => {
    assert.throws(
      () => snapshotContents({ ...row, contents: '["web","videos"]' }),
      (error: unknown) =>
        error instanceof StoredValueError &&
        error.column === 'contents' &&
        /snapshot abcd1234 of repository 3/.test(error.message) &&
        / at 1\)\.$/.test(error.message),
    );
    assert.throws(() => snapshotContents({ ...row, contents: '"web"' }), StoredValueError);
  });

  test('roots of the wrong shape are refused', () => {
    for (const roots of ['{"web":"/home/bob/www"}', '{"videos":["/x"]}', '[]', 'null', '{']) {
      assert.throws(
        () => snapshotRoots({ ...row, roots }),
        (error: unknown) =>
          error instanceof StoredValueError &&
          error.column === 'roots' &&
          error.row === 'snapshot abcd1234 of repository 3',
        roots,
      );
    }
  });
});
