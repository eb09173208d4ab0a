/**
 * The store a unit test runs on: SQLite in memory, or, with HOSTVAULT_TEST_STORE_URL set to a
 * PostgreSQL server (`postgres://postgres@127.0.0.1/postgres`), a fresh database of its own on that
 * server, dropped again at close. `npm test` runs the store's users once on each (scripts/test.sh),
 * so every query is proven on both dialects the fleet may use.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/index.js';

export async function openTestStore(): Promise<Store> {
  const server = process.env.HOSTVAULT_TEST_STORE_URL;
  if (!server) return openStore({ memory: true });
  const name = `hvt_${randomBytes(6).toString('hex')}`;
  await admin(server, `create database ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const store = await openStore({ url: url.toString() });
  return {
    ...store,
    db: store.db,
    dialect: store.dialect,
    location: store.location,
    close: async () => {
      await store.close();
      await admin(server, `drop database if exists ${name} with (force)`);
    },
  };
}

async function admin(server: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
