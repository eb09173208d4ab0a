import type { Kysely } from 'kysely';

// What an API token may do: 'full' (everything its role may) or 'read' (only what a GET does:
// monitoring, a status page, an export), so a provider can hand a dashboard a token that cannot
// start, change or delete anything. Tokens made before could do everything: they stay 'full'.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('api_tokens')
    .addColumn('scope', 'text', (col) => col.notNull().defaultTo('full'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_tokens').dropColumn('scope').execute();
}
