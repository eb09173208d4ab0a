import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { Restic } from '../engine/index.js';
import { openStore, type Store } from '../store/index.js';
import { targetSchema, type Target } from '../target/schema.js';
import { Keyring, loadOrCreateMasterKey } from './keyring.js';
import { LocalRepositories } from '../agent/local-repositories.js';
import { RepositoryStateError } from '../host/repositories.js';

let work: string;
let restic: Restic;
let store: Store;
let service: LocalRepositories;
let target: Target;
let data: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-reposvc-'));
  restic = await Restic.detect({ cacheDir: join(work, 'cache') });
  store = await openStore({ file: join(work, 'data/store.db') });
  const keyring = new Keyring(await loadOrCreateMasterKey(join(work, 'keys/master.key')));
  service = LocalRepositories.open({ store, keyring, restic, certDir: join(work, 'certs') });
  target = targetSchema.parse({ kind: 'local', path: join(work, 'repos') });
  data = join(work, 'site');
  await mkdir(data);
  await writeFile(join(data, 'index.html'), '<h1>hello</h1>\n');
});
after(async () => {
  await store.close();
  await rm(work, { recursive: true, force: true });
});

describe('repositories per (target, owner)', () => {
  test('created on first use, with a random password that is stored sealed', async () => {
    const snapshotId = await service.withRepository(target, 'c1', async (repo) => {
      assert.equal(repo.url, join(work, 'repos/c1'));
      assert.ok(repo.location.password.length >= 43, '256 bits of randomness');
      return (await restic.backup(repo.location, { paths: [data], tags: ['customer=c1'] })).summary
        .snapshotId;
    });
    // A backup's summary names the snapshot by its short id in 0.14 and by its full id in 0.17+.
    assert.match(snapshotId, /^[0-9a-f]{8}(?:[0-9a-f]{56})?$/);
    const row = await store.db
      .selectFrom('repositories')
      .selectAll()
      .where('url', '=', join(work, 'repos/c1'))
      .executeTakeFirstOrThrow();
    assert.ok(row.initialized_at);
    const { keyFile } = await service.exportKey(target, 'c1');
    assert.ok(!row.password_sealed.includes(keyFile.trim()), 'the password is not stored in clear');
    assert.ok(
      !(await readFile(store.location)).includes(Buffer.from(keyFile.trim())),
      'nor anywhere in the database file',
    );
  });

  test('each owner has its own repository and password', async () => {
    const a = await service.withRepository(target, 'c1', async (repo) => repo.location.password);
    const b = await service.withRepository(target, 'c2', async (repo) => repo.location.password);
    const s = await service.withRepository(target, 'server', async (repo) => repo.url);
    assert.notEqual(a, b);
    assert.equal(s, join(work, 'repos/server'));
    assert.deepEqual((await readdir(join(work, 'repos'))).sort(), ['c1', 'c2', 'server']);
  });

  test('the exported key opens and restores the repository with plain restic', async () => {
    const { url, keyFile } = await service.exportKey(target, 'c1');
    const file = join(work, 'c1.key');
    await writeFile(file, keyFile, { mode: 0o600 });
    const restoreTo = join(work, 'plain-restore');
    execFileSync(
      'restic',
      ['-r', url, '--password-file', file, 'restore', 'latest', '--target', restoreTo],
      {
        env: { PATH: process.env.PATH, HOME: work },
        stdio: 'pipe',
      },
    );
    assert.equal(await readFile(join(restoreTo, data, 'index.html'), 'utf8'), '<h1>hello</h1>\n');
  });

  test('after a reinstall, the repository opens again with its imported key', async () => {
    const { keyFile } = await service.exportKey(target, 'c1');
    const fresh = await openStore({ memory: true });
    const reinstalled = LocalRepositories.open({
      store: fresh,
      keyring: new Keyring(randomBytes(32)),
      restic,
      certDir: join(work, 'certs'),
    });
    // Without the key, the existing repository is recognised as foreign and left untouched.
    const foreign = await reinstalled
      .withRepository(target, 'c1', async () => 'opened')
      .catch((e: unknown) => e);
    assert.ok(foreign instanceof RepositoryStateError, String(foreign));
    assert.equal(foreign.code, 'foreign-repository');
    await fresh.db.deleteFrom('repositories').execute();

    await assert.rejects(
      reinstalled.importKey(target, 'c1', 'not-the-key'),
      /does not open the repository/,
    );
    await reinstalled.importKey(target, 'c1', keyFile);
    const count = await reinstalled.withRepository(
      target,
      'c1',
      async (repo) => (await restic.snapshots(repo.location)).length,
    );
    assert.equal(count, 1);
    await fresh.close();
  });

  test('a stale lock left by a killed restic is removed and the work goes on', async () => {
    const big = join(work, 'big');
    await mkdir(big);
    for (let i = 0; i < 20; i++) await writeFile(join(big, `f${i}`), randomBytes(4 * 1024 * 1024));
    const { url, keyFile } = await service.exportKey(target, 'c2');
    const crashed = spawn(
      'restic',
      ['-r', url, '--cache-dir', join(work, 'cache'), 'backup', big],
      {
        env: { PATH: process.env.PATH, RESTIC_PASSWORD: keyFile.trim() },
        stdio: 'ignore',
      },
    );
    // restic writes a lock under a temporary name first: wait for the real one.
    while (!(await readdir(join(url, 'locks'))).some((n) => /^[0-9a-f]{64}$/.test(n)))
      await sleep(20);
    crashed.kill('SIGKILL');
    await once(crashed, 'exit');
    await service.withRepository(target, 'c2', (repo) => restic.prune(repo.location));
    assert.deepEqual(await readdir(join(url, 'locks')), []);
  });

  test('work on one repository is serialized', async () => {
    let running = 0;
    let peak = 0;
    const job = () =>
      service.withRepository(target, 'c1', async (repo) => {
        running++;
        peak = Math.max(peak, running);
        await restic.snapshots(repo.location);
        running--;
      });
    await Promise.all([job(), job(), job()]);
    assert.equal(peak, 1);
  });
});
