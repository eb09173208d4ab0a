/**
 * Database backups with real restic and real MariaDB: streamed into the repository with restic
 * 0.17+ (nothing written to the staging directory but the checksum records), through the
 * staging directory with 0.14; restored from either with the table checksums compared.
 * Runs with whichever restic is first on PATH (scripts/test-restic.sh 0.14 / 0.18).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { LocalRepositories } from '../agent/local-repositories.js';
import { checksumDatabase, restoreDatabase } from '../database/index.js';
import { Restic } from '../engine/index.js';
import { customerSchema, type Customer } from '../inventory/schema.js';
import { Keyring } from '../repository/keyring.js';
import { executeRestore } from '../restore/restore-run.js';
import { isDumpSnapshot, streamedDumps, tag } from '../scope/scope.js';
import { openStore, type Store } from '../store/index.js';
import { targetSchema } from '../target/schema.js';
import { SnapshotBrowser, downloadDirectory, downloadFile } from '../snapshot/index.js';
import { connection, dropEverything, sql, uniquePrefix } from '../../test/support/mariadb.js';
import { BackupService } from './backup-service.js';
import { databaseStagingDir } from './collect.js';
import { mariadbDumper } from './dumper.js';

/** Everything written to a stream, once it has ended. */
function collect(): { out: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { out, bytes: () => Buffer.concat(chunks) };
}

describe('database backups, streamed (restic 0.17+) or staged (0.14)', () => {
  const prefix = uniquePrefix();
  const shop = `${prefix}shop`;
  const blog = `${prefix}blog`;
  let work: string;
  let store: Store;
  let restic: Restic;
  let repositories: LocalRepositories;
  let backups: BackupService;
  let customer: Customer;
  let streams: boolean;
  let schedules = 0;

  const access = () =>
    repositories.records.access(
      targetSchema.parse({ kind: 'local', path: join(work, 'repos') }),
      customer.id,
    );

  const locate = (repository: Awaited<ReturnType<typeof access>>) =>
    repositories.host.withRepository(repository, async (r) => r.location);

  /** Every name that appears in the schedule's staging directory while `run` runs. */
  async function watchingStaging<T>(
    schedule: number,
    run: () => Promise<T>,
  ): Promise<{ result: T; seen: Set<string> }> {
    const dir = databaseStagingDir(join(work, 'data'), customer.id, schedule);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const seen = new Set<string>();
    const watcher: FSWatcher = watch(dir, (_event, name) => {
      if (name) seen.add(String(name));
    });
    try {
      return { result: await run(), seen };
    } finally {
      watcher.close();
    }
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'hv-stream-'));
    store = await openStore({ memory: true });
    restic = await Restic.detect({ cacheDir: join(work, 'cache') });
    streams = restic.features.stdinFromCommand;
    repositories = LocalRepositories.open({
      store,
      keyring: new Keyring(randomBytes(32)),
      restic,
      certDir: join(work, 'certs'),
    });
    await sql(
      `CREATE DATABASE \`${shop}\`; CREATE DATABASE \`${blog}\`;
       CREATE TABLE \`${shop}\`.orders (id INT PRIMARY KEY, note TEXT) ENGINE=InnoDB;
       INSERT INTO \`${shop}\`.orders SELECT seq, REPEAT(CONCAT('order ', seq), 20) FROM \`${shop}\`.seq_1_to_3000;
       CREATE TABLE \`${blog}\`.posts (id INT PRIMARY KEY, body TEXT) ENGINE=InnoDB;
       INSERT INTO \`${blog}\`.posts SELECT seq, CONCAT('post ', seq) FROM \`${blog}\`.seq_1_to_200;`,
    );
    customer = customerSchema.parse({
      id: `${prefix}cust`,
      name: 'Stream',
      linuxUser: 'stream',
      uid: 1000,
      gid: 1000,
      packageId: 'basic',
      webRoot: join(work, 'www'),
      databases: [shop, blog],
      mailboxes: [],
      sslFiles: [],
      configFiles: [],
    });
    backups = new BackupService({
      restic,
      repositories: repositories.host,
      databases: mariadbDumper(connection),
      dataDir: join(work, 'data'),
    });
  });
  after(async () => {
    await dropEverything(prefix);
    await store.close();
    await rm(work, { recursive: true, force: true });
  });

  test('a Databases backup streams with 0.17+ (stages with 0.14) and restores by checksum', async () => {
    const schedule = ++schedules;
    const repository = await access();
    const before = await checksumDatabase(shop, connection);
    const { result: outcome, seen } = await watchingStaging(schedule, () =>
      backups.run({ customer, schedule, scope: 'databases', repository, parent: null }),
    );
    const dumpsOnDisk = [...seen].filter((name) => /\.sql(\.partial)?$/.test(name));
    if (streams) assert.deepEqual(dumpsOnDisk, [], 'no dump was written to the staging dir');
    else assert.ok(dumpsOnDisk.includes(`${shop}.sql.partial`), [...seen].join(', '));
    // The checksum records are recorded at backup time either way.
    assert.ok(seen.has(`${shop}.checksums.json`), [...seen].join(', '));

    const repo = await locate(repository);
    const list = await restic.snapshots(repo);
    const main = list.find((s) => outcome.snapshotId.startsWith(s.shortId));
    assert.ok(main, 'the backup snapshot exists');
    const parts = streamedDumps(main.tags);
    if (streams) {
      assert.deepEqual([...parts.keys()].sort(), [blog, shop].sort());
      assert.equal(list.length, 3, 'one snapshot per database and the backup snapshot');
      for (const id of parts.values()) {
        const part = list.find((s) => s.id === id);
        assert.ok(part && isDumpSnapshot(part.tags));
        assert.ok(part.tags.includes(tag.schedule(schedule)));
      }
      // The dump is in the snapshot whole: the end of mariadb-dump's output.
      const chunks: Buffer[] = [];
      await restic.dump(
        repo,
        parts.get(shop)!,
        `/${shop}.sql`,
        new Writable({
          write(chunk: Buffer, _enc, done) {
            chunks.push(chunk);
            done();
          },
        }),
      );
      const text = Buffer.concat(chunks).toString('utf8');
      assert.match(text, /INSERT INTO `orders`/);
      assert.match(text, /-- Dump completed\s*$/);
      // What the job reports counts the streamed dumps too.
      assert.ok(outcome.summary.totalBytesProcessed >= Buffer.byteLength(text));
    } else {
      assert.equal(parts.size, 0);
      assert.equal(list.length, 1);
    }
    assert.deepEqual(outcome.roots.db, [
      databaseStagingDir(join(work, 'data'), customer.id, schedule),
    ]);

    // Changed after the backup; the restore brings back the rows as they were.
    await sql(`DELETE FROM \`${shop}\`.orders WHERE id > 100;`);
    const logs: string[] = [];
    await executeRestore(
      {
        restic,
        dataDir: join(work, 'data'),
        databases: {
          async restore(opts) {
            await restoreDatabase({
              database: opts.database,
              dumpFile: opts.dumpFile,
              checksumFile: opts.checksumFile,
              owner: { customerId: opts.customerId, allowedDatabases: opts.allowedDatabases },
              connection,
              journalDir: join(work, 'journal'),
              jobId: opts.jobId,
              safetyDir: opts.safetyDir,
              saveSafety: (dump) => opts.saveSafety(dump.file),
              signal: opts.signal,
              onLog: opts.onLog,
            });
          },
        },
      },
      repo,
      {
        jobId: 1,
        repository,
        snapshotId: outcome.snapshotId,
        customer,
        roots: outcome.roots,
        contents: outcome.contents,
        what: 'database',
        database: shop,
        keepNewerMail: true,
      },
      {
        signal: new AbortController().signal,
        log: (line) => logs.push(line),
        progress: () => undefined,
        onSafetySnapshot: () => undefined,
      },
    );
    assert.deepEqual(await checksumDatabase(shop, connection), before, logs.join('\n'));
    assert.ok(
      logs.some((l) => l.includes('match the checksums recorded at backup time')),
      `the restore compared the recorded checksums:\n${logs.join('\n')}`,
    );
  });

  test('a failing dump fails the backup clearly and leaves no snapshot behind', async () => {
    const schedule = ++schedules;
    const repository = await access();
    const repo = await locate(repository);
    const before = (await restic.snapshots(repo)).length;
    const missing = `${prefix}gone`;
    const broken = { ...customer, databases: [shop, missing] };
    await assert.rejects(
      backups.run({ customer: broken, schedule, scope: 'databases', repository, parent: null }),
      (error: Error) => {
        assert.match(
          error.message,
          new RegExp(`Database ${missing} could not be dumped: .*Unknown database`),
        );
        return true;
      },
    );
    const after = await restic.snapshots(repo);
    assert.equal(after.length, before, after.map((s) => s.tags.join(' ')).join('\n'));
    assert.ok(!after.some((s) => s.tags.includes(tag.schedule(schedule))));
  });

  test("the dump command restic runs holds no password and none of restic's environment", async () => {
    if (!streams) return;
    const commands: string[][] = [];
    const spy = new BackupService({
      restic,
      repositories: repositories.host,
      dataDir: join(work, 'data'),
      databases: {
        ...mariadbDumper({ ...connection, password: 'not-in-argv' }),
        dump: () => Promise.reject(new Error('staging is not used here')),
        async stream(opts) {
          await mariadbDumper({ ...connection, password: 'not-in-argv' }).stream!({
            ...opts,
            save: (dump) => {
              commands.push(dump.command);
              return opts.save(dump);
            },
          });
        },
      },
    });
    const schedule = ++schedules;
    // root over the socket ignores the password: the dump still works.
    await spy.run({
      customer: { ...customer, databases: [blog] },
      schedule,
      scope: 'databases',
      repository: await access(),
      parent: null,
    });
    assert.equal(commands.length, 1);
    const argv = commands[0]!;
    assert.equal(argv[0], 'env');
    assert.equal(argv[1], '-i');
    assert.ok(!argv.join(' ').includes('not-in-argv'), argv.join(' '));
    const option = argv.find((a) => a.startsWith('--defaults-extra-file='));
    assert.ok(option, 'the password goes through an option file');
    // The option file is gone once the dump is saved.
    await assert.rejects(readFile(option.slice('--defaults-extra-file='.length)));
  });

  test('browse lists /Databases/<db>.sql as for a staged backup, and downloads give its bytes', async () => {
    const schedule = ++schedules;
    const repository = await access();
    const outcome = await backups.run({
      customer,
      schedule,
      scope: 'databases',
      repository,
      parent: null,
    });
    const repo = await locate(repository);
    const staging = outcome.roots.db![0]!;
    // The dump's bytes as restic holds them: in its own snapshot (streamed) or in the backup's.
    const [main] = await restic.snapshots(repo, { ids: [outcome.snapshotId] });
    const parts = streamedDumps(main!.tags);
    assert.equal(parts.size, streams ? 2 : 0);
    const saved = collect();
    await (streams
      ? restic.dump(repo, parts.get(shop)!, `/${shop}.sql`, saved.out)
      : restic.dump(repo, outcome.snapshotId, join(staging, `${shop}.sql`), saved.out));
    const expected = saved.bytes();
    assert.match(expected.toString('utf8'), /-- Dump completed\s*$/);

    const browser = new SnapshotBrowser({ restic, indexDir: join(work, `index-${schedule}`) });
    try {
      await browser.open(repo, outcome.snapshotId);
      const roots = outcome.roots;
      const top = browser.listFriendly(outcome.snapshotId, roots, '/');
      assert.deepEqual(
        top.entries.map((e) => e.name),
        ['Databases'],
      );
      const listing = browser.listFriendly(outcome.snapshotId, roots, '/Databases');
      assert.deepEqual(
        listing.entries.map((e) => [e.name, e.type, e.path]),
        [
          [`${blog}.sql`, 'file', `/Databases/${blog}.sql`],
          [`${shop}.sql`, 'file', `/Databases/${shop}.sql`],
        ],
      );
      assert.equal(listing.total, 2, 'the checksum records stay hidden');
      const entry = listing.entries.find((e) => e.name === `${shop}.sql`)!;
      assert.equal(entry.size, expected.length);
      assert.ok(entry.mtime && !Number.isNaN(Date.parse(entry.mtime)), entry.mtime);
      assert.equal(entry.realPath, undefined, 'a dump restores as a database, not as a file');

      // One file, as the agent downloads it (the index open), and without an index.
      const found = browser.resolveFriendly(outcome.snapshotId, roots, `/Databases/${shop}.sql`);
      assert.equal(found.kind, 'real');
      const realPath = (found as { realPath: string }).realPath;
      for (const viaIndex of [true, false]) {
        const got = collect();
        await downloadFile(restic, repo, outcome.snapshotId, realPath, got.out, {
          roots,
          ...(viaIndex ? { browser } : {}),
        });
        assert.ok(got.bytes().equals(expected), `exact bytes (${viaIndex ? 'index' : 'no index'})`);
      }

      // The folder as tar.gz: the dumps named as the customer sees them, checksum records left out.
      const archive = collect();
      await downloadDirectory(restic, repo, outcome.snapshotId, staging, archive.out, {
        roots,
        browser,
        archiveName: 'Databases',
      });
      const unpacked = join(work, `unpacked-${schedule}`);
      await mkdir(unpacked);
      await writeFile(join(unpacked, 'a.tar.gz'), archive.bytes());
      await promisify(execFile)('tar', ['-xzf', 'a.tar.gz'], { cwd: unpacked });
      assert.deepEqual((await readdir(join(unpacked, 'Databases'))).sort(), [
        `${blog}.sql`,
        `${shop}.sql`,
      ]);
      assert.ok((await readFile(join(unpacked, 'Databases', `${shop}.sql`))).equals(expected));
    } finally {
      browser.close();
    }
  });
});
