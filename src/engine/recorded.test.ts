/**
 * The engine's parsing and classification on real restic 0.14 output, played back from
 * test/fixtures/restic-0.14 by a stand-in binary: the whole path from process to typed result,
 * without a repository.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import {
  EngineError,
  PartialBackupError,
  Restic,
  parseVersion,
  type EngineErrorKind,
  type RepositoryLocation,
} from './index.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/restic-0.14/', import.meta.url));
const restic = Restic.forVersion(parseVersion('restic 0.14.0'), {
  binary: fileURLToPath(new URL('../../test/fixtures/fake-restic.sh', import.meta.url)),
});

function recording(name: string): RepositoryLocation {
  return {
    url: '/unused',
    password: 'fixture-password',
    env: { HV_FIXTURE: `${FIXTURES}${name}` },
  };
}

describe('parsing recorded restic 0.14 output', () => {
  test('backup --json: progress events and the summary', async () => {
    const progress: number[] = [];
    const result = await restic.backup(recording('backup-json'), {
      paths: ['/x'],
      onProgress: (p) => progress.push(p.percentDone),
    });
    assert.ok(progress.length > 1, `${progress.length} progress events`);
    assert.ok(progress.every((p) => p >= 0 && p <= 1));
    assert.match(result.summary.snapshotId, /^[0-9a-f]{8}$/);
    assert.ok(result.summary.filesNew > 2000);
    assert.ok(result.summary.totalBytesProcessed > 80_000_000);
  });

  test('exit 3: a partial backup with the list of unreadable files', async () => {
    const error = await restic
      .backup(recording('backup-json-unreadable'), { paths: ['/x'] })
      .catch((e: unknown) => e);
    assert.ok(error instanceof PartialBackupError, String(error));
    assert.deepEqual(error.unreadable, ['/tmp/hv-rec/data/www/public_html/config.secret.php']);
    assert.match(error.summary.snapshotId, /^[0-9a-f]{8}$/);
    assert.match(error.message, /1 file could not be read/);
  });

  test('a backup without a summary line is a failure', async () => {
    const error = await restic
      .backup(recording('disk-full-backup-json'), { paths: ['/x'] })
      .catch((e: unknown) => e);
    assert.ok(error instanceof EngineError);
    assert.equal(error.kind, 'no-space');
  });

  test('snapshots, ls, forget, stats, diff, key list', async () => {
    const snapshots = await restic.snapshots(recording('snapshots-json'));
    assert.ok(snapshots.length >= 1);
    assert.match(snapshots[0]!.id, /^[0-9a-f]{64}$/);
    assert.equal(snapshots[0]!.hostname, 'vm');

    const nodes: string[] = [];
    await restic.ls(recording('ls-json'), 'latest', {
      onNode: (n) => nodes.push(`${n.type}:${n.path}`),
    });
    assert.ok(nodes.length > 2000, `${nodes.length} nodes`);
    assert.ok(nodes.some((n) => n.startsWith('file:/tmp/hv-rec/data/www/public_html/uploads/')));

    const forgotten = await restic.forget(recording('forget-json'), {
      tags: ['schedule=1'],
      keepLast: 2,
    });
    assert.equal(forgotten.kept.length, 2);
    assert.equal(forgotten.removed.length, 4);
    assert.match(forgotten.removed[0]!, /^[0-9a-f]{64}$/);
    const none = await restic.forget(recording('forget-json-tag'), {
      tags: ['nosuchtag'],
      keepLast: 1,
    });
    assert.deepEqual(
      none,
      { kept: [], removed: [] },
      'no snapshot carries the tag: nothing removed',
    );

    const stats = await restic.stats(recording('stats-json'));
    assert.ok(stats.totalSize > 0 && stats.totalFileCount > 0);

    const diff = await restic.diff(recording('diff-json'), 'a', 'b');
    assert.ok(diff.changes.length > 0);

    const keys = await restic.keyList(recording('key-list-json'));
    assert.equal(keys.filter((k) => k.current).length, 1);
  });

  const cases: [string, EngineErrorKind][] = [
    ['wrong-password', 'wrong-password'],
    ['no-repository', 'no-repository'],
    ['init-existing', 'already-exists'],
    ['locked-prune', 'locked'],
    ['locked-backup', 'locked'],
    ['s3-wrong-secret', 'auth-refused'],
    ['s3-wrong-access-key', 'auth-refused'],
    ['s3-bucket-missing', 'bucket-missing'],
    ['s3-server-down', 'unreachable'],
    ['s3-no-cacert', 'unreachable'],
    ['ftp-wrong-password', 'auth-refused'],
    ['ftp-server-down', 'unreachable'],
    ['disk-full-backup', 'no-space'],
    ['disk-full-init', 'no-space'],
  ];
  for (const [name, kind] of cases) {
    test(`${name} is classified as ${kind}, in words without Go internals`, async () => {
      const error = await restic.snapshots(recording(name)).catch((e: unknown) => e);
      assert.ok(error instanceof EngineError, String(error));
      assert.equal(error.kind, kind, error.detail);
      assert.doesNotMatch(error.message, /exit status|goroutine|Fatal:|\.go:\d+/);
      assert.ok(error.detail.length > 0, "restic's own words are kept for the log");
      assert.ok(!error.detail.includes('fixture-password'));
    });
  }
});
