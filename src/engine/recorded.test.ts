/**
 * The engine's parsing and classification on real restic output, played back from
 * test/fixtures/restic-<version> by a stand-in binary: the whole path from process to typed result,
 * without a repository, for Debian 12's restic 0.14 and Debian 13's 0.18.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import {
  EngineError,
  PartialBackupError,
  Restic,
  classify,
  parseVersion,
  type EngineErrorKind,
  type RepositoryLocation,
  type ResticRestoreProgress,
} from './index.js';

const FAKE = fileURLToPath(new URL('../../test/fixtures/fake-restic.sh', import.meta.url));

/** What differs between the versions' recordings. */
const VERSIONS = [
  { dir: 'restic-0.14', snapshotId: /^[0-9a-f]{8}$/, restoreProgress: false, exitCodes: false },
  { dir: 'restic-0.18', snapshotId: /^[0-9a-f]{64}$/, restoreProgress: true, exitCodes: true },
];

const ERROR_CASES: [string, EngineErrorKind][] = [
  ['wrong-password', 'wrong-password'],
  ['no-repository', 'no-repository'],
  ['init-existing', 'already-exists'],
  ['locked-prune', 'locked'],
  ['locked-backup', 'locked'],
  ['locked-snapshots', 'locked'],
  ['s3-wrong-secret', 'auth-refused'],
  ['s3-wrong-access-key', 'auth-refused'],
  ['s3-bucket-missing', 'bucket-missing'],
  ['s3-no-repository', 'no-repository'],
  ['s3-server-down', 'unreachable'],
  ['s3-no-cacert', 'unreachable'],
  ['ftp-wrong-password', 'auth-refused'],
  ['ftp-no-repository', 'no-repository'],
  ['ftp-server-down', 'unreachable'],
  ['disk-full-backup', 'no-space'],
  ['disk-full-init', 'no-space'],
];

for (const expected of VERSIONS) {
  const fixtures = fileURLToPath(new URL(`../../test/fixtures/${expected.dir}/`, import.meta.url));
  const read = (name: string): string => readFileSync(`${fixtures}${name}`, 'utf8');
  const version = parseVersion(read('version.stdout'));
  const restic = Restic.forVersion(version, { binary: FAKE });
  const recording = (name: string): RepositoryLocation => ({
    url: '/unused',
    password: 'fixture-password',
    env: { HV_FIXTURE: `${fixtures}${name}` },
  });

  describe(`parsing recorded ${version.text} output`, () => {
    test('backup --json: progress events and the summary', async () => {
      const progress: number[] = [];
      const result = await restic.backup(recording('backup-json'), {
        paths: ['/x'],
        onProgress: (p) => progress.push(p.percentDone),
      });
      assert.ok(progress.length > 1, `${progress.length} progress events`);
      assert.ok(progress.every((p) => p >= 0 && p <= 1));
      assert.match(result.summary.snapshotId, expected.snapshotId);
      assert.ok(result.summary.filesNew > 2000);
      assert.ok(result.summary.totalBytesProcessed > 80_000_000);
    });

    test('exit 3: a partial backup with the list of unreadable files', async () => {
      const logs: string[] = [];
      const error = await restic
        .backup(recording('backup-json-unreadable'), { paths: ['/x'], onLog: (l) => logs.push(l) })
        .catch((e: unknown) => e);
      assert.ok(error instanceof PartialBackupError, String(error));
      assert.deepEqual(error.unreadable, ['/tmp/hv-rec/data/www/public_html/config.secret.php']);
      assert.match(error.summary.snapshotId, expected.snapshotId);
      assert.match(error.message, /1 file could not be read/);
      assert.ok(
        logs.some((l) => /^error: .*config\.secret\.php: /.test(l)),
        `the log names the file in words: ${logs.join('\n')}`,
      );
      assert.ok(!logs.some((l) => l.startsWith('{')), 'no raw JSON in the log');
    });

    test(`restore --dry-run: ${expected.restoreProgress ? 'item by item' : 'refused before restic runs (0.14 has none)'}`, async () => {
      const items: string[] = [];
      const run = restic.restoreDryRun(recording('restore-dry-run-json'), 'latest', {
        folder: '/tmp/hv-rec-dry/data/www/public_html',
        target: '/unused',
        delete: true,
        onItem: (i) => items.push(`${i.action} ${i.item} ${i.size}`),
      });
      if (!restic.features.restoreDryRun) {
        await assert.rejects(run, /has no restore --dry-run/);
        return;
      }
      await run;
      assert.deepEqual(items, [
        'updated /index.php 26',
        'unchanged /lib/pkg/__init__.py 10',
        'unchanged /lib/pkg/mod.py 6',
        'restored /uploads/new.bin 100000',
        'unchanged /uploads/upload-0.bin 5000',
        'restored /lib/pkg 0',
        'restored /lib 0',
        'restored /uploads 0',
        'deleted /tmp/hv-rec-dry/restore2/tmp/hv-rec-dry/data/www/public_html/added.txt 0',
      ]);
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

    test(`restore progress: ${expected.restoreProgress ? "restic's own" : 'none from restic (the restore code measures it)'}`, async () => {
      assert.equal(restic.features.restoreProgress, expected.restoreProgress);
      const progress: ResticRestoreProgress[] = [];
      await restic.restore(recording('restore-json'), 'latest', {
        target: '/unused',
        onProgress: (p) => progress.push(p),
      });
      if (!expected.restoreProgress) {
        assert.deepEqual(progress, [], '0.14 reports nothing: the staging directory is polled');
        return;
      }
      assert.ok(progress.length >= 2, `${progress.length} progress events`);
      const last = progress.at(-1)!;
      assert.equal(last.percentDone, 1);
      assert.equal(last.bytesRestored, last.totalBytes);
      assert.ok(last.totalBytes > 80_000_000, `${last.totalBytes} bytes`);
      assert.equal(last.filesRestored, last.totalFiles);
      assert.ok(last.totalFiles > 2900, `${last.totalFiles} files`);
      assert.equal(last.secondsRemaining, 0);
      for (const p of progress) {
        assert.ok(p.percentDone >= 0 && p.percentDone <= 1, String(p.percentDone));
        assert.ok(p.bytesRestored <= p.totalBytes && p.filesRestored <= p.totalFiles);
      }
    });

    if (expected.restoreProgress)
      test('restore progress: an estimate of the time left, from the pace so far', async () => {
        const progress: ResticRestoreProgress[] = [];
        await restic.restore(recording('restore-json-throttled'), 'latest', {
          target: '/unused',
          onProgress: (p) => progress.push(p),
        });
        const estimated = progress.filter((p) => p.secondsRemaining !== undefined);
        const running = estimated.filter((p) => p.percentDone < 1);
        assert.ok(running.length > 0, 'estimates while the restore runs');
        assert.ok(
          progress
            .filter((p) => p.secondsElapsed < 1)
            .every((p) => p.secondsRemaining === undefined),
          'no estimate in the first second',
        );
        // The restore took 2-3 s (restic's summary says 2, in whole seconds), so elapsed plus
        // left stays within a few seconds of that, and the estimate shrinks as it goes.
        for (const p of running) {
          const total = p.secondsElapsed + p.secondsRemaining!;
          assert.ok(
            total >= 1 && total <= 9,
            `elapsed ${p.secondsElapsed} + left ${p.secondsRemaining}`,
          );
        }
        assert.ok(running.at(-1)!.secondsRemaining! <= running[0]!.secondsRemaining!);
      });

    test('a restore into a full disk: no space, the files named in words in the log', async () => {
      const logs: string[] = [];
      const error = await restic
        .restore(recording('restore-json-no-space'), 'latest', {
          target: '/unused',
          onLog: (l) => logs.push(l),
        })
        .catch((e: unknown) => e);
      assert.ok(error instanceof EngineError, String(error));
      assert.equal(error.kind, 'no-space');
      assert.doesNotMatch(error.detail, /message_type/, 'the detail is text, not JSON');
      assert.ok(
        logs.some((l) => /no space left on device/.test(l)),
        `the log says why: ${logs.slice(0, 3).join('\n')}`,
      );
      assert.ok(!logs.some((l) => l.startsWith('{')), 'no raw JSON in the log');
    });

    for (const [name, kind] of ERROR_CASES) {
      test(`${name} is classified as ${kind}, in words without Go internals`, async () => {
        const error = await restic.snapshots(recording(name)).catch((e: unknown) => e);
        assert.ok(error instanceof EngineError, String(error));
        assert.equal(error.kind, kind, error.detail);
        assert.doesNotMatch(error.message, /exit status|goroutine|Fatal:|\.go:\d+|message_type/);
        assert.ok(error.detail.length > 0, "restic's own words are kept for the log");
        assert.doesNotMatch(error.detail, /message_type/, 'the detail is text, not JSON');
        assert.ok(!error.detail.includes('fixture-password'));
      });
    }

    test(
      expected.exitCodes
        ? 'exit codes 10-12 name the cause on their own'
        : 'exit codes say nothing: the cause is read from stderr',
      () => {
        const byCode: [string, number, EngineErrorKind][] = [
          ['no-repository', 10, 'no-repository'],
          ['locked-prune', 11, 'locked'],
          ['wrong-password', 12, 'wrong-password'],
        ];
        for (const [name, code, kind] of byCode) {
          const exit = Number(read(`${name}.exit`));
          assert.equal(exit, expected.exitCodes ? code : 1, name);
          // Without restic's words, only the code is left to go by; an engine driving 0.14 does
          // not trust codes it cannot get.
          assert.equal(
            classify(exit, [], [], restic.features).kind,
            expected.exitCodes ? kind : 'failed',
            name,
          );
          assert.equal(
            classify(code, [], [], restic.features).kind,
            expected.exitCodes ? kind : 'failed',
            name,
          );
        }
      },
    );
  });
}
