import { sql, type Kysely } from 'kysely';

// Who chose the server a schedule's target points at: 'provider' (the admin area, the command
// line) or 'customer'. A customer's target must pass the address policy at every use, the
// provider's need not. Schedules from before cannot tell: server-wide ones are the provider's
// (only administrators make them), customers' own ones count as the customer's, the safe side;
// a provider re-saves such a schedule in the admin area, or allows its network, to vouch for it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('schedules')
    .addColumn('target_origin', 'text', (col) => col.notNull().defaultTo('customer'))
    .execute();
  await sql`update schedules set target_origin = 'provider' where owner_kind = 'server'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('schedules').dropColumn('target_origin').execute();
}
