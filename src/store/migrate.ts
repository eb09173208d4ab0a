import { Migrator, type Kysely, type Migration } from 'kysely';

/** A migration run that failed, with the name of the migration that did. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    message: string,
    readonly migration: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Applies, in one transaction, every migration not yet applied, and returns the names applied.
 * On failure nothing is applied, provided the dialect has transactional DDL (see dialect.ts).
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  migrations: Readonly<Record<string, Migration>>,
  opts: { schema?: string } = {},
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    ...(opts.schema ? { migrationTableSchema: opts.schema } : {}),
    provider: { getMigrations: () => Promise.resolve({ ...migrations }) },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) {
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }
  const failed = results?.find((r) => r.status === 'Error')?.migrationName;
  const what = failed === undefined ? 'store migration failed' : `store migration ${failed} failed`;
  throw new MigrationError(`${what}: ${messageOf(error)}`, failed, { cause: error });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
