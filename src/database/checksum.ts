/**
 * Table checksums of a database (`CHECKSUM TABLE … EXTENDED`), to tell whether a restored
 * database holds the same rows as the one that was dumped.
 */
import { quoteIdent, quoteString, runSql } from './client.js';
import { assertDatabaseName, type MariaDbConnection } from './types.js';

/** Checksum per base table (views and sequences are left out), as decimal strings. */
export async function checksumDatabase(
  database: string,
  connection: MariaDbConnection,
): Promise<Record<string, string | null>> {
  assertDatabaseName(database);
  const tables = (
    await runSql(
      connection,
      `SELECT TABLE_NAME FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = ${quoteString(database)} AND TABLE_TYPE = 'BASE TABLE'
        ORDER BY TABLE_NAME;`,
    )
  ).map((r) => r[0] ?? '');
  const result: Record<string, string | null> = {};
  if (tables.length === 0) return result;
  const rows = await runSql(
    connection,
    `CHECKSUM TABLE ${tables.map((t) => `${quoteIdent(database)}.${quoteIdent(t)}`).join(', ')} EXTENDED;`,
  );
  const prefix = `${database}.`;
  for (const [name, checksum] of rows) {
    if (name === undefined) continue;
    const table = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    result[table] = checksum === undefined || checksum === 'NULL' ? null : checksum;
  }
  return result;
}
