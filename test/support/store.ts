/**
 * The store a unit test runs on: SQLite in memory, or, with HOSTVAULT_TEST_STORE_URL set to a
 * PostgreSQL database (`postgres://postgres@127.0.0.1/postgres`), a fresh schema of its own in
 * that database, dropped again at close. `npm test` runs the store's users once on each
 * (scripts/test-postgres.sh), so every query is proven on both dialects the fleet may use.
 * A schema rather than a database per store: CREATE DATABASE waits for a checkpoint's fsync and
 * took 1.7 s on a busy machine, a schema with its migrations 0.5 s.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/index.js';

export async function openTestStore(): Promise<Store> {
  const url = process.env.HOSTVAULT_TEST_STORE_URL;
  if (!url) return openStore({ memory: true });
  const schema = `hvt_${randomBytes(6).toString('hex')}`;
  const store = await openStore({ url, schema, poolSize: 4 });
  return {
    db: store.db,
    dialect: store.dialect,
    location: store.location,
    close: async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
      await store.close();
    },
  };
}
