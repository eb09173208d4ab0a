import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { expectEngineError, processesMentioning } from '../../test/support/expect.js';
import { roundTrip } from '../../test/support/roundtrip.js';
import { EngineError, Restic, classify, type RepositoryLocation } from './index.js';
import { randomBytes } from 'node:crypto';

let work: string;
let restic: Restic;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-engine-'));
  restic = await Restic.detect({ cacheDir: join(work, 'cache') });
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

function repoAt(name: string): RepositoryLocation {
  return { url: join(work, name), password: `pw-${randomBytes(16).toString('hex')}` };
}

describe('engine on a local directory', () => {
  test('round trip: init, backup, restore byte for byte, unchanged re-run, forget, prune, check', async () => {
    await roundTrip(restic, repoAt('roundtrip'));
  });

  test('a wrong password is its own error, in words a customer understands', async () => {
    const repo = repoAt('wrongpw');
    await restic.init(repo);
    const error = await restic
      .snapshots({ ...repo, password: 'not-the-password' })
      .catch((e: unknown) => e);
    assert.ok(error instanceof EngineError);
    assert.equal(error.kind, 'wrong-password');
    assert.match(error.message, /key does not match/);
    assert.doesNotMatch(error.message, /exit status|goroutine/);
  });

  test('no repository at the location', async () => {
    const error = await restic.snapshots(repoAt('missing')).catch((e: unknown) => e);
    assert.ok(error instanceof EngineError);
    assert.equal(error.kind, 'no-repository');
  });

  test('no repository, locked, wrong password: by exit code (10-12) on 0.17+, by stderr on 0.14', async () => {
    const repo = repoAt('codes');
    await restic.init(repo);
    const failure = async (run: () => Promise<unknown>): Promise<EngineError> => {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof EngineError, String(error));
      return error;
    };
    // A backup from stdin holds its shared lock for as long as stdin stays open.
    const holder = spawn(
      'restic',
      ['-r', repo.url, '--cache-dir', join(work, 'cache'), 'backup', '--stdin'],
      {
        env: { PATH: process.env.PATH, RESTIC_PASSWORD: repo.password },
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    try {
      while (!(await readdir(join(repo.url, 'locks'))).some((n) => /^[0-9a-f]{64}$/.test(n)))
        await sleep(20);
      const seen = [
        await failure(() => restic.snapshots(repoAt('codes-missing'))),
        await failure(() => restic.prune(repo)),
        await failure(() => restic.snapshots({ ...repo, password: 'not-the-password' })),
      ];
      assert.deepEqual(
        seen.map((e) => e.kind),
        ['no-repository', 'locked', 'wrong-password'],
      );
      const codes = seen.map((e) => e.exitCode);
      if (restic.features.exitCodes) {
        assert.deepEqual(codes, [10, 11, 12]);
        // restic's words aside, the code alone gives the same answer.
        for (const e of seen)
          assert.equal(classify(e.exitCode, [], [], restic.features).kind, e.kind);
      } else {
        assert.deepEqual(codes, [1, 1, 1], '0.14 exits 1 for all three: stderr tells them apart');
      }
    } finally {
      holder.stdin.end();
      await once(holder, 'exit');
    }
  });

  test('init on an existing repository says it exists', async () => {
    const repo = repoAt('twice');
    await restic.init(repo);
    const error = await restic.init(repo).catch((e: unknown) => e);
    assert.ok(error instanceof EngineError);
    assert.equal(error.kind, 'already-exists');
  });

  test('cancel ends restic within 5 s, leaves no process and no lock', async () => {
    const repo = repoAt('cancel');
    await restic.init(repo);
    const data = join(work, 'cancel-data');
    await mkdir(data);
    for (let i = 0; i < 40; i++) await writeFile(join(data, `f${i}`), randomBytes(8 * 1024 * 1024));
    const controller = new AbortController();
    let started = 0;
    const running = restic.backup(repo, {
      paths: [data],
      signal: controller.signal,
      onProgress: (p) => {
        if (p.bytesDone > 0 && !started) {
          started = Date.now();
          controller.abort();
        }
      },
    });
    const error = await running.catch((e: unknown) => e);
    const took = Date.now() - started;
    assert.ok(error instanceof EngineError, String(error));
    assert.equal(error.kind, 'canceled');
    assert.ok(started > 0, 'the backup was running when canceled');
    assert.ok(took < 5000, `canceled in ${took} ms`);
    assert.deepEqual(processesMentioning(repo.url), []);
    assert.deepEqual(await readdir(join(repo.url, 'locks')), []);
    assert.deepEqual(await restic.snapshots(repo), [], 'a canceled backup saves no snapshot');
  });

  test('a lock left by a killed restic: reported as locked, removed by unlock', async () => {
    const repo = repoAt('locks');
    await restic.init(repo);
    const data = join(work, 'lock-data');
    await mkdir(data, { recursive: true });
    for (let i = 0; i < 20; i++) await writeFile(join(data, `f${i}`), randomBytes(4 * 1024 * 1024));
    // A raw restic, killed with SIGKILL while it holds its lock, as a crash would leave it.
    const crashed = spawn(
      'restic',
      ['-r', repo.url, '--cache-dir', join(work, 'cache'), 'backup', data],
      {
        env: { PATH: process.env.PATH, RESTIC_PASSWORD: repo.password },
        stdio: 'ignore',
      },
    );
    // restic writes a lock under a temporary name first: wait for the real one.
    while (!(await readdir(join(repo.url, 'locks'))).some((n) => /^[0-9a-f]{64}$/.test(n)))
      await sleep(20);
    crashed.kill('SIGKILL');
    await once(crashed, 'exit');
    assert.equal((await restic.locks(repo)).length, 1);

    const error = await restic.prune(repo).catch((e: unknown) => e);
    assert.ok(error instanceof EngineError, String(error));
    assert.equal(error.kind, 'locked');
    assert.match(error.message, /in use by another operation/);

    await restic.unlock(repo);
    assert.deepEqual(await restic.locks(repo), []);
    await restic.prune(repo);
  });

  test('unlock leaves the lock of a live restic alone', async () => {
    const repo = repoAt('live-lock');
    await restic.init(repo);
    const controller = new AbortController();
    const data = join(work, 'live-data');
    await mkdir(data, { recursive: true });
    for (let i = 0; i < 30; i++) await writeFile(join(data, `f${i}`), randomBytes(4 * 1024 * 1024));
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    const running = restic
      .backup(repo, { paths: [data], signal: controller.signal, onProgress: () => locked() })
      .catch((e: unknown) => e);
    await holding;
    // Paused, the backup holds its lock for as long as the test needs, however fast the disk.
    const pid = Number(processesMentioning(repo.url)[0]?.trim().split(/\s+/)[0]);
    assert.ok(pid > 0, 'the backup is running');
    process.kill(pid, 'SIGSTOP');
    try {
      await restic.unlock(repo);
      assert.equal((await restic.locks(repo)).length, 1, 'the live lock stays');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    controller.abort();
    assert.equal(((await running) as EngineError).kind, 'canceled');
    assert.deepEqual(await restic.locks(repo), []);
  });
  test('a full local target disk is its own error, and the repository still checks clean', async () => {
    const mount = await mkdtemp(join(tmpdir(), 'hv-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mount]);
    try {
      const repo = { url: join(mount, 'repo'), password: 'pw-full-disk-123' };
      await restic.init(repo);
      const small = join(work, 'small-data');
      await mkdir(small, { recursive: true });
      await writeFile(join(small, 'a'), randomBytes(1024 * 1024));
      await restic.backup(repo, { paths: [small] });
      const big = join(work, 'big-data');
      await mkdir(big, { recursive: true });
      for (let i = 0; i < 8; i++) await writeFile(join(big, `f${i}`), randomBytes(8 * 1024 * 1024));
      const error = await expectEngineError(
        () => restic.backup(repo, { paths: [big] }),
        'no-space',
        {
          maxMs: 60_000,
          url: repo.url,
          message: /no space left/,
        },
      );
      assert.doesNotMatch(error.message, /Fatal|goroutine/);
      await restic.unlock(repo);
      assert.equal((await restic.snapshots(repo)).length, 1, 'the earlier snapshot is still there');
      await restic.check(repo);
    } finally {
      execFileSync('umount', ['-l', mount]);
      await rm(mount, { recursive: true, force: true });
    }
  });
  test('keys: add a second key, open with it, remove the first; stats and diff', async () => {
    const repo = repoAt('keys');
    await restic.init(repo);
    const second = `second-${randomBytes(16).toString('hex')}`;
    await restic.keyAdd(repo, second);
    const keys = await restic.keyList({ ...repo, password: second });
    assert.equal(keys.length, 2);
    const first = keys.find((k) => !k.current);
    assert.ok(first);
    await restic.keyRemove({ ...repo, password: second }, first.id);
    assert.equal((await restic.keyList({ ...repo, password: second })).length, 1);
    await expectEngineError(() => restic.snapshots(repo), 'wrong-password', {
      maxMs: 30_000,
      url: repo.url,
    });

    const data = join(work, 'diff-data');
    await mkdir(data, { recursive: true });
    await writeFile(join(data, 'a.txt'), 'one');
    const a = await restic.backup({ ...repo, password: second }, { paths: [data] });
    await writeFile(join(data, 'b.txt'), 'two');
    const b = await restic.backup({ ...repo, password: second }, { paths: [data] });
    const changes = await restic.diff(
      { ...repo, password: second },
      a.summary.snapshotId,
      b.summary.snapshotId,
    );
    assert.ok(
      changes.changes.some((c) => c.path.endsWith('/b.txt') && c.modifier === '+'),
      JSON.stringify(changes),
    );
    const stats = await restic.stats(
      { ...repo, password: second },
      { snapshotId: b.summary.snapshotId },
    );
    assert.equal(stats.totalSize, 6);
  });
});
