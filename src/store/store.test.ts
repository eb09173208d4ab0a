import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely, type Migration } from 'kysely';
import { MigrationError, migrateToLatest } from './migrate.js';
import { migrations } from './migrations/index.js';
import type { NewRepository } from './schema.js';
import { openStore, type Store } from './store.js';
import { openTestStore } from '../../test/support/store.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostvault-store-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function repo(overrides: Partial<NewRepository> = {}): NewRepository {
  return {
    url: '/var/lib/hostvault/repos/c42',
    owner: 'c42',
    target_kind: 'local',
    password_sealed: 'v1.nonce.ciphertext',
    created_at: '2026-11-28T10:00:00.000Z',
    ...overrides,
  };
}

async function pragma(store: Store, name: string): Promise<unknown> {
  const { rows } = await sql<
    Record<string, unknown>
  >`select * from ${sql.raw(`pragma_${name}`)}`.execute(store.db);
  return Object.values(rows[0] ?? {})[0];
}

async function appliedMigrations(store: Store): Promise<string[]> {
  const { rows } = await sql<{
    name: string;
  }>`select name from kysely_migration order by name`.execute(store.db);
  return rows.map((r) => r.name);
}

describe('migrations', () => {
  test('are named NNNN-name, numbered 1, 2, 3… in key order', () => {
    const names = Object.keys(migrations);
    assert.ok(names.length > 0);
    names.forEach((name, i) => {
      assert.match(name, /^\d{4}-[a-z0-9-]+$/);
      assert.equal(Number(name.slice(0, 4)), i + 1, name);
    });
    assert.deepEqual([...names].sort(), names);
  });
});

describe('openStore in memory', () => {
  let store: Store;
  before(async () => {
    store = await openStore({ memory: true });
  });
  after(async () => {
    await store.close();
  });

  test('applies every migration', async () => {
    assert.equal(store.location, ':memory:');
    assert.deepEqual(await appliedMigrations(store), Object.keys(migrations));
  });

  test('turns foreign keys on', async () => {
    assert.equal(await pragma(store, 'foreign_keys'), 1);
  });

  test('stores and reads a repository', async () => {
    const { id } = await store.db
      .insertInto('repositories')
      .values(repo())
      .returning('id')
      .executeTakeFirstOrThrow();
    const row = await store.db
      .selectFrom('repositories')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, {
      ...repo(),
      id,
      initialized_at: null,
      last_prune_at: null,
      last_check_at: null,
      target_id: null,
    });

    await store.db
      .updateTable('repositories')
      .set({ initialized_at: '2026-11-28T10:00:05.000Z' })
      .where('id', '=', id)
      .execute();
    const updated = await store.db
      .selectFrom('repositories')
      .select('initialized_at')
      .where('url', '=', repo().url)
      .executeTakeFirstOrThrow();
    assert.equal(updated.initialized_at, '2026-11-28T10:00:05.000Z');
  });

  test('refuses a second repository with the same url', async () => {
    const url = 's3:https://s3.example.net/bucket/prefix/c7';
    await store.db
      .insertInto('repositories')
      .values(repo({ url, target_kind: 's3' }))
      .execute();
    await assert.rejects(
      store.db
        .insertInto('repositories')
        .values(repo({ url, owner: 'c8' }))
        .execute(),
      /UNIQUE constraint failed: repositories\.url/,
    );
  });

  test('refuses an unknown target kind', async () => {
    await assert.rejects(
      store.db
        .insertInto('repositories')
        // Bypasses the TargetKind type on purpose: the database must refuse it too.
        .values(repo({ url: '/elsewhere', target_kind: 'nfs' as 'local' }))
        .execute(),
      /CHECK constraint failed: repositories_target_kind_check/,
    );
  });

  test('never reuses the id of a deleted repository', async () => {
    const first = await store.db
      .insertInto('repositories')
      .values(repo({ url: 'rclone:hvftp:base/c9', target_kind: 'ftp', owner: 'c9' }))
      .returning('id')
      .executeTakeFirstOrThrow();
    await store.db.deleteFrom('repositories').where('id', '=', first.id).execute();
    const second = await store.db
      .insertInto('repositories')
      .values(repo({ url: 'rclone:hvftp:base/c10', target_kind: 'ftp', owner: 'c10' }))
      .returning('id')
      .executeTakeFirstOrThrow();
    assert.ok(second.id > first.id, `${second.id} > ${first.id}`);
  });
});

describe('openStore on a file', () => {
  test('creates directory 0700 and file 0600, in WAL mode with a busy timeout', async () => {
    const file = join(dir, 'new', 'data', 'store.db');
    const store = await openStore({ file, busyTimeoutMs: 1234 });
    try {
      assert.equal(store.location, file);
      assert.equal((await stat(join(dir, 'new'))).mode & 0o777, 0o700);
      assert.equal((await stat(join(dir, 'new', 'data'))).mode & 0o777, 0o700);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal(await pragma(store, 'journal_mode'), 'wal');
      assert.equal(await pragma(store, 'synchronous'), 2); // FULL
      assert.equal(await pragma(store, 'busy_timeout'), 1234);
      assert.equal(await pragma(store, 'foreign_keys'), 1);
      await store.db.insertInto('repositories').values(repo()).execute();
      // The -wal file exists once something was written: it must not be world-readable either.
      assert.equal((await stat(`${file}-wal`)).mode & 0o777, 0o600);
    } finally {
      await store.close();
    }
  });

  test('keeps data across reopening and applies migrations only once', async () => {
    const file = join(dir, 'reopen.db');
    const first = await openStore({ file });
    await first.db.insertInto('repositories').values(repo()).execute();
    const applied = await appliedMigrations(first);
    await first.close();

    const second = await openStore({ file });
    try {
      assert.deepEqual(await appliedMigrations(second), applied);
      const rows = await second.db.selectFrom('repositories').selectAll().execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.url, repo().url);
      // Running the migrator again on a current store does nothing.
      assert.deepEqual(await migrateToLatest(second.db, migrations), []);
      assert.deepEqual(await appliedMigrations(second), applied);
    } finally {
      await second.close();
    }
  });

  test('a transaction holds the write lock from its start', async () => {
    const file = join(dir, 'immediate.db');
    const store = await openStore({ file });
    const other = new BetterSqlite3(file, { timeout: 0 });
    try {
      await store.db.transaction().execute(async (trx) => {
        await trx.selectFrom('repositories').select('id').execute();
        // Only read so far, yet another writer is already shut out: no read-then-write upgrade
        // can fail later with SQLITE_BUSY.
        assert.throws(() => other.exec('begin immediate'), { code: 'SQLITE_BUSY' });
      });
      other.exec('begin immediate; rollback');
    } finally {
      other.close();
      await store.close();
    }
  });

  test('two processes opening a fresh file at once both come up migrated', async () => {
    const file = join(dir, 'race-processes.db');
    const script = `
      const { openStore } = await import(${JSON.stringify(new URL('./store.ts', import.meta.url).href)});
      process.stdout.write('ready\\n');
      await new Promise((r) => process.stdin.once('data', r));
      const store = await openStore({ file: ${JSON.stringify(file)} });
      await store.close();
      process.stdout.write('ok\\n');
      process.stdin.destroy();
    `;
    const children = [0, 1].map(() =>
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    const readyCount = countdown(children.length);
    const outputs = children.map(
      (child) =>
        new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            if (out === 'ready\n') readyCount.resolve();
          });
          child.on('error', reject);
          child.on('close', (code) =>
            code === 0 ? resolve(out) : reject(new Error(`exit ${code}`)),
          );
        }),
    );
    try {
      // Release both children together, once both have loaded, so their migrations overlap.
      await readyCount.done;
      for (const child of children) child.stdin.write('go\n');
      assert.deepEqual(await Promise.all(outputs), ['ready\nok\n', 'ready\nok\n']);

      const store = await openStore({ file });
      try {
        assert.deepEqual(await appliedMigrations(store), Object.keys(migrations));
      } finally {
        await store.close();
      }
    } finally {
      // A failed assertion must not leave a child waiting on stdin forever.
      for (const child of children) child.kill();
    }
  });

  test('names the file when it is not a database', async () => {
    const file = join(dir, 'not-a-db');
    await writeFile(file, 'this is not sqlite, just some text long enough to look like a header\n');
    await assert.rejects(openStore({ file }), (error: Error) => {
      assert.match(error.message, new RegExp(`^cannot open store ${file}: .*not a database`));
      return true;
    });
  });

  test('refuses a store migrated by a newer version', async () => {
    const file = join(dir, 'future.db');
    const store = await openStore({ file });
    await sql`insert into kysely_migration (name, timestamp) values ('9999-from-the-future', '')`.execute(
      store.db,
    );
    await store.close();
    await assert.rejects(openStore({ file }), /cannot open store .*9999-from-the-future/);
  });

  test('close() twice is harmless', async () => {
    const store = await openStore({ file: join(dir, 'close.db') });
    await store.close();
    await store.close();
  });
});

describe('migrateToLatest', () => {
  test('rolls a failing migration back and names it', async () => {
    const store = await openStore({ memory: true });
    try {
      const broken: Record<string, Migration> = {
        ...migrations,
        '9998-half-done': {
          async up(db: Kysely<unknown>) {
            await db.schema.createTable('half_done').addColumn('x', 'text').execute();
            throw new Error('boom');
          },
        },
      };
      await assert.rejects(migrateToLatest(store.db, broken), (error: unknown) => {
        assert.ok(error instanceof MigrationError);
        assert.equal(error.migration, '9998-half-done');
        assert.match(error.message, /^store migration 9998-half-done failed: boom$/);
        return true;
      });
      const tables = await store.db.introspection.getTables();
      assert.ok(!tables.some((t) => t.name === 'half_done'), 'the failed migration left a table');
      assert.deepEqual(await appliedMigrations(store), Object.keys(migrations));
    } finally {
      await store.close();
    }
  });
});

function countdown(n: number): { resolve(): void; done: Promise<void> } {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return {
    resolve() {
      if (--n === 0) release();
    },
    done,
  };
}

// The fleet's store: run with HOSTVAULT_TEST_STORE_URL (scripts/test.sh does, against the
// machine's PostgreSQL), skipped without it.
const postgres = process.env.HOSTVAULT_TEST_STORE_URL;
describe(
  'openStore on PostgreSQL',
  { skip: postgres ? false : 'HOSTVAULT_TEST_STORE_URL unset' },
  () => {
    let store: Store;
    before(async () => {
      store = await openTestStore();
    });
    after(async () => {
      await store?.close();
    });

    test('applies the same migrations, and says where it is without a password', async () => {
      assert.equal(store.dialect, 'postgres');
      assert.deepEqual(await appliedMigrations(store), Object.keys(migrations));
      assert.match(store.location, /^postgres(ql)?:\/\//);
      const withSecret = new URL(postgres!);
      withSecret.password = 'hunter2';
      const named = await openStore({ url: withSecret.toString() }).catch((e: Error) => e);
      const text = named instanceof Error ? named.message : named.location;
      assert.doesNotMatch(text, /hunter2/);
      if (!(named instanceof Error)) await named.close();
    });

    test('byte counts beyond 32 bits come back as the numbers they were', async () => {
      const big = 5 * 2 ** 40; // 5 TiB
      const { id } = await store.db
        .insertInto('jobs')
        .values({
          type: 'backup',
          status: 'successful',
          trigger: 'manual',
          created_at: '2026-12-05T02:00:00.000Z',
          bytes_added: big,
          bytes_processed: big + 1,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const row = await store.db
        .selectFrom('jobs')
        .select(['bytes_added', 'bytes_processed'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(row, { bytes_added: big, bytes_processed: big + 1 });
    });

    test('the database itself refuses a second active job of one schedule', async () => {
      const job = (status: 'pending' | 'running' | 'successful' | 'failed') => ({
        type: 'backup' as const,
        status,
        trigger: 'manual' as const,
        schedule_id: 77,
        created_at: '2026-12-05T02:00:00.000Z',
      });
      await store.db.insertInto('jobs').values(job('pending')).execute();
      await assert.rejects(store.db.insertInto('jobs').values(job('running')).execute(), /unique/i);
      // Finished jobs of the schedule are history: any number of them.
      await store.db
        .insertInto('jobs')
        .values([job('successful'), job('failed')])
        .execute();
    });

    test('stores a repository and never reuses the id of a deleted one', async () => {
      const first = await store.db
        .insertInto('repositories')
        .values(repo({ url: 'rclone:hvftp:base/p1', target_kind: 'ftp', owner: 'p1' }))
        .returning('id')
        .executeTakeFirstOrThrow();
      await assert.rejects(
        store.db
          .insertInto('repositories')
          .values(repo({ url: 'rclone:hvftp:base/p1', target_kind: 'ftp', owner: 'p1' }))
          .execute(),
      );
      await store.db.deleteFrom('repositories').where('id', '=', first.id).execute();
      const second = await store.db
        .insertInto('repositories')
        .values(repo({ url: 'rclone:hvftp:base/p2', target_kind: 'ftp', owner: 'p2' }))
        .returning('id')
        .executeTakeFirstOrThrow();
      assert.ok(second.id > first.id, `${second.id} > ${first.id}`);
    });
  },
);
