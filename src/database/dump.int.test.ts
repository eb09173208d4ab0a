import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { checksumDatabase, readChecksumRecord } from './checksum.js';
import { openConversation, runProgram } from './client.js';
import { dumpDatabases, removeStaging } from './dump.js';
import { connection, dropEverything, sql, uniquePrefix } from '../../test/support/mariadb.js';
import { DatabaseError } from './types.js';

const run = promisify(execFile);

describe('dumpDatabases (MariaDB)', () => {
  const prefix = uniquePrefix();
  const shop = `${prefix}shop`;
  const legacy = `${prefix}legacy`;
  const big = `${prefix}big`;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'hvt-dump-'));
    await sql(`
      CREATE DATABASE \`${shop}\`;
      USE \`${shop}\`;
      CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(100), img BLOB) ENGINE=InnoDB;
      INSERT INTO items SELECT seq, CONCAT('Artikel ', seq, ' – Grüße 😀'), UNHEX(SHA2(seq, 256))
        FROM seq_1_to_500;
      CREATE VIEW cheap AS SELECT id, name FROM items WHERE id < 10;
      CREATE TRIGGER items_bi BEFORE INSERT ON items FOR EACH ROW SET NEW.name = TRIM(NEW.name);
      CREATE PROCEDURE item_count() SELECT COUNT(*) FROM items;
      CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00' DISABLE
        DO DELETE FROM items WHERE id < 0;
      CREATE DATABASE \`${legacy}\`;
      CREATE TABLE \`${legacy}\`.counter (id INT PRIMARY KEY, hits INT) ENGINE=MyISAM;
      INSERT INTO \`${legacy}\`.counter VALUES (1, 10), (2, 20);
      CREATE DATABASE \`${big}\`;
      CREATE TABLE \`${big}\`.rows (id INT PRIMARY KEY, pad CHAR(200)) ENGINE=InnoDB;
      INSERT INTO \`${big}\`.rows SELECT seq, REPEAT('x', 200) FROM seq_1_to_300000;
    `);
  });

  after(async () => {
    await dropEverything(prefix);
    await rm(work, { recursive: true, force: true });
  });

  it('dumps each database completely, privately and repeatably', async () => {
    const staging = join(work, 'staging');
    const log: string[] = [];
    const t0 = Date.now();
    const { files } = await dumpDatabases({
      databases: [shop, legacy],
      stagingDir: staging,
      connection,
      onLog: (line) => log.push(line),
    });
    const ms = Date.now() - t0;
    assert.deepEqual(
      files.map((f) => [f.database, f.file]),
      [
        [shop, join(staging, `${shop}.sql`)],
        [legacy, join(staging, `${legacy}.sql`)],
      ],
    );
    assert.equal((await stat(staging)).mode & 0o777, 0o700);
    for (const f of files) {
      const info = await stat(f.file);
      assert.equal(info.mode & 0o777, 0o600);
      assert.equal(info.size, f.bytes);
    }
    const text = await readFile(files[0]!.file, 'utf8');
    assert.match(text, /CREATE TABLE `items`/);
    assert.match(text, /0x[0-9A-F]{64}/, 'blobs as hex');
    assert.match(text, /Grüße 😀/, 'utf8mb4 intact');
    assert.match(text, /DEFINER=`root`@`localhost` SQL SECURITY DEFINER/, 'view');
    assert.match(text, /TRIGGER items_bi/);
    assert.match(text, /CREATE DEFINER=`root`@`localhost` PROCEDURE `item_count`/);
    assert.match(text, /EVENT `nightly`/);
    assert.doesNotMatch(text, /Dump completed on/, 'no dump date');
    assert.ok(
      log.some((l) => l.includes(legacy) && /not in InnoDB/.test(l)),
      'MyISAM database is dumped under a read lock',
    );

    // Unchanged data gives byte-identical files, so restic stores nothing new.
    const checksums = await Promise.all(files.map((f) => readFile(f.checksumFile!)));
    const again = await dumpDatabases({
      databases: [shop, legacy],
      stagingDir: staging,
      connection,
    });
    for (const [i, f] of again.files.entries()) {
      assert.deepEqual(await readFile(f.file), await readFile(files[i]!.file).catch(() => null));
      assert.deepEqual(await readFile(f.checksumFile!), checksums[i]);
    }
    const record = await readChecksumRecord(files[0]!.checksumFile!);
    assert.equal(record?.taken, 'same-snapshot');
    assert.deepEqual(record?.checksums, await checksumDatabase(shop, connection));
    // MyISAM cannot join a snapshot: checksums before and after the dump, both unchanged.
    const myisam = await readChecksumRecord(files[1]!.checksumFile!);
    assert.equal(myisam?.taken, 'before-and-after');
    assert.deepEqual(myisam?.checksums, await checksumDatabase(legacy, connection));
    assert.deepEqual(myisam?.changed, []);
    assert.ok(ms < 10_000, `dump took ${ms} ms`);

    await removeStaging(staging);
    assert.equal(existsSync(staging), false);
  });

  it('fails with the database name and the server’s message', async () => {
    const missing = `${prefix}missing`;
    await assert.rejects(
      dumpDatabases({ databases: [shop, missing], stagingDir: join(work, 's2'), connection }),
      (error: unknown) => {
        assert.ok(error instanceof DatabaseError);
        assert.equal(error.kind, 'dump-failed');
        assert.equal(error.database, missing);
        assert.equal(
          error.message,
          `Database ${missing} could not be dumped: Unknown database '${missing}'`,
        );
        return true;
      },
    );
    assert.equal(existsSync(join(work, 's2', `${missing}.sql.partial`)), false);
  });

  it('dumps in parallel; one failure stops the others and is the error reported', async () => {
    const staging = join(work, 'parallel');
    const missing = `${prefix}missing`;
    const t0 = Date.now();
    await assert.rejects(
      // Largest first: big starts at once, the missing one fails while big is still running.
      dumpDatabases({
        databases: [shop, missing, big],
        stagingDir: staging,
        connection,
        parallel: 2,
      }),
      (error: unknown) => {
        assert.ok(error instanceof DatabaseError);
        assert.equal(error.kind, 'dump-failed');
        assert.equal(error.database, missing);
        return true;
      },
    );
    for (const name of [missing, big])
      for (const suffix of ['.sql', '.sql.partial'])
        assert.equal(existsSync(join(staging, `${name}${suffix}`)), false, `${name}${suffix}`);
    const { stdout } = await run('ps', ['-eo', 'args']);
    assert.ok(!stdout.split('\n').some((l) => l.includes('mariadb-dump') && l.includes(big)));
    assert.ok(Date.now() - t0 < 10_000);

    // Parallel and one-at-a-time dumps are the same bytes.
    const one = await dumpDatabases({
      databases: [shop, legacy],
      stagingDir: join(work, 'one'),
      connection,
      parallel: 1,
    });
    const two = await dumpDatabases({
      databases: [shop, legacy],
      stagingDir: join(work, 'two'),
      connection,
    });
    assert.deepEqual(
      two.files.map((f) => f.database),
      [shop, legacy],
    );
    for (const [i, f] of two.files.entries())
      assert.deepEqual(await readFile(f.file), await readFile(one.files[i]!.file));
  });

  it('refuses names that are not database names', async () => {
    await assert.rejects(
      dumpDatabases({ databases: ['x; DROP'], stagingDir: join(work, 's3'), connection }),
      /not a valid database name/,
    );
  });

  it('cancels: the dump process is killed and no partial file stays', async () => {
    const staging = join(work, 'cancel');
    const controller = new AbortController();
    const partial = join(staging, `${big}.sql.partial`);
    const watcher = (async () => {
      for (let i = 0; i < 2000 && !controller.signal.aborted; i++) {
        const size = await stat(partial).then(
          (s) => s.size,
          () => 0,
        );
        if (size > 0) controller.abort();
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await assert.rejects(
      dumpDatabases({
        databases: [big],
        stagingDir: staging,
        connection,
        signal: controller.signal,
      }),
      (error: unknown) => error instanceof DatabaseError && error.kind === 'canceled',
    );
    await watcher;
    assert.equal(existsSync(partial), false);
    assert.equal(existsSync(join(staging, `${big}.sql`)), false);
    const { stdout } = await run('ps', ['-eo', 'args']);
    assert.ok(!stdout.split('\n').some((l) => l.includes('mariadb-dump') && l.includes(big)));
  });

  /** Imports a dump into a new database as root and returns its table checksums. */
  const importedChecksums = async (file: string, into: string) => {
    await sql(`CREATE DATABASE \`${into}\`;`);
    const result = await runProgram({
      binary: 'mariadb',
      args: ['--batch', `--database=${into}`],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work },
      stdin: await readFile(file),
    });
    assert.equal(result.exitCode, 0, result.stderr);
    return checksumDatabase(into, connection);
  };
  // Writes on one open connection, one statement after another: a client started per statement
  // wrote only every few hundred milliseconds on a busy machine, and a dump could begin and end
  // between two writes.
  const writer = (statement: string) => {
    let stop = false;
    let writes = 0;
    const done = (async () => {
      const conversation = await openConversation(connection);
      try {
        while (!stop) {
          await conversation.query(statement);
          writes++;
        }
      } finally {
        await conversation.close();
      }
    })();
    return async () => {
      stop = true;
      await done;
      return writes;
    };
  };

  it('records checksums of exactly the rows the dump holds while rows are written', async () => {
    const stopWriting = writer(
      `INSERT INTO \`${big}\`.rows SELECT MAX(id) + 1, 'w' FROM \`${big}\`.rows;
       UPDATE \`${big}\`.rows SET pad = CONCAT('u', id) WHERE id = 1 + FLOOR(RAND() * 1000);`,
    );
    await new Promise((r) => setTimeout(r, 300));
    let dumped;
    try {
      dumped = await dumpDatabases({
        databases: [big],
        stagingDir: join(work, 'busy'),
        connection,
      });
    } finally {
      const writes = await stopWriting();
      assert.ok(writes > 0);
    }
    const record = (await readChecksumRecord(dumped.files[0]!.checksumFile!))!;
    assert.equal(record.taken, 'same-snapshot');
    assert.deepEqual(record.changed, []);
    assert.deepEqual(
      await importedChecksums(dumped.files[0]!.file, `${prefix}bigcopy`),
      record.checksums,
    );
    assert.notDeepEqual(await checksumDatabase(big, connection), record.checksums);
  });

  it('takes checksums before and after the dump when writes cannot be held off', async () => {
    const busy = `${prefix}busy`;
    await sql(`
      CREATE DATABASE \`${busy}\`;
      USE \`${busy}\`;
      CREATE TABLE \`${busy}\`.a (id INT PRIMARY KEY AUTO_INCREMENT, v CHAR(100)) ENGINE=InnoDB;
      CREATE TABLE \`${busy}\`.b (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
      INSERT INTO \`${busy}\`.a (v) SELECT 'x' FROM seq_1_to_50000;
      INSERT INTO \`${busy}\`.b SELECT seq, seq FROM seq_1_to_100;`);
    // A write transaction on b, open for the whole dump: LOCK TABLES waits for it, in vain. It is
    // rolled back only after the dump, so b reads the same before and after and only a changes
    // (a timed transaction made this depend on the machine's speed).
    const holder = await openConversation(connection);
    await holder.query(`START TRANSACTION; UPDATE \`${busy}\`.b SET v = v + 1 WHERE id = 1;`);
    const stopWriting = writer(`INSERT INTO \`${busy}\`.a (v) VALUES ('w');`);
    const log: string[] = [];
    let dumped;
    try {
      dumped = await dumpDatabases({
        databases: [busy],
        stagingDir: join(work, 'held'),
        connection,
        onLog: (l) => log.push(l),
      });
    } finally {
      const writes = await stopWriting();
      await holder.query('ROLLBACK;');
      await holder.close();
      assert.ok(writes > 0);
    }
    const record = (await readChecksumRecord(dumped.files[0]!.checksumFile!))!;
    assert.ok(
      log.some((l) => /writes could not be held off/.test(l)),
      log.join('\n'),
    );
    assert.equal(record.taken, 'before-and-after');
    assert.deepEqual(record.changed, ['a']);
    assert.ok(log.some((l) => /1 table\(s\) changed during the dump \(a\)/.test(l)));
    const copy = await importedChecksums(dumped.files[0]!.file, `${prefix}busycopy`);
    assert.deepEqual(record.checksums, { b: copy.b });
  });

  it('checksums every base table, not views', async () => {
    const sums = await checksumDatabase(shop, connection);
    assert.deepEqual(Object.keys(sums), ['items']);
    assert.match(sums.items!, /^\d+$/);
  });
});
