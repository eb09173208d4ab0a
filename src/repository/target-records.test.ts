/**
 * Target records: sealed for themselves, kept while a schedule or a repository points at them,
 * and the move of migration 0010 (every schedule's target into a record of its own, repositories
 * linked to theirs at the next start). Runs on SQLite, and on PostgreSQL with
 * HOSTVAULT_TEST_STORE_URL (scripts/test-postgres.sh; its stores come from openTestStore).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { openTestStore } from '../../test/support/store.js';
import { StoreSqliteDialect } from '../store/dialect.js';
import { migrateToLatest, migrations, type Database, type Store } from '../store/index.js';
import { chosenByProvider } from '../target/origin.js';
import type { Target } from '../target/schema.js';
import { Keyring } from './keyring.js';
import { RepositoryError, RepositoryService } from './repository-service.js';
import { isDamaged, TargetRecordError, TargetRecords } from './target-records.js';

const keyring = new Keyring(randomBytes(32));
const stamp = '2026-12-01T02:00:00.000Z';
const closing: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closing.splice(0)) await close();
});

async function fresh(): Promise<Store> {
  const store = await openTestStore();
  closing.push(() => store.close());
  return store;
}

const local: Target = { kind: 'local', path: '/var/lib/hostvault/repos' };
const s3: Target = {
  kind: 's3',
  endpoint: 'https://s3.example.net',
  region: '',
  bucket: 'offsite',
  prefix: 'web01',
  accessKeyId: 'AKIA1',
  secretAccessKey: 'provider-secret',
  pathStyle: true,
  caCert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
};
const ftp: Target = {
  kind: 'ftp',
  host: 'ftp.example.net',
  port: 21,
  user: 'alice',
  password: 'alice-password',
  baseDir: 'backups',
  explicitTls: true,
  connections: 2,
};

describe('target records', () => {
  test('open as they were saved, marked with their origin; a new secret replaces the old', async () => {
    const store = await fresh();
    const targets = new TargetRecords({ store, keyring });
    const own = await targets.create({ owner: 'alice', origin: 'customer', target: ftp });
    const provider = await targets.create({ owner: 'server', origin: 'provider', target: s3 });
    const read = await targets.getMany([own, provider]);
    const ownRecord = await targets.get(own);
    assert.deepEqual(ownRecord, { id: own, owner: 'alice', origin: 'customer', target: ftp });
    assert.equal(chosenByProvider(ownRecord.target), false);
    assert.equal(chosenByProvider((await targets.get(provider)).target), true);
    assert.equal(read.size, 2);

    await targets.update(own, { ...ftp, password: 'rotated' }, 'customer');
    assert.equal(((await targets.get(own)).target as { password: string }).password, 'rotated');
    const kinds = await targets.kinds([own, provider, 99]);
    assert.deepEqual(
      [...kinds].sort(([a], [b]) => a - b),
      [
        [own, 'ftp'],
        [provider, 's3'],
      ],
    );
  });

  test('a sealed value copied onto another record does not open there', async () => {
    const store = await fresh();
    const targets = new TargetRecords({ store, keyring });
    const a = await targets.create({ owner: 'alice', origin: 'customer', target: ftp });
    const b = await targets.create({ owner: 'bob', origin: 'customer', target: local });
    const { sealed } = await store.db
      .selectFrom('targets')
      .select('sealed')
      .where('id', '=', a)
      .executeTakeFirstOrThrow();
    await store.db.updateTable('targets').set({ sealed }).where('id', '=', b).execute();
    const record = (await targets.getMany([b])).get(b);
    assert.ok(record && isDamaged(record));
    assert.equal(record.kind, 'local');
    await assert.rejects(targets.get(b), (error: unknown) => {
      assert.ok(error instanceof TargetRecordError);
      assert.match(error.message, /^This target's settings cannot be used: They cannot be opened/);
      assert.doesNotMatch(error.message, /alice-password/);
      return true;
    });
    assert.deepEqual(
      (await targets.list()).map((r) => r.id),
      [a],
      'a damaged record is no target to use',
    );
  });

  test('stay while a schedule or a repository points at them', async () => {
    const store = await fresh();
    const targets = new TargetRecords({ store, keyring });
    const repositories = new RepositoryService({ store, keyring, targets });
    const kept = await targets.create({ owner: 'alice', origin: 'customer', target: local });
    const unused = await targets.create({ owner: 'alice', origin: 'customer', target: local });
    const access = await repositories.access(local, 'alice', { targetId: kept });
    assert.deepEqual(await targets.dropUnused([kept, unused]), [unused]);
    assert.equal((await repositories.place(access.repositoryId)).target.id, kept);

    // Reached through another record (a second schedule's), the repository follows it and the
    // first record, used by nothing else, goes.
    const second = await targets.create({ owner: 'alice', origin: 'customer', target: local });
    await repositories.access(local, 'alice', { targetId: second });
    assert.equal((await repositories.place(access.repositoryId)).target.id, second);
    await assert.rejects(targets.get(kept), TargetRecordError);
  });
});

/**
 * A store built by the migrations up to `last` only, on the dialect the tests run on: SQLite in
 * memory, or a schema of its own on HOSTVAULT_TEST_STORE_URL's PostgreSQL.
 */
async function storeAt(last: string): Promise<{ store: Store; schema?: string }> {
  const upTo = Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= last));
  const url = process.env.HOSTVAULT_TEST_STORE_URL;
  let db: Kysely<Database>;
  let schema: string | undefined;
  if (url) {
    schema = `hvt_${randomBytes(6).toString('hex')}`;
    db = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` }),
      }),
    });
    await sql`create schema ${sql.id(schema)}`.execute(db);
  } else {
    const sqlite = new BetterSqlite3(':memory:');
    sqlite.pragma('foreign_keys = ON');
    db = new Kysely<Database>({ dialect: new StoreSqliteDialect({ database: sqlite }) });
  }
  await migrateToLatest(db, upTo, { schema });
  const store: Store = {
    db,
    dialect: url ? 'postgres' : 'sqlite',
    location: url ? 'postgres' : ':memory:',
    close: async () => {
      if (schema) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
      await db.destroy();
    },
  };
  closing.push(() => store.close());
  return { store, schema };
}

describe('migration 0010 on a store with schedules', () => {
  test('every schedule keeps its target, credentials and origin; repositories find theirs', async () => {
    const { store, schema } = await storeAt('0009-safety-snapshots');
    // The schema of 0009, written as the schedule service of then wrote it.
    const old = store.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    const schedules = [
      { id: 1, owner: 'customer', customer: 'alice', target: local, origin: 'customer' },
      { id: 2, owner: 'server', customer: null, target: s3, origin: 'provider' },
      // Made by an administrator for alice: the provider's server, alice's repository.
      { id: 3, owner: 'customer', customer: 'alice', target: ftp, origin: 'provider' },
    ] as const;
    for (const s of schedules)
      await old
        .insertInto('schedules')
        .values({
          id: s.id,
          owner_kind: s.owner,
          customer_id: s.customer,
          name: `schedule ${s.id}`,
          scope: 'full',
          frequency: 'daily',
          hour: 2,
          day: null,
          retention: 7,
          target_kind: s.target.kind,
          target_sealed: keyring.seal(JSON.stringify(s.target), `schedule-target:${s.id}`),
          target_origin: s.origin,
          enabled: 1,
          next_run_at: stamp,
          created_at: stamp,
          updated_at: stamp,
        })
        .execute();
    const repository = (id: number, url: string, owner: string, kind: string) =>
      old
        .insertInto('repositories')
        .values({
          id,
          url,
          owner,
          target_kind: kind,
          password_sealed: keyring.seal(`password of ${id}`, url),
          created_at: stamp,
          initialized_at: stamp,
        })
        .execute();
    await repository(1, '/var/lib/hostvault/repos/alice', 'alice', 'local');
    await repository(2, 's3:https://s3.example.net/offsite/web01/server', 'server', 's3');
    await repository(3, 'rclone:hvftp:backups/alice', 'alice', 'ftp');
    // A repository whose schedule was deleted before targets were records: nothing knows it.
    await repository(4, '/srv/old-target/bob', 'bob', 'local');

    const applied = await migrateToLatest(store.db, migrations, { schema });
    assert.equal(applied[0], '0010-targets');
    const targets = new TargetRecords({ store, keyring });
    const repositories = new RepositoryService({ store, keyring, targets });

    const rows = await store.db.selectFrom('schedules').selectAll().orderBy('id').execute();
    for (const s of schedules) {
      const row = rows.find((r) => r.id === s.id)!;
      assert.ok(row.target_id !== null);
      const record = await targets.get(row.target_id);
      assert.deepEqual(record, {
        id: row.target_id,
        owner: s.owner === 'server' ? 'server' : s.customer,
        origin: s.origin,
        target: s.target,
      });
      assert.equal(chosenByProvider(record.target), s.origin === 'provider');
    }
    await assert.rejects(
      sql`select target_sealed from schedules`.execute(store.db),
      'the old columns are gone',
    );

    // The keyed step at start: repositories learn their targets; a second run has nothing to do.
    assert.equal(await repositories.linkTargets(), 3);
    assert.equal(await repositories.linkTargets(), 0);
    for (const [id, target, owner] of [
      [1, local, 'alice'],
      [2, s3, 'server'],
      [3, ftp, 'alice'],
    ] as const) {
      const place = await repositories.place(id);
      assert.deepEqual([place.owner, place.target.target], [owner, target]);
      const access = await repositories.accessById(id);
      assert.equal(access.password, `password of ${id}`);
      assert.equal(access.repositoryId, id);
    }
    await assert.rejects(repositories.place(4), (error: unknown) => {
      assert.ok(error instanceof RepositoryError);
      assert.equal(error.reason, 'unknown-target');
      return true;
    });

    // New records take ids of their own (PostgreSQL's identity was moved past the moved rows),
    // and a moved record changed once is sealed for itself from then on.
    const next = await targets.create({ owner: 'carol', origin: 'customer', target: local });
    assert.equal(next, 4);
    await targets.update(1, { kind: 'local', path: '/var/lib/hostvault/repos' }, 'customer');
    const resealed = await store.db
      .selectFrom('targets')
      .select(['id', 'sealed_as'])
      .orderBy('id')
      .execute();
    assert.deepEqual(
      resealed.map((r) => [r.id, r.sealed_as]),
      [
        [1, 'target'],
        [2, 'schedule'],
        [3, 'schedule'],
        [4, 'target'],
      ],
    );
    assert.deepEqual((await targets.get(1)).target, local);
  });
});

describe('migration 0017 on a store with targets', () => {
  test('local, S3 and FTP targets still open; schedules, repositories, keys and ids stay; vault is taken', async () => {
    // Whatever 0016 is (another branch's), a store just before this migration.
    const { store, schema } = await storeAt('0016~');
    const old = store.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    const before = new TargetRecords({ store, keyring });
    const ids = {
      local: await before.create({ owner: 'alice', origin: 'customer', target: local }),
      s3: await before.create({ owner: 'server', origin: 'provider', target: s3 }),
      ftp: await before.create({ owner: 'alice', origin: 'provider', target: ftp }),
      gone: await before.create({ owner: 'bob', origin: 'customer', target: local }),
    };
    // A deleted record's id must never be handed out again (job history may name it).
    await old.deleteFrom('targets').where('id', '=', ids.gone).execute();
    const schedule = (id: number, targetId: number) =>
      old
        .insertInto('schedules')
        .values({
          id,
          owner_kind: 'customer',
          customer_id: 'alice',
          name: `schedule ${id}`,
          scope: 'full',
          frequency: 'daily',
          hour: 2,
          day: null,
          retention: 7,
          target_id: targetId,
          enabled: 1,
          next_run_at: stamp,
          created_at: stamp,
          updated_at: stamp,
        })
        .execute();
    await schedule(1, ids.local);
    await schedule(2, ids.ftp);
    // Ids as the database hands them out, so PostgreSQL's identity counts them.
    const repository = async (url: string, kind: string, targetId: number, owner = 'alice') =>
      (
        await old
          .insertInto('repositories')
          .values({
            url,
            owner,
            target_kind: kind,
            password_sealed: keyring.seal(`password of ${url}`, url),
            created_at: stamp,
            initialized_at: stamp,
            last_prune_at: stamp,
            target_id: targetId,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id as number;
    const repos = {
      local: await repository('/var/lib/hostvault/repos/alice', 'local', ids.local),
      ftp: await repository('rclone:hvftp:backups/alice', 'ftp', ids.ftp),
      s3: await repository(
        's3:https://s3.example.net/offsite/web01/server',
        's3',
        ids.s3,
        'server',
      ),
    };

    const applied = await migrateToLatest(store.db, migrations, { schema });
    assert.equal(applied[0], '0017-vault-targets');

    const targets = new TargetRecords({ store, keyring });
    assert.deepEqual(await targets.get(ids.local), {
      id: ids.local,
      owner: 'alice',
      origin: 'customer',
      target: local,
    });
    assert.equal(chosenByProvider((await targets.get(ids.s3)).target), true);
    assert.deepEqual((await targets.get(ids.ftp)).target, ftp);
    const schedules = await store.db
      .selectFrom('schedules')
      .select(['id', 'target_id'])
      .orderBy('id')
      .execute();
    assert.deepEqual(schedules, [
      { id: 1, target_id: ids.local },
      { id: 2, target_id: ids.ftp },
    ]);
    const repositories = new RepositoryService({ store, keyring, targets });
    for (const [id, target] of [
      [repos.local, local],
      [repos.ftp, ftp],
      [repos.s3, s3],
    ] as const) {
      const access = await repositories.accessById(id);
      assert.deepEqual((await repositories.place(id)).target.target, target);
      assert.equal(access.password, `password of ${access.url}`);
    }
    const row = await store.db
      .selectFrom('repositories')
      .selectAll()
      .where('id', '=', repos.local)
      .executeTakeFirstOrThrow();
    assert.equal(row.last_prune_at, stamp, 'columns later migrations added keep their values');

    // The keys still hold: a schedule cannot point at a target that is not there, nor two
    // repositories share a URL, nor a kind outside the list enter.
    await assert.rejects(schedule(3, 999));
    await assert.rejects(repository('/var/lib/hostvault/repos/alice', 'local', ids.local));
    await assert.rejects(
      old
        .insertInto('targets')
        .values({
          owner: 'x',
          kind: 'nfs',
          sealed: '',
          origin: 'provider',
          created_at: stamp,
          updated_at: stamp,
        })
        .execute(),
    );
    if (store.dialect === 'sqlite') {
      const indexes = await sql<{ name: string }>`select name from sqlite_master
        where type = 'index' and tbl_name in ('targets', 'repositories') order by name`.execute(
        store.db,
      );
      assert.deepEqual(
        indexes.rows.map((r) => r.name).filter((n) => !n.startsWith('sqlite_autoindex')),
        ['repositories_owner_idx', 'repositories_target_idx'],
      );
      const check = await sql<{ foreign_key_check: unknown }>`pragma foreign_key_check`.execute(
        store.db,
      );
      assert.deepEqual(check.rows, []);
    }

    // A vault target is sealed like the others, and takes an id never handed out before.
    const vault: Target = {
      kind: 'vault',
      url: 'https://vault.example.net:8421',
      user: 'web01',
      password: 'vault-credential',
      caCert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    };
    const vaultId = await targets.create({ owner: 'server', origin: 'provider', target: vault });
    assert.ok(vaultId > ids.gone, `new id ${vaultId} after the deleted ${ids.gone}`);
    assert.deepEqual((await targets.get(vaultId)).target, vault);
    const sealed = await store.db
      .selectFrom('targets')
      .select(['kind', 'sealed'])
      .where('id', '=', vaultId)
      .executeTakeFirstOrThrow();
    assert.equal(sealed.kind, 'vault');
    assert.ok(!sealed.sealed.includes('vault-credential'), 'the credential is sealed');
    const access = await repositories.access(vault, 'server', { targetId: vaultId });
    assert.equal(
      (
        await store.db
          .selectFrom('repositories')
          .select('target_kind')
          .where('id', '=', access.repositoryId)
          .executeTakeFirstOrThrow()
      ).target_kind,
      'vault',
    );
  });
});
