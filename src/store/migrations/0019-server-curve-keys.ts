import type { Kysely } from 'kysely';

// servers.curve_key: the agent's public curve (x25519) key (`X…`), sent at its enrollment. The
// controller seals each request's secrets to it (src/fleet/sealing.ts); null for a server
// enrolled before this migration, whose requests go unsealed until it enrolls again.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('servers').addColumn('curve_key', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('servers').dropColumn('curve_key').execute();
}
