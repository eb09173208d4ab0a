import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Restic } from '../engine/index.js';
import { customerSchema, type Customer } from '../inventory/schema.js';
import { LocalRepositories } from '../agent/local-repositories.js';
import { Keyring } from '../repository/keyring.js';
import { openStore, type Store } from '../store/index.js';
import { targetSchema, type Target } from '../target/schema.js';
import { BackupService, type BackupOutcome, type DatabaseDumper } from './backup-service.js';
import { databaseStagingDir } from './collect.js';

let work: string;
let store: Store;
let restic: Restic;
let repositories: LocalRepositories;
let target: Target;
let customer: Customer;

/** Stands in for mariadb-dump: writes one file per database, or fails on demand. */
class FakeDumper implements DatabaseDumper {
  fail = false;
  seenStaging: string[] = [];
  async dump(opts: { databases: string[]; stagingDir: string }): Promise<void> {
    this.seenStaging.push(opts.stagingDir);
    for (const db of opts.databases)
      await writeFile(join(opts.stagingDir, `${db}.sql`), `-- dump of ${db}\n`);
    if (this.fail) throw new Error('Database shop could not be dumped: Access denied');
  }
}
const dumper = new FakeDumper();
let backups: BackupService;

/**
 * The host's backup with the repository resolved as the control plane does (its record and
 * password), from a target and an owner as the tests name them.
 */
const service = {
  async run(
    request: Omit<Parameters<BackupService['run']>[0], 'repository'> & {
      target: Target;
      owner?: 'customer' | 'server';
    },
  ): Promise<BackupOutcome> {
    const { target: to, owner, ...rest } = request;
    const access = await repositories.records.access(
      to,
      owner === 'server' ? 'server' : rest.customer.id,
    );
    return backups.run({
      ...rest,
      repository: access,
      onInitialized: () => repositories.records.markInitialized(access.repositoryId),
    });
  },
};

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hv-backup-'));
  store = await openStore({ memory: true });
  restic = await Restic.detect({ cacheDir: join(work, 'cache') });
  repositories = LocalRepositories.open({
    store,
    keyring: new Keyring(randomBytes(32)),
    restic,
    certDir: join(work, 'certs'),
  });
  target = targetSchema.parse({ kind: 'local', path: join(work, 'repos') });
  const home = join(work, 'home/alice');
  for (const dir of [
    'www',
    'mail/info/cur',
    'mail/info/new',
    'mail/info/tmp',
    'sieve',
    'ssl',
    'conf',
  ])
    await mkdir(join(home, dir), { recursive: true });
  await writeFile(join(home, 'www/index.php'), '<?php echo 1;');
  await writeFile(join(home, 'mail/info/cur/1700000000.M1P1.host:2,S'), 'Subject: hi\n\nhello\n');
  await writeFile(join(home, 'sieve/main.sieve'), 'keep;\n');
  await writeFile(join(home, 'ssl/cert.pem'), 'CERT');
  await writeFile(join(home, 'conf/nginx.conf'), 'server {}');
  customer = customerSchema.parse({
    id: 'alice',
    name: 'Alice',
    linuxUser: 'alice',
    uid: 1000,
    gid: 1000,
    packageId: 'basic',
    webRoot: join(home, 'www'),
    databases: ['alice_wp', 'alice_shop'],
    mailboxes: [
      {
        address: 'info@alice.test',
        maildir: join(home, 'mail/info'),
        sieveDir: join(home, 'sieve'),
      },
    ],
    sslFiles: [join(home, 'ssl/cert.pem')],
    configFiles: [join(home, 'conf/nginx.conf')],
  });
  backups = new BackupService({
    restic,
    repositories: repositories.host,
    databases: dumper,
    dataDir: join(work, 'data'),
  });
});
after(async () => {
  await store.close();
  await rm(work, { recursive: true, force: true });
});

describe('backup runs', () => {
  test('a Full backup saves every content in one snapshot, tagged so the content is known without opening it', async () => {
    const outcome = await service.run({
      customer,
      schedule: 7,
      scope: 'full',
      target,
      retention: 2,
    });
    assert.deepEqual(outcome.contents, ['web', 'db', 'mail', 'ssl', 'config']);
    assert.deepEqual(outcome.roots.db, [databaseStagingDir(join(work, 'data'), 'alice', 7)]);
    assert.equal(outcome.parent, undefined);
    const snapshots = await repositories.withRepository(target, 'alice', (repo) =>
      restic.snapshots(repo.location),
    );
    assert.equal(snapshots.length, 1);
    assert.deepEqual(snapshots[0]?.tags.sort(), [
      'content=config',
      'content=db',
      'content=mail',
      'content=ssl',
      'content=web',
      'customer=alice',
      'schedule=7',
      'scope=full',
    ]);
    assert.ok(!existsSync(outcome.roots.db![0]!), 'database dumps are removed after the run');
  });

  test("the next run takes the schedule's latest snapshot as parent and reads no unchanged file again", async () => {
    const first = await service.run({ customer, schedule: 'web-1', scope: 'web', target });
    const second = await service.run({ customer, schedule: 'web-1', scope: 'web', target });
    assert.equal(
      second.parent,
      (
        await repositories.withRepository(target, 'alice', (r) =>
          restic.snapshots(r.location, { tags: ['schedule=web-1'] }),
        )
      ).find((s) => s.id.startsWith(first.snapshotId))?.id,
    );
    assert.equal(second.summary.filesNew + second.summary.filesChanged, 0);
    assert.equal(second.summary.filesUnmodified, 1);
    assert.deepEqual(second.contents, ['web']);
  });

  test('retention keeps the newest N snapshots of that schedule only', async () => {
    for (let i = 0; i < 3; i++)
      await service.run({ customer, schedule: 7, scope: 'full', target, retention: 2 });
    const bySchedule = await repositories.withRepository(target, 'alice', async (repo) => ({
      seven: (await restic.snapshots(repo.location, { tags: ['schedule=7'] })).length,
      web: (await restic.snapshots(repo.location, { tags: ['schedule=web-1'] })).length,
    }));
    assert.deepEqual(bySchedule, { seven: 2, web: 2 });
  });

  test('a failed database dump fails the run, saves nothing and leaves no dump behind', async () => {
    dumper.fail = true;
    try {
      const before = await repositories.withRepository(target, 'alice', (r) =>
        restic.snapshots(r.location),
      );
      await assert.rejects(
        service.run({ customer, schedule: 'db-1', scope: 'databases', target }),
        /shop could not be dumped/,
      );
      const afterRun = await repositories.withRepository(target, 'alice', (r) =>
        restic.snapshots(r.location),
      );
      assert.equal(afterRun.length, before.length);
      assert.ok(!existsSync(databaseStagingDir(join(work, 'data'), 'alice', 'db-1')));
    } finally {
      dumper.fail = false;
    }
  });

  test('server-wide backups go to the server repository, tagged per customer', async () => {
    const outcome = await service.run({
      customer,
      schedule: 'srv',
      scope: 'web',
      target,
      owner: 'server',
    });
    const list = await repositories.withRepository(target, 'server', (r) =>
      restic.snapshots(r.location, { tags: ['customer=alice'] }),
    );
    assert.ok(list.some((s) => s.id.startsWith(outcome.snapshotId)));
  });
  test('preflight: not enough disk space on a local target fails early with numbers, and saves nothing', async () => {
    const mount = await mkdtemp(join(tmpdir(), 'hv-preflight-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=300m', 'tmpfs', mount]);
    try {
      const big = join(work, 'home/alice/www/big');
      await mkdir(big, { recursive: true });
      for (let i = 0; i < 5; i++)
        await writeFile(join(big, `m${i}.bin`), randomBytes(16 * 1024 * 1024));
      const small = targetSchema.parse({ kind: 'local', path: join(mount, 'repos') });
      await assert.rejects(
        service.run({ customer, schedule: 'pf', scope: 'web', target: small }),
        /Not enough disk space: needs about 80\.0 MiB, \d+\.\d MiB free/,
      );
      assert.ok(
        !existsSync(join(mount, 'repos/alice/snapshots')) ||
          (await readdir(join(mount, 'repos/alice/snapshots'))).length === 0,
      );
      await assert.rejects(
        service.run({
          customer,
          schedule: 'pf',
          scope: 'web',
          target,
          quota: { limit: 50 * 1024 * 1024, used: 10 * 1024 * 1024 },
        }),
        /Backup storage quota reached: this backup needs about 80\.0 MiB, 40\.0 MiB of your 50\.0 MiB are left/,
      );
      await rm(big, { recursive: true });
    } finally {
      execFileSync('umount', ['-l', mount]);
      await rm(mount, { recursive: true, force: true });
    }
  });
});
