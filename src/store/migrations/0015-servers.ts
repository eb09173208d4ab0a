import type { Kysely } from 'kysely';
import { withIdColumn } from './portable.js';

// The hosting servers of a fleet as records (src/fleet/server-records.ts), and which server each
// customer lives on.
// - servers: one row per hosting server, keyed by its name (one NATS subject token, see
//   src/fleet/subjects.ts). `state` is enrolled, draining (no new jobs start) or revoked (its key
//   is out of nats-server's authorization). `nkey` is the agent's public key: the seed never
//   leaves the hosting server. `last_seen_at` and `facts` (JSON: restic and MariaDB versions,
//   free space, running dispatch ids) come from the agent's presence.
// - server_enrollments: one-time tokens an administrator made for a server; only a SHA-256 of
//   the token is kept, so a copy of the store enrolls nothing. `used_at` set once it was used.
// - customers.server_id: every existing customer stays on the implicit server `local` (the one of
//   `hostvault serve`, and the controller's default server).
// - schedules.server_id: the server a server-wide (provider) schedule backs up; null for a
//   customer's schedule, which follows its customer.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('servers')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('nkey', 'text')
    .addColumn('enrolled_at', 'text')
    .addColumn('state_changed_at', 'text', (col) => col.notNull())
    .addColumn('last_seen_at', 'text')
    .addColumn('facts', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('servers_nkey').on('servers').column('nkey').unique().execute();
  await withIdColumn(db, db.schema.createTable('server_enrollments'))
    .addColumn('server_id', 'text', (col) => col.notNull())
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('created_by', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema
    .alterTable('customers')
    .addColumn('server_id', 'text', (col) => col.notNull().defaultTo('local'))
    .execute();
  await db.schema.alterTable('schedules').addColumn('server_id', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('schedules').dropColumn('server_id').execute();
  await db.schema.alterTable('customers').dropColumn('server_id').execute();
  await db.schema.dropTable('server_enrollments').execute();
  await db.schema.dropTable('servers').execute();
}
