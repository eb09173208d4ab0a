import type { Kysely } from 'kysely';

// When each repository was last pruned and checked, so maintenance runs on its own schedule.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('repositories').addColumn('last_prune_at', 'text').execute();
  await db.schema.alterTable('repositories').addColumn('last_check_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('repositories').dropColumn('last_check_at').execute();
  await db.schema.alterTable('repositories').dropColumn('last_prune_at').execute();
}
