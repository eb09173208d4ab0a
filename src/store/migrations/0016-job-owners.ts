import type { Kysely } from 'kysely';

// Who runs a job (src/job/worker.ts): several controllers share one PostgreSQL store, and a job a
// controller was running when it died must neither stay "running" for good nor be failed by
// another controller's start while it still runs.
// - jobs.owner: the instance id of the worker that claimed the job (a controller's, `serve`'s, the
//   CLI's); null for jobs from before this migration, which count as owned by nobody alive.
// - jobs.lease_until: until when (ISO 8601) that owner vouches for the job; a running worker moves
//   it forward every few seconds. Past it, the job's owner is taken as dead: a controller adopts
//   the job (it asks the agent what became of it), `serve` marks it interrupted at its start.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('owner', 'text').execute();
  await db.schema.alterTable('jobs').addColumn('lease_until', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('lease_until').execute();
  await db.schema.alterTable('jobs').dropColumn('owner').execute();
}
