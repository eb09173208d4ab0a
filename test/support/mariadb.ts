/**
 * Helpers for the database integration tests: a unique name prefix per run, root SQL, and the
 * cleanup of every database and account that carries the prefix.
 */
import { randomBytes } from 'node:crypto';
import { runSql } from '../../src/database/client.js';
import type { MariaDbConnection } from '../../src/database/types.js';

/** Root over the socket, as one test instance of its own (owner accounts `hv_<instance>_…`). */
export const connection: MariaDbConnection = { instance: `t${randomBytes(3).toString('hex')}` };

/** `hvt_<random>_`: lower-case, so it also works inside customer ids. */
export function uniquePrefix(): string {
  return `hvt_${randomBytes(4).toString('hex')}_`;
}

export function sql(query: string, database?: string): Promise<string[][]> {
  return runSql(connection, query, { database });
}

/**
 * Drops every database whose name starts with the prefix, every owner account (of any instance,
 * legacy ones too) of a customer whose id starts with it, and the restores' staging databases
 * of such databases.
 */
export async function dropEverything(prefix: string): Promise<void> {
  const like = `${prefix.replace(/_/g, '\\_')}%`;
  const dbs = await sql(
    `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${like}'
        OR SCHEMA_NAME LIKE 'hvr\\_%\\_${like}';`,
  );
  const users = await sql(
    `SELECT User, Host FROM mysql.user WHERE User LIKE '${like}' OR User LIKE 'hv\\_${like}'
        OR User LIKE 'hv\\_%\\_${like}' OR User LIKE 'hostvault\\_${like}';`,
  );
  const statements = [
    ...dbs.map(([db]) => `DROP DATABASE IF EXISTS \`${db}\`;`),
    ...users.map(([user, host]) => `DROP USER IF EXISTS '${user}'@'${host}';`),
  ];
  if (statements.length > 0) await sql(statements.join('\n'));
}
